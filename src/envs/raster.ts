// Drawing into channel-first float canvases `[C, H, W]` (values 0..255) and quantising them
// to uint8 frames. Pixel (i, j) covers [j, j+1) x [i, i+1) in image coordinates (x right,
// y down), so its centre is (j + 0.5, i + 0.5). Shapes are anti-aliased by coverage.

/** A float image `[C, H, W]` with values in 0..255, drawn on before quantisation. */
export interface Canvas {
  channels: number;
  height: number;
  width: number;
  data: Float32Array;
}

/** A canvas filled with a background colour (one value per channel). */
export function createCanvas(channels: number, height: number, width: number, background: number[]): Canvas {
  const data = new Float32Array(channels * height * width);
  const plane = height * width;
  for (let c = 0; c < channels; c++) data.fill(background[c] ?? 0, c * plane, (c + 1) * plane);
  return { channels, height, width, data };
}

/** Rounds and clamps a canvas to a uint8 frame `[C, H, W]`. */
export function quantize(canvas: Canvas, out = new Uint8Array(canvas.data.length)): Uint8Array {
  const d = canvas.data;
  for (let i = 0; i < d.length; i++) {
    const v = d[i];
    out[i] = v <= 0 ? 0 : v >= 255 ? 255 : Math.round(v);
  }
  return out;
}

/** How a layer combines with what is below: paint over (opaque colour) or add light. */
export type Compose = "over" | "add";

function put(canvas: Canvas, index: number, colour: number[], alpha: number, compose: Compose): void {
  const plane = canvas.height * canvas.width;
  const d = canvas.data;
  for (let c = 0; c < canvas.channels; c++) {
    const k = c * plane + index;
    d[k] = compose === "over" ? d[k] + (colour[c] - d[k]) * alpha : d[k] + colour[c] * alpha;
  }
}

function overlap(a0: number, a1: number, b0: number, b1: number): number {
  return Math.max(0, Math.min(a1, b1) - Math.max(a0, b0));
}

/** Draws the axis-aligned rectangle [x0, x1) x [y0, y1) with exact area coverage. */
export function drawRect(
  canvas: Canvas,
  x0: number,
  y0: number,
  x1: number,
  y1: number,
  colour: number[],
  compose: Compose = "over",
): void {
  const { height, width } = canvas;
  const j0 = Math.max(0, Math.floor(x0));
  const j1 = Math.min(width, Math.ceil(x1));
  const i0 = Math.max(0, Math.floor(y0));
  const i1 = Math.min(height, Math.ceil(y1));
  for (let i = i0; i < i1; i++) {
    const cy = overlap(i, i + 1, y0, y1);
    for (let j = j0; j < j1; j++) {
      const a = cy * overlap(j, j + 1, x0, x1);
      if (a > 0) put(canvas, i * width + j, colour, a, compose);
    }
  }
}

/**
 * Draws a Gaussian dot exp(-r^2 / (2 sigma^2)) centred at (x, y), truncated at 4 sigma;
 * `alpha` at the centre is 1.
 */
export function drawGaussianDot(
  canvas: Canvas,
  x: number,
  y: number,
  sigma: number,
  colour: number[],
  compose: Compose = "over",
): void {
  const { height, width } = canvas;
  const reach = 4 * sigma;
  const inv = 1 / (2 * sigma * sigma);
  const j0 = Math.max(0, Math.floor(x - reach));
  const j1 = Math.min(width, Math.ceil(x + reach));
  const i0 = Math.max(0, Math.floor(y - reach));
  const i1 = Math.min(height, Math.ceil(y + reach));
  for (let i = i0; i < i1; i++) {
    const dy = i + 0.5 - y;
    for (let j = j0; j < j1; j++) {
      const dx = j + 0.5 - x;
      put(canvas, i * width + j, colour, Math.exp(-(dx * dx + dy * dy) * inv), compose);
    }
  }
}

/**
 * Draws any shape given as an inside test over its bounding box, anti-aliased by
 * `samples x samples` sub-pixel samples per pixel.
 */
export function drawShape(
  canvas: Canvas,
  inside: (x: number, y: number) => boolean,
  box: { x0: number; y0: number; x1: number; y1: number },
  colour: number[],
  samples = 4,
  compose: Compose = "over",
): void {
  const { height, width } = canvas;
  const j0 = Math.max(0, Math.floor(box.x0));
  const j1 = Math.min(width, Math.ceil(box.x1));
  const i0 = Math.max(0, Math.floor(box.y0));
  const i1 = Math.min(height, Math.ceil(box.y1));
  const step = 1 / samples;
  const norm = 1 / (samples * samples);
  for (let i = i0; i < i1; i++) {
    for (let j = j0; j < j1; j++) {
      let hits = 0;
      for (let si = 0; si < samples; si++) {
        const py = i + (si + 0.5) * step;
        for (let sj = 0; sj < samples; sj++) if (inside(j + (sj + 0.5) * step, py)) hits++;
      }
      if (hits > 0) put(canvas, i * width + j, colour, hits * norm, compose);
    }
  }
}

/** Draws a disk of radius r centred at (x, y). */
export function drawDisk(
  canvas: Canvas,
  x: number,
  y: number,
  r: number,
  colour: number[],
  samples = 4,
): void {
  const r2 = r * r;
  drawShape(
    canvas,
    (px, py) => (px - x) * (px - x) + (py - y) * (py - y) <= r2,
    { x0: x - r, y0: y - r, x1: x + r, y1: y + r },
    colour,
    samples,
  );
}

/** Draws a convex polygon (vertices in either winding order). */
export function drawConvexPolygon(
  canvas: Canvas,
  points: [number, number][],
  colour: number[],
  samples = 4,
): void {
  let x0 = Number.POSITIVE_INFINITY;
  let y0 = Number.POSITIVE_INFINITY;
  let x1 = Number.NEGATIVE_INFINITY;
  let y1 = Number.NEGATIVE_INFINITY;
  for (const [x, y] of points) {
    x0 = Math.min(x0, x);
    y0 = Math.min(y0, y);
    x1 = Math.max(x1, x);
    y1 = Math.max(y1, y);
  }
  const n = points.length;
  const inside = (px: number, py: number): boolean => {
    let sign = 0;
    for (let k = 0; k < n; k++) {
      const [ax, ay] = points[k];
      const [bx, by] = points[(k + 1) % n];
      const cross = (bx - ax) * (py - ay) - (by - ay) * (px - ax);
      if (cross !== 0) {
        const s = cross > 0 ? 1 : -1;
        if (sign === 0) sign = s;
        else if (s !== sign) return false;
      }
    }
    return true;
  };
  drawShape(canvas, inside, { x0, y0, x1, y1 }, colour, samples);
}

/**
 * Maps a frame `[C, H, W]` to RGB `[3, H, W]` for viewing: 1 channel as grey, 2 channels
 * (two-rooms: agent, walls) as red agent over grey-blue walls, 3 channels as they are.
 */
export function toRgb(frame: Uint8Array, shape: readonly number[]): Uint8Array {
  const [c, h, w] = shape;
  const plane = h * w;
  if (c === 3) return frame.slice();
  const out = new Uint8Array(3 * plane);
  for (let k = 0; k < plane; k++) {
    if (c === 1) {
      out[k] = out[plane + k] = out[2 * plane + k] = frame[k];
    } else {
      const agent = frame[k];
      const wall = frame[plane + k];
      out[k] = Math.min(255, agent + ((wall * 110) >> 8));
      out[plane + k] = Math.min(255, (wall * 120) >> 8);
      out[2 * plane + k] = Math.min(255, (wall * 170) >> 8);
    }
  }
  return out;
}
