// The demo's report: report.json (protocol, settings, seeds, metrics, ci95, timings) and a
// self-contained report.html (inline SVG plots and PNG frames as data URIs).
import { join } from "node:path";
import { encodePng } from "../data/node.ts";
import { writeFileAtomic } from "../engine/node.ts";
import { toRgb } from "../envs/index.ts";
import type { P1Episode, P1Report } from "./p1-two-rooms.ts";
import { linePlot, pca2, type Series, scatterPlot } from "./svg-plot.ts";

export interface TrainingRecord {
  step: number;
  loss: number;
  terms: Record<string, number>;
  collapse?: { stdMean: number; effectiveRank: number; sigreg: number };
}

export interface DemoReportInput {
  title: string;
  p1: P1Report;
  history: TrainingRecord[];
  /** Embeddings [n, d] of dataset frames and the true agent position of each (for the PCA). */
  latents: { data: Float32Array; n: number; d: number; positions: number[][] };
  settings: Record<string, unknown>;
  timings: Record<string, number>;
  imageSize: number;
}

const frameUri = (frame: Uint8Array, size: number): string =>
  `data:image/png;base64,${encodePng(toRgb(frame, [2, size, size]), 3, size, size).toString("base64")}`;

function episodeCard(e: P1Episode, size: number): string {
  const scale = 128 / size;
  const path = e.path.map(([x, y]) => `${(x * scale).toFixed(1)},${(y * scale).toFixed(1)}`).join(" ");
  const start = `<circle cx="${e.start[0] * scale}" cy="${e.start[1] * scale}" r="3" fill="#2ca02c"/>`;
  const goal = `<circle cx="${e.goal[0] * scale}" cy="${e.goal[1] * scale}" r="4" fill="none" stroke="#d62728" stroke-width="2"/>`;
  const img = (uri: string, label: string) =>
    `<figure><img src="${uri}" width="128" height="128"><figcaption>${label}</figcaption></figure>`;
  const startUri = frameUri(e.startObservation, size);
  return `<div class="card ${e.success ? "ok" : "fail"}"><div class="frames">
${img(startUri, "start")}${img(frameUri(e.goalObservation, size), "goal")}${img(frameUri(e.finalObservation, size), `end (${e.steps} steps)`)}
<figure><svg width="128" height="128"><image href="${startUri}" width="128" height="128" style="image-rendering:pixelated"/><polyline fill="none" stroke="#ffbf00" stroke-width="1.5" points="${path}"/>${start}${goal}</svg><figcaption>path</figcaption></figure>
</div><div>seed ${e.seed}: <b>${e.success ? "success" : "failure"}</b>, final distance ${e.finalDistance.toFixed(1)} px</div></div>`;
}

export function renderDemoHtml(input: DemoReportInput): string {
  const { p1, history, latents, imageSize } = input;
  const pct = (v: number) => `${(100 * v).toFixed(1)}%`;
  const termNames = [...new Set(history.flatMap((h) => Object.keys(h.terms)))].filter(
    (k) => k !== "lr" && k !== "grad_norm",
  );
  const lossSeries: Series[] = [
    { name: "loss", points: history.map((h) => [h.step, h.loss]) },
    ...termNames.map((k) => ({
      name: k,
      points: history.map((h) => [h.step, h.terms[k]] as [number, number]),
    })),
  ];
  const monitored = history.filter((h) => h.collapse);
  const collapseSeries: Series[] = [
    { name: "mean per-dim std", points: monitored.map((h) => [h.step, h.collapse!.stdMean]) },
    {
      name: "effective rank / D",
      points: monitored.map((h) => [h.step, h.collapse!.effectiveRank / latents.d]),
    },
  ];
  const proj = pca2(latents.data, latents.n, latents.d);
  const xs = latents.positions.map((p) => p[0] / imageSize);
  const ys = latents.positions.map((p) => p[1] / imageSize);
  const k = p1.episodes.filter((e) => e.success).length;
  const gallery = p1.episodes
    .slice(0, 12)
    .map((e) => episodeCard(e, imageSize))
    .join("\n");
  const rows = Object.entries(input.timings)
    .map(([name, s]) => `<tr><td>${name}</td><td>${s.toFixed(1)} s</td></tr>`)
    .join("");
  return `<!doctype html><html><head><meta charset="utf-8"><title>${input.title}</title>
<style>body{font-family:sans-serif;max-width:1100px;margin:24px auto;color:#222}section{margin:28px 0}
.plots{display:flex;flex-wrap:wrap;gap:16px}.card{border:1px solid #ccc;border-radius:6px;padding:8px;margin:8px 0}
.card.ok{border-left:6px solid #2ca02c}.card.fail{border-left:6px solid #d62728}.frames{display:flex;gap:8px}
figure{margin:0;text-align:center;font-size:12px}img{image-rendering:pixelated}table{border-collapse:collapse}td,th{padding:3px 10px;border-bottom:1px solid #eee}</style>
</head><body>
<h1>${input.title}</h1>
<section id="summary"><h2>P1 planning success</h2>
<p><b>${pct(p1.metrics.success)}</b> (${k} of ${p1.episodes.length} episodes), 95% interval ${pct(p1.ci95.success[0])} to ${pct(p1.ci95.success[1])}.
Published reference: ${pct(p1.reference.success)} (${p1.reference.source}).</p>
<p>Mean final distance ${p1.metrics.mean_final_distance.toFixed(1)} px; mean steps ${p1.metrics.mean_steps.toFixed(0)} of ${p1.settings.budget}.
Planner: CEM, horizon ${p1.settings.horizon}, ${p1.settings.population} samples, ${p1.settings.iterations} iterations, ${p1.settings.elites} elites, replanning every ${p1.settings.executeSteps} steps.</p>
<table><tr><th>stage</th><th>wall time</th></tr>${rows}</table></section>
<section id="training"><h2>Training curves</h2><div class="plots">${linePlot(lossSeries, { title: "loss and its terms", logY: true })}</div></section>
<section id="collapse"><h2>Collapse monitors</h2><div class="plots">${linePlot(collapseSeries, { title: "embedding spread (1 = healthy scale)" })}</div></section>
<section id="latents"><h2>Latent PCA of dataset frames</h2><p>First two principal components of ${latents.n} embeddings, coloured by the agent's true x (left) and y (right). No decoder is involved.</p>
<div class="plots">${scatterPlot(proj, xs, { title: "coloured by true x" })}${scatterPlot(proj, ys, { title: "coloured by true y" })}</div></section>
<section id="episodes"><h2>Planned episodes</h2>${gallery}</section>
<section id="settings"><h2>Settings</h2><pre>${JSON.stringify(input.settings, null, 2).replace(/</g, "&lt;")}</pre></section>
</body></html>`;
}

/** Writes report.json and report.html into `dir` (atomically). */
export function writeDemoReport(dir: string, input: DemoReportInput): { json: string; html: string } {
  const { p1 } = input;
  const report = {
    protocol: p1.protocol,
    settings: { ...p1.settings, ...input.settings },
    seeds: p1.seeds,
    metrics: p1.metrics,
    ci95: p1.ci95,
    reference: p1.reference,
    timings_seconds: input.timings,
    episodes: p1.episodes.map(({ startObservation, goalObservation, finalObservation, ...rest }) => rest),
    training: input.history,
  };
  const json = join(dir, "report.json");
  const html = join(dir, "report.html");
  writeFileAtomic(json, `${JSON.stringify(report, null, 1)}\n`);
  writeFileAtomic(html, renderDemoHtml(input));
  return { json, html };
}
