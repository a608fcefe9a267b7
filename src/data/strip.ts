// A row of frames side by side, as one RGB image: for PNG strips of episodes and goldens.
import { toRgb } from "../envs/index.ts";

/**
 * Lays frames `[C, H, W]` left to right with `gap` white pixels between them and returns
 * RGB pixels `[3, H, N*W + (N-1)*gap]` (2-channel frames are shown with toRgb's colours).
 */
export function frameStrip(
  frames: Uint8Array[],
  shape: readonly number[],
  gap = 1,
): { pixels: Uint8Array; height: number; width: number } {
  const [, h, w] = shape;
  const n = frames.length;
  const width = n * w + Math.max(0, n - 1) * gap;
  const pixels = new Uint8Array(3 * h * width).fill(255);
  frames.forEach((frame, f) => {
    const rgb = toRgb(frame, shape);
    for (let c = 0; c < 3; c++)
      for (let i = 0; i < h; i++) {
        const src = rgb.subarray(c * h * w + i * w, c * h * w + (i + 1) * w);
        pixels.set(src, c * h * width + i * width + f * (w + gap));
      }
  });
  return { pixels, height: h, width };
}
