// Canvas drawing for the page: frames, planned trajectories, the latent PCA.

/** Draws an RGB frame [3, H, W] to fill the canvas (nearest-neighbour, crisp pixels). */
export function drawFrame(canvas: HTMLCanvasElement, rgb: Uint8Array, size: number): void {
  const ctx = canvas.getContext("2d")!;
  const image = new ImageData(size, size);
  const plane = size * size;
  for (let k = 0; k < plane; k++) {
    image.data[4 * k] = rgb[k];
    image.data[4 * k + 1] = rgb[plane + k];
    image.data[4 * k + 2] = rgb[2 * plane + k];
    image.data[4 * k + 3] = 255;
  }
  const off = new OffscreenCanvas(size, size);
  off.getContext("2d")!.putImageData(image, 0, 0);
  ctx.imageSmoothingEnabled = false;
  ctx.drawImage(off, 0, 0, canvas.width, canvas.height);
}

/** A polyline of positions in pixels of a `size`-px world. */
export function drawPath(
  canvas: HTMLCanvasElement,
  points: number[][],
  size: number,
  style: { colour: string; width: number; alpha?: number },
): void {
  if (points.length < 2) return;
  const ctx = canvas.getContext("2d")!;
  const s = canvas.width / size;
  ctx.save();
  ctx.globalAlpha = style.alpha ?? 1;
  ctx.strokeStyle = style.colour;
  ctx.lineWidth = style.width;
  ctx.lineJoin = "round";
  ctx.beginPath();
  ctx.moveTo(points[0][0] * s, points[0][1] * s);
  for (const p of points.slice(1)) ctx.lineTo(p[0] * s, p[1] * s);
  ctx.stroke();
  ctx.restore();
}

export function drawMarker(
  canvas: HTMLCanvasElement,
  p: number[],
  size: number,
  colour: string,
  radius = 6,
): void {
  const ctx = canvas.getContext("2d")!;
  const s = canvas.width / size;
  ctx.save();
  ctx.strokeStyle = colour;
  ctx.lineWidth = 2.5;
  ctx.beginPath();
  ctx.arc(p[0] * s, p[1] * s, radius, 0, 2 * Math.PI);
  ctx.stroke();
  ctx.restore();
}

/** Colour of a true position: x runs blue to red, y dark to light (so rooms and walls show up in the PCA). */
export function positionColour(x: number, y: number, size: number): string {
  const u = Math.min(Math.max(x / size, 0), 1);
  const v = Math.min(Math.max(y / size, 0), 1);
  return `hsl(${Math.round(240 - 240 * u)}, 75%, ${Math.round(30 + 40 * v)}%)`;
}

/** Scatter of 2-D points (the latent PCA) coloured by the true positions. */
export function drawScatter(
  canvas: HTMLCanvasElement,
  points: [number, number][],
  positions: [number, number][],
  size: number,
  title: string,
): void {
  const ctx = canvas.getContext("2d")!;
  const { width, height } = canvas;
  ctx.clearRect(0, 0, width, height);
  ctx.fillStyle = "#fff";
  ctx.fillRect(0, 0, width, height);
  ctx.fillStyle = "#333";
  ctx.font = "12px sans-serif";
  ctx.fillText(title, 8, 14);
  const xs = points.map((p) => p[0]);
  const ys = points.map((p) => p[1]);
  const [x0, x1] = [Math.min(...xs), Math.max(...xs)];
  const [y0, y1] = [Math.min(...ys), Math.max(...ys)];
  const pad = 22;
  for (let i = 0; i < points.length; i++) {
    const px = pad + ((points[i][0] - x0) / (x1 - x0 || 1)) * (width - 2 * pad);
    const py = height - pad - ((points[i][1] - y0) / (y1 - y0 || 1)) * (height - 2 * pad);
    ctx.fillStyle = positionColour(positions[i][0], positions[i][1], size);
    ctx.beginPath();
    ctx.arc(px, py, 2.6, 0, 2 * Math.PI);
    ctx.fill();
  }
}
