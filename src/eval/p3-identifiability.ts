// Protocol P3 (PROTOCOLS.md): when does LeJEPA identify the latents of a world? For each seed:
//   1. sample pairs (x, x') of the Gaussian-latent world: z ~ N(0, I_n) (or a generalised
//      normal of shape alpha), z' one Ornstein-Uhlenbeck step away, x = g(z) through a mixing;
//   2. train an encoder MLP n -> 256 x4 -> n on the two views of each pair with
//      lambda * regulariser + (1 - lambda) * alignment (SIGReg; whitening or InfoNCE baselines);
//   3. embed 10 000 held-out points h = f(x) and compare with their latents z:
//      linear R^2 both ways, orthogonality error of the fitted map z -> h, Procrustes error,
//      and ||Cov(h) - I||_F;
//   4. report the mean over seeds with a 95% t-interval.
// Training itself is passed in (`train` from src/train/node.ts) so this file stays browser-safe.
import {
  type Backend,
  compile,
  constant,
  foldIn,
  type HostTensor,
  hostTensor,
  keyFromSeed,
  mapTree,
  ops,
  type Tensor,
  type Tree,
} from "../engine/index.ts";
import { type Mixing, sampleGaussianLatent } from "../envs/index.ts";
import { initMlp, type MlpConfig, type MlpParams, mlp } from "../nn/index.ts";
import { gaussianInfoNce, lejepaLoss, sampleSlices, whiteningPenalty } from "../objectives/index.ts";
import { adamw, type Schedule } from "../optim/index.ts";
import type { LogRecord, TrainOptions, TrainResult, TrainSpec } from "../train/node.ts";
import { covarianceError, fitLinear, orthogonalityError, procrustes } from "./linear-fit.ts";
import { meanOf } from "./stats.ts";
import { linePlot } from "./svg-plot.ts";

export type P3Regulariser = "sigreg" | "whitening" | "infonce";

export interface P3Settings {
  /** Latent (and observation, and embedding) dimension n. */
  n: number;
  /** Shape of the generalised-normal latents; 2 is the Gaussian. */
  alpha: number;
  rho: number;
  mixing: Mixing;
  hidden: number;
  depth: number;
  regulariser: P3Regulariser;
  /** Weight of the regulariser; 0 leaves alignment alone (which collapses). */
  lambda: number;
  numSlices: number;
  knots: number;
  /** InfoNCE kernel width. */
  temperature: number;
  batch: number;
  steps: number;
  lr: number;
  weightDecay: number;
  evalPoints: number;
}

export const P3_DEFAULTS: P3Settings = {
  n: 2,
  alpha: 2,
  rho: 0.95,
  mixing: "spiral",
  hidden: 256,
  depth: 4,
  regulariser: "sigreg",
  lambda: 1e-3,
  numSlices: 256,
  knots: 17,
  temperature: 1,
  batch: 256,
  steps: 20_000,
  lr: 3e-3,
  weightDecay: 0.01,
  evalPoints: 10_000,
};

/** Per-seed P3 metrics (the keys of report.json's `metrics`). */
export interface P3Metrics {
  r2_h_to_z: number;
  r2_z_to_h: number;
  orthogonality_error: number;
  procrustes_error: number;
  covariance_error: number;
  [name: string]: number;
}

export interface P3SeedResult {
  seed: number;
  metrics: P3Metrics;
  /** Collapse monitor at the end of training (effective rank, std, warning). */
  final?: LogRecord;
  stepsPerSecond: number;
}

export interface P3Report {
  protocol: string;
  settings: P3Settings;
  seeds: number[];
  metrics: Record<string, number>;
  ci95: Record<string, [number, number]>;
  perSeed: P3SeedResult[];
}

/** Learning rate constant at `peak` for the first half of `totalSteps`, then cosine to 0. */
export function constantThenCosine(peak: number, totalSteps: number): Schedule {
  const half = totalSteps / 2;
  return (step) => {
    const progress = ops.minimum(ops.maximum(ops.div(ops.sub(step, half), totalSteps - half), 0), 1);
    return ops.mul(ops.add(ops.cos(ops.mul(progress, Math.PI)), 1), 0.5 * peak);
  };
}

const encoderConfig = (s: P3Settings): MlpConfig => ({
  inDim: s.n,
  hidden: Array.from({ length: s.depth }, () => s.hidden),
  outDim: s.n,
  activation: "gelu",
});

/** The P3 loss on embeddings z [2, B, n]: lambda * regulariser + (1 - lambda) * alignment. */
function p3Loss(z: Tensor, slices: Tensor, s: P3Settings): { loss: Tensor; terms: Record<string, Tensor> } {
  if (s.regulariser === "sigreg")
    return lejepaLoss(z, slices, { lambda: s.lambda, pooled: true, knots: s.knots });
  const invariance = ops.mean(ops.sub(ops.mean(z, 0, true), z).square());
  const reg =
    s.regulariser === "whitening" ? whiteningPenalty(z) : gaussianInfoNce(z, { temperature: s.temperature });
  const loss = ops.add(ops.mul(invariance, 1 - s.lambda), ops.mul(reg, s.lambda));
  return { loss, terms: { invariance, [s.regulariser]: reg } };
}

/** Observations of a P3 world as float32 rows [count, n], with their latents. */
function world(seed: number, count: number, s: P3Settings) {
  return sampleGaussianLatent(seed, count, { n: s.n, alpha: s.alpha, rho: s.rho, mixing: s.mixing });
}

/**
 * The training run of one P3 seed: encoder parameters, the loss on views [2, B, n] of fresh
 * pairs each step (a pure function of seed and step), fresh slices each step, and a probe of
 * 1024 fixed points for the collapse monitors.
 */
export function buildP3Run(seed: number, s: P3Settings, backend: Backend): TrainSpec {
  const config = encoderConfig(s);
  const key = keyFromSeed(seed);
  const { batch: B, n } = s;
  const probeData = world(seed + 500_000, 1024, s);
  return {
    params: { encoder: initMlp(foldIn(key, 0), config) } as unknown as Tree<HostTensor>,
    loss: (p, batch) => {
      const encoder = (p as unknown as { encoder: MlpParams<Tensor> }).encoder;
      return p3Loss(mlp(encoder, batch.views, config), batch.slices, s);
    },
    optimizer: adamw({ lr: constantThenCosine(s.lr, s.steps), weightDecay: s.weightDecay }),
    batchSpec: { views: { shape: [2, B, n] }, slices: { shape: [n, s.numSlices] } },
    batch(step) {
      const pairs = world(seed * 1_000_003 + step + 1, B, s);
      const views = new Float32Array(2 * B * n);
      views.set(pairs.x);
      views.set(pairs.xNext, B * n);
      return {
        views: hostTensor([2, B, n], views),
        slices: sampleSlices(foldIn(foldIn(key, 1), step), n, s.numSlices),
      };
    },
    async probe(params) {
      const h = await embedP3(params, probeData.x, 1024, s, backend);
      return { data: h, n: 1024, d: n };
    },
  };
}

/** Embeddings h = f(x) [count, n] of observations x [count, n] under encoder parameters. */
export async function embedP3(
  params: Tree<HostTensor>,
  x: Float64Array,
  count: number,
  s: P3Settings,
  backend: Backend,
): Promise<Float32Array> {
  const config = encoderConfig(s);
  const weights = (params as unknown as { encoder: MlpParams<HostTensor> }).encoder;
  const graph = await compile(
    (i) => mlp(mapTree(weights as never, (t) => constant(t as HostTensor)) as MlpParams<Tensor>, i.x, config),
    { x: { shape: [count, s.n] } },
    backend,
  );
  const out = await graph.run({ x: hostTensor([count, s.n], Float32Array.from(x)) });
  await graph.release();
  return Float32Array.from(Object.values(out)[0].data as Float32Array);
}

/** The P3 metrics of embeddings h [N, n] against latents z [N, n]. */
export function identifiabilityMetrics(
  h: ArrayLike<number>,
  z: ArrayLike<number>,
  count: number,
  n: number,
): P3Metrics {
  const toZ = fitLinear(h, z, count, n, n);
  const toH = fitLinear(z, h, count, n, n);
  return {
    r2_h_to_z: toZ.r2,
    r2_z_to_h: toH.r2,
    orthogonality_error: orthogonalityError(toH.weights, n, n),
    procrustes_error: procrustes(z, h, count, n).error,
    covariance_error: covarianceError(h, count, n),
  };
}

/** Mean and 95% t-interval (Student t, n - 1 degrees of freedom) of a few values. */
export function tInterval(xs: readonly number[]): [number, number] {
  const m = meanOf(xs);
  if (xs.length < 2) return [m, m];
  const T975 = [12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262];
  const sd = Math.sqrt(xs.reduce((a, v) => a + (v - m) ** 2, 0) / (xs.length - 1));
  const t = T975[xs.length - 2] ?? 1.96;
  const half = (t * sd) / Math.sqrt(xs.length);
  return [m - half, m + half];
}

export interface P3Options {
  backend: Backend;
  /** The training loop (`train` from src/train/node.ts). */
  train: (spec: TrainSpec, opts: TrainOptions) => Promise<TrainResult>;
  seeds?: number[];
  /** Report name (default "p3-identifiability"; "-quick" for reduced settings). */
  protocol?: string;
  monitorEvery?: number;
  onLog?: (seed: number, record: LogRecord) => void;
}

/** Runs P3 over seeds: train, embed held-out points, measure, aggregate. */
export async function evaluateP3(settings: Partial<P3Settings>, opts: P3Options): Promise<P3Report> {
  const { backend, train, seeds = [0, 1, 2], protocol = "p3-identifiability", onLog } = opts;
  const s = { ...P3_DEFAULTS, ...settings };
  const monitorEvery = opts.monitorEvery ?? Math.max(1, Math.floor(s.steps / 10));
  const perSeed: P3SeedResult[] = [];
  for (const seed of seeds) {
    const spec = buildP3Run(seed, s, backend);
    const result = await train(spec, {
      steps: s.steps,
      backend,
      monitorEvery,
      logEvery: monitorEvery,
      onLog: (r) => onLog?.(seed, r),
    });
    const heldOut = world(seed + 900_000, s.evalPoints, s);
    const h = await embedP3(result.trainStep.params(), heldOut.x, s.evalPoints, s, backend);
    await result.trainStep.release();
    const final = result.history.at(-1);
    perSeed.push({
      seed,
      metrics: identifiabilityMetrics(h, heldOut.z, s.evalPoints, s.n),
      final,
      stepsPerSecond: final?.stepsPerSecond ?? 0,
    });
  }
  const metrics: Record<string, number> = {};
  const ci95: Record<string, [number, number]> = {};
  for (const name of Object.keys(perSeed[0].metrics)) {
    const values = perSeed.map((r) => r.metrics[name]);
    metrics[name] = meanOf(values);
    ci95[name] = tInterval(values);
  }
  return { protocol, settings: s, seeds, metrics, ci95, perSeed };
}

// ---------------------------------------------------------------------------------------------
// The alpha sweep of PROTOCOLS.md P3 (issue #5): the same run for generalised-normal latents of
// each shape alpha, plus the whitening and InfoNCE regularisers in place of SIGReg at alpha = 2.
// The theorem predicts alpha = 2 (the Gaussian) is the unique best; where the peak lies, and
// whether alpha = 2's interval clears its neighbours', is computed from the measured rows.

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
