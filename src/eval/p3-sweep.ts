// The alpha sweep of PROTOCOLS.md P3 (issue #5): the same run for generalised-normal latents of
// each shape alpha, plus the whitening and InfoNCE regularisers in place of SIGReg at alpha = 2.
// The theorem predicts alpha = 2 (the Gaussian) is the unique best; where the peak lies, and
// whether alpha = 2's interval clears its neighbours', is computed from the measured rows.
import {
  evaluateP3,
  P3_DEFAULTS,
  type P3Options,
  type P3Regulariser,
  type P3SeedResult,
  type P3Settings,
} from "./p3-identifiability.ts";
import { linePlot } from "./svg-plot.ts";

/** The shapes of PROTOCOLS.md's ablation; 2 is the Gaussian. */
export const P3_SWEEP_ALPHAS: readonly number[] = [0.5, 1, 2, 4, 8];
/** The baselines run in place of SIGReg (at `baselineAlpha`, 2 by default). */
export const P3_SWEEP_BASELINES: readonly P3Regulariser[] = ["whitening", "infonce"];

/** Whether a larger value of a P3 metric is better (R^2) or a smaller one (the errors). */
export const P3_METRIC_BETTER: Record<string, "higher" | "lower"> = {
  r2_h_to_z: "higher",
  r2_z_to_h: "higher",
  orthogonality_error: "lower",
  procrustes_error: "lower",
  covariance_error: "lower",
};

/** One row of the sweep: one (regulariser, alpha) over all seeds. */
export interface P3SweepRow {
  /** "sigreg alpha=0.5", "whitening alpha=2", ... */
  label: string;
  regulariser: P3Regulariser;
  alpha: number;
  metrics: Record<string, number>;
  ci95: Record<string, [number, number]>;
  perSeed: P3SeedResult[];
}

/** Where one metric peaks over the SIGReg rows of the sweep. */
export interface P3Peak {
  metric: string;
  better: "higher" | "lower";
  /** The alpha with the best mean (argmax for R^2, argmin for the errors). */
  bestAlpha: number;
  bestMean: number;
  /** The alphas next to 2 in the sweep (none where 2 is not swept). */
  neighbours: number[];
  /**
   * True when alpha = 2's 95% interval lies wholly on the better side of every neighbour's
   * interval (above for R^2, below for the errors); false otherwise, when 2 is not swept, or
   * when a row has one seed (no interval).
   */
  alpha2ClearOfNeighbours: boolean;
  /** One sentence with the numbers. */
  verdict: string;
}

export interface P3SweepReport {
  protocol: string;
  /** The shared settings (alpha and regulariser vary by row). */
  settings: Omit<P3Settings, "alpha" | "regulariser">;
  seeds: number[];
  alphas: number[];
  baselines: P3Regulariser[];
  baselineAlpha: number;
  /** The baselines' regulariser weight (the SIGReg rows use `settings.lambda`). */
  baselineLambda: number;
  /** `<metric>_alpha_<a>` for SIGReg rows (0.5 -> 0_5), `<metric>_<regulariser>_alpha_<a>` for
   * baselines, and `peak_alpha_<metric>` (the best alpha by mean), each a number. */
  metrics: Record<string, number>;
  ci95: Record<string, [number, number]>;
  rows: P3SweepRow[];
  peaks: P3Peak[];
  /** The peak of mean R^2 (h -> z) in words, from `peaks`. */
  conclusion: string;
}

export interface P3SweepOptions extends P3Options {
  alphas?: readonly number[];
  baselines?: readonly P3Regulariser[];
  baselineAlpha?: number;
  /**
   * The baselines' lambda (default: the SIGReg rows' `lambda`). Whitening and InfoNCE have no
   * gradient at a collapsed embedding, so at SIGReg's 1e-3 alignment collapses them.
   */
  baselineLambda?: number;
  /** Called before each row's training starts (index over alphas then baselines). */
  onRowStart?: (index: number, total: number, label: string) => void;
  /** Called with each finished row. */
  onRow?: (row: P3SweepRow) => void;
}

const alphaKey = (alpha: number): string => String(alpha).replace(".", "_");

/** report.json's key of one row's metric. */
export function p3SweepKey(metric: string, regulariser: P3Regulariser, alpha: number): string {
  return regulariser === "sigreg"
    ? `${metric}_alpha_${alphaKey(alpha)}`
    : `${metric}_${regulariser}_alpha_${alphaKey(alpha)}`;
}

const fmt = (v: number): string => (Number.isFinite(v) ? v.toFixed(3) : String(v));
const fmtInterval = ([lo, hi]: [number, number]): string => `[${fmt(lo)}, ${fmt(hi)}]`;

/** Where `metric` peaks over the SIGReg rows, and whether alpha = 2 clears its neighbours. */
export function p3SweepPeak(rows: readonly P3SweepRow[], metric: string): P3Peak {
  const better = P3_METRIC_BETTER[metric] ?? "higher";
  const sign = better === "higher" ? 1 : -1;
  const swept = rows.filter((r) => r.regulariser === "sigreg").sort((a, b) => a.alpha - b.alpha);
  if (swept.length === 0) throw new Error("p3SweepPeak: no SIGReg rows");
  let best = swept[0];
  for (const r of swept) if (sign * r.metrics[metric] > sign * best.metrics[metric]) best = r;
  const i2 = swept.findIndex((r) => r.alpha === 2);
  const neighbours = i2 < 0 ? [] : [swept[i2 - 1], swept[i2 + 1]].filter((r) => r !== undefined);
  let clear = false;
  let verdict = `${metric}: best mean at alpha = ${best.alpha} (${fmt(best.metrics[metric])})`;
  if (i2 >= 0 && neighbours.length > 0) {
    const [lo2, hi2] = swept[i2].ci95[metric];
    const intervals = [swept[i2], ...neighbours].every((r) => r.perSeed.length >= 2);
    clear =
      intervals &&
      neighbours.every((r) => (better === "higher" ? lo2 > r.ci95[metric][1] : hi2 < r.ci95[metric][0]));
    const around = neighbours.map((r) => `alpha = ${r.alpha} ${fmtInterval(r.ci95[metric])}`).join(", ");
    verdict += `; alpha = 2 ${fmtInterval(swept[i2].ci95[metric])} ${
      clear
        ? "is clear of"
        : intervals
          ? "overlaps or trails"
          : "cannot be compared (one seed, no interval) with"
    } ${around} (${better} is better)`;
  } else verdict += i2 < 0 ? "; alpha = 2 is not in the sweep" : "; alpha = 2 has no neighbours in the sweep";
  return {
    metric,
    better,
    bestAlpha: best.alpha,
    bestMean: best.metrics[metric],
    neighbours: neighbours.map((r) => r.alpha),
    alpha2ClearOfNeighbours: clear,
    verdict,
  };
}

function p3Conclusion(peaks: readonly P3Peak[]): string {
  const r2 = peaks.find((p) => p.metric === "r2_h_to_z") ?? peaks[0];
  const peakAt2 = r2.bestAlpha === 2;
  const clearMetrics = peaks.filter((p) => p.alpha2ClearOfNeighbours).map((p) => p.metric);
  const bestAt2 = peaks.filter((p) => p.bestAlpha === 2).map((p) => p.metric);
  return [
    `Mean R^2 (h -> z) peaks at alpha = ${r2.bestAlpha}${peakAt2 ? " (the Gaussian)" : ", not at the Gaussian"}.`,
    r2.alpha2ClearOfNeighbours
      ? "Alpha = 2's interval is clear of its neighbours': a clear peak at alpha = 2."
      : "Alpha = 2's interval is not clear of its neighbours': no clear peak at alpha = 2.",
    `Best mean at alpha = 2: ${bestAt2.length > 0 ? bestAt2.join(", ") : "none of the metrics"};`,
    `alpha = 2 clear of both neighbours: ${clearMetrics.length > 0 ? clearMetrics.join(", ") : "none"}.`,
  ].join(" ");
}

/** Runs the P3 sweep: evaluateP3 per alpha (SIGReg), then per baseline regulariser at alpha 2. */
export async function evaluateP3Sweep(
  settings: Partial<P3Settings>,
  opts: P3SweepOptions,
): Promise<P3SweepReport> {
  const {
    alphas = P3_SWEEP_ALPHAS,
    baselines = P3_SWEEP_BASELINES,
    baselineAlpha = 2,
    baselineLambda = settings.lambda ?? P3_DEFAULTS.lambda,
    seeds = [0, 1, 2],
    protocol = "p3-alpha-sweep",
  } = opts;
  if (alphas.length === 0) throw new Error("evaluateP3Sweep: no alphas");
  const lambda = settings.lambda ?? P3_DEFAULTS.lambda;
  const plan: { regulariser: P3Regulariser; alpha: number; lambda: number }[] = [
    ...alphas.map((alpha) => ({ regulariser: "sigreg" as const, alpha, lambda })),
    ...baselines.map((regulariser) => ({ regulariser, alpha: baselineAlpha, lambda: baselineLambda })),
  ];
  const rows: P3SweepRow[] = [];
  for (const [index, { regulariser, alpha, lambda: weight }] of plan.entries()) {
    const label = `${regulariser} alpha=${alpha}${weight !== lambda ? ` lambda=${weight}` : ""}`;
    opts.onRowStart?.(index, plan.length, label);
    const r = await evaluateP3(
      { ...settings, regulariser, alpha, lambda: weight },
      { ...opts, seeds, protocol },
    );
    const row: P3SweepRow = {
      label,
      regulariser,
      alpha,
      metrics: r.metrics,
      ci95: r.ci95,
      perSeed: r.perSeed,
    };
    rows.push(row);
    opts.onRow?.(row);
  }
  const metrics: Record<string, number> = {};
  const ci95: Record<string, [number, number]> = {};
  for (const row of rows)
    for (const [name, value] of Object.entries(row.metrics)) {
      metrics[p3SweepKey(name, row.regulariser, row.alpha)] = value;
      ci95[p3SweepKey(name, row.regulariser, row.alpha)] = row.ci95[name];
    }
  const peaks = Object.keys(rows[0].metrics).map((name) => p3SweepPeak(rows, name));
  for (const p of peaks) metrics[`peak_alpha_${p.metric}`] = p.bestAlpha;
  const { alpha: _a, regulariser: _r, ...shared } = { ...P3_DEFAULTS, ...settings };
  return {
    protocol,
    settings: shared,
    seeds,
    alphas: [...alphas],
    baselines: [...baselines],
    baselineAlpha,
    baselineLambda,
    metrics,
    ci95,
    rows,
    peaks,
    conclusion: p3Conclusion(peaks),
  };
}

const METRIC_TITLES: Record<string, string> = {
  r2_h_to_z: "R^2 h->z",
  r2_z_to_h: "R^2 z->h",
  orthogonality_error: "orthogonality err",
  procrustes_error: "Procrustes err",
  covariance_error: "Cov(h)-I err",
};

/** The sweep as a markdown table (mean [95% interval] per metric and row) with its peaks. */
export function p3SweepTable(report: P3SweepReport): string {
  const names = Object.keys(report.rows[0].metrics);
  const head = `| row | ${names.map((n) => METRIC_TITLES[n] ?? n).join(" | ")} |`;
  const rule = `|---|${names.map(() => "---").join("|")}|`;
  const body = report.rows.map(
    (r) =>
      `| ${r.label} | ${names.map((n) => `${fmt(r.metrics[n])} ${fmtInterval(r.ci95[n])}`).join(" | ")} |`,
  );
  const peaks = report.peaks.map((p) => `- ${p.verdict}`);
  return [head, rule, ...body, "", ...peaks, "", report.conclusion].join("\n");
}

const escapeHtml = (s: string): string => s.replace(/[<>&"]/g, (c) => `&#${c.charCodeAt(0)};`);

/** A self-contained report.html: the table, the peaks, and each metric against log2(alpha). */
export function renderP3SweepHtml(report: P3SweepReport): string {
  const names = Object.keys(report.rows[0].metrics);
  const swept = report.rows.filter((r) => r.regulariser === "sigreg").sort((a, b) => a.alpha - b.alpha);
  const plots = names.map((n) =>
    linePlot(
      [
        { name: "mean", points: swept.map((r) => [Math.log2(r.alpha), r.metrics[n]]) },
        { name: "95% low", points: swept.map((r) => [Math.log2(r.alpha), r.ci95[n][0]]), colour: "#999" },
        { name: "95% high", points: swept.map((r) => [Math.log2(r.alpha), r.ci95[n][1]]), colour: "#999" },
      ],
      { title: `${METRIC_TITLES[n] ?? n} (SIGReg)`, xLabel: "log2 alpha (1 = Gaussian)" },
    ),
  );
  const head = `<tr><th>row</th>${names.map((n) => `<th>${escapeHtml(METRIC_TITLES[n] ?? n)}</th>`).join("")}</tr>`;
  const body = report.rows
    .map(
      (r) =>
        `<tr><td>${escapeHtml(r.label)}</td>${names
          .map((n) => `<td>${fmt(r.metrics[n])} ${fmtInterval(r.ci95[n])}</td>`)
          .join("")}</tr>`,
    )
    .join("\n");
  return `<!doctype html><html><head><meta charset="utf-8"><title>${escapeHtml(report.protocol)}</title>
<style>body{font-family:sans-serif;max-width:1000px;margin:1em auto}td,th{padding:2px 8px;text-align:left}
table{border-collapse:collapse}tr:nth-child(even){background:#f4f4f4}svg{margin:4px}</style></head><body>
<h1>${escapeHtml(report.protocol)}</h1>
<p>Seeds ${report.seeds.join(", ")}; ${report.settings.steps} steps, encoder ${report.settings.n} -> ${
    report.settings.hidden
  } x${report.settings.depth} -> ${report.settings.n}, mixing ${escapeHtml(report.settings.mixing)}, lambda ${
    report.settings.lambda
  }. Mean over seeds [95% t-interval].</p>
<table>${head}\n${body}</table>
<ul>${report.peaks.map((p) => `<li>${escapeHtml(p.verdict)}</li>`).join("")}</ul>
<p><b>${escapeHtml(report.conclusion)}</b></p>
${plots.join("\n")}
</body></html>
`;
}
