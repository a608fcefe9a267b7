// Small self-contained SVG plots for the HTML reports (no plotting library, no network).

export interface Series {
  name: string;
  points: [number, number][];
  colour?: string;
}

const PALETTE = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf"];
const esc = (s: string): string => s.replace(/[<>&"]/g, (c) => `&#${c.charCodeAt(0)};`);

/** A line plot of several series; `logY` plots log10 of positive values. */
export function linePlot(
  series: Series[],
  opts: { title: string; xLabel?: string; logY?: boolean; width?: number; height?: number },
): string {
  const { title, xLabel = "step", logY = false, width = 460, height = 260 } = opts;
  const pad = { l: 52, r: 12, t: 28, b: 34 };
  const tf = (y: number) => (logY ? Math.log10(Math.max(y, 1e-12)) : y);
  const all = series.flatMap((s) => s.points.filter(([, y]) => Number.isFinite(y)));
  if (all.length === 0)
    return `<svg width="${width}" height="${height}"><text x="10" y="20">${esc(title)}: no data</text></svg>`;
  const xs = all.map(([x]) => x);
  const ys = all.map(([, y]) => tf(y));
  const [x0, x1] = [Math.min(...xs), Math.max(...xs) || 1];
  let [y0, y1] = [Math.min(...ys), Math.max(...ys)];
  if (y0 === y1) [y0, y1] = [y0 - 1, y1 + 1];
  const sx = (x: number) => pad.l + ((x - x0) / (x1 - x0 || 1)) * (width - pad.l - pad.r);
  const sy = (y: number) => height - pad.b - ((tf(y) - y0) / (y1 - y0)) * (height - pad.t - pad.b);
  const lines = series
    .map((s, i) => {
      const pts = s.points
        .filter(([, y]) => Number.isFinite(y))
        .map(([x, y]) => `${sx(x).toFixed(1)},${sy(y).toFixed(1)}`);
      return `<polyline fill="none" stroke="${s.colour ?? PALETTE[i % PALETTE.length]}" stroke-width="1.5" points="${pts.join(" ")}"/>`;
    })
    .join("");
  const legend = series
    .map(
      (s, i) =>
        `<text x="${pad.l + 8}" y="${pad.t + 14 + i * 13}" font-size="11" fill="${s.colour ?? PALETTE[i % PALETTE.length]}">${esc(s.name)}</text>`,
    )
    .join("");
  const fmt = (v: number) =>
    logY ? `1e${v.toFixed(1)}` : Math.abs(v) >= 100 ? v.toFixed(0) : v.toPrecision(3);
  return `<svg width="${width}" height="${height}" xmlns="http://www.w3.org/2000/svg" font-family="sans-serif">
<text x="${width / 2}" y="16" text-anchor="middle" font-size="13">${esc(title)}</text>
<rect x="${pad.l}" y="${pad.t}" width="${width - pad.l - pad.r}" height="${height - pad.t - pad.b}" fill="none" stroke="#bbb"/>
<text x="${pad.l - 4}" y="${pad.t + 10}" text-anchor="end" font-size="10">${fmt(y1)}</text>
<text x="${pad.l - 4}" y="${height - pad.b}" text-anchor="end" font-size="10">${fmt(y0)}</text>
<text x="${pad.l}" y="${height - pad.b + 14}" font-size="10">${x0}</text>
<text x="${width - pad.r}" y="${height - pad.b + 14}" text-anchor="end" font-size="10">${x1}</text>
<text x="${width / 2}" y="${height - 6}" text-anchor="middle" font-size="11">${esc(xLabel)}</text>
${lines}${legend}</svg>`;
}

/** A scatter plot of points coloured by a value in [0, 1] (viridis-like ramp). */
export function scatterPlot(
  points: [number, number][],
  colourValues: number[],
  opts: { title: string; width?: number; height?: number },
): string {
  const { title, width = 300, height = 300 } = opts;
  const pad = 24;
  const xs = points.map((p) => p[0]);
  const ys = points.map((p) => p[1]);
  const [x0, x1] = [Math.min(...xs), Math.max(...xs)];
  const [y0, y1] = [Math.min(...ys), Math.max(...ys)];
  const sx = (x: number) => pad + ((x - x0) / (x1 - x0 || 1)) * (width - 2 * pad);
  const sy = (y: number) => height - pad - ((y - y0) / (y1 - y0 || 1)) * (height - 2 * pad);
  const colour = (v: number) => {
    const t = Math.min(Math.max(v, 0), 1);
    return `rgb(${Math.round(68 + t * 185)},${Math.round(1 + t * 230)},${Math.round(84 + (t < 0.5 ? t * 140 : (1 - t) * 140))})`;
  };
  const dots = points
    .map(
      (p, i) =>
        `<circle cx="${sx(p[0]).toFixed(1)}" cy="${sy(p[1]).toFixed(1)}" r="2.2" fill="${colour(colourValues[i])}"/>`,
    )
    .join("");
  return `<svg width="${width}" height="${height}" xmlns="http://www.w3.org/2000/svg" font-family="sans-serif"><text x="${width / 2}" y="14" text-anchor="middle" font-size="12">${esc(title)}</text><rect x="${pad}" y="${pad}" width="${width - 2 * pad}" height="${height - 2 * pad}" fill="none" stroke="#bbb"/>${dots}</svg>`;
}

/** The first two principal components of rows x [n, d] (power iteration with deflation). */
export function pca2(x: ArrayLike<number>, n: number, d: number): [number, number][] {
  const mean = new Float64Array(d);
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) mean[j] += x[i * d + j] / n;
  const c = new Float64Array(n * d);
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) c[i * d + j] = x[i * d + j] - mean[j];
  const components: Float64Array[] = [];
  for (let k = 0; k < 2; k++) {
    let v = Float64Array.from({ length: d }, (_, j) => Math.sin(j + 1 + k));
    for (let it = 0; it < 100; it++) {
      const w = new Float64Array(d);
      for (let i = 0; i < n; i++) {
        let dot = 0;
        for (let j = 0; j < d; j++) dot += c[i * d + j] * v[j];
        for (let j = 0; j < d; j++) w[j] += dot * c[i * d + j];
      }
      for (const u of components) {
        let dot = 0;
        for (let j = 0; j < d; j++) dot += w[j] * u[j];
        for (let j = 0; j < d; j++) w[j] -= dot * u[j];
      }
      const norm = Math.hypot(...w) || 1;
      v = w.map((val) => val / norm);
    }
    components.push(v);
  }
  return Array.from({ length: n }, (_, i) => {
    const p: [number, number] = [0, 0];
    for (let k = 0; k < 2; k++) for (let j = 0; j < d; j++) p[k] += c[i * d + j] * components[k][j];
    return p;
  });
}
