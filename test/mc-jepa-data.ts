// Bouncing-sprites data for MC-JEPA tests and measurements: consecutive frame pairs with the
// true flow (each sprite's displacement, from the environment's state), one visible sprite
// per episode whose shape (disk or square) is the content class, in a random colour.
import { BouncingSprites } from "../src/envs/index.ts";

const PALETTE = [
  [235, 90, 70],
  [80, 190, 235],
  [120, 220, 90],
  [230, 200, 60],
];
const BACKGROUND = [10, 10, 30];

export interface SpriteClips {
  size: number;
  /** Frames [episodes, T+1, 3, size, size] in [0, 1]. */
  frames: Float32Array;
  /** Displacement t -> t+1 of the visible sprite, [episodes, T, 2] (pixels). */
  motion: Float32Array;
  /** Content class per episode: 0 disk, 1 square. */
  shape: Int32Array;
  episodes: number;
  steps: number;
}

/** Episodes of bouncing sprites with one visible sprite (the other drawn in the background colour). */
export function spriteClips(
  episodes: number,
  steps: number,
  opts: { size?: number; seed?: number } = {},
): SpriteClips {
  const { size = 32, seed = 0 } = opts;
  const env = new BouncingSprites({ size, sprites: 2, speedRange: [2, 5] });
  const frame = 3 * size * size;
  const frames = new Float32Array(episodes * (steps + 1) * frame);
  const motion = new Float32Array(episodes * steps * 2);
  const shape = new Int32Array(episodes);
  for (let e = 0; e < episodes; e++) {
    const cls = e % 2;
    const colour = PALETTE[(e * 7 + seed) % PALETTE.length];
    const factors = {
      backgroundColour: BACKGROUND,
      agentColour: cls === 0 ? colour : BACKGROUND,
      spriteColour: cls === 1 ? colour : BACKGROUND,
      agentSize: 8,
    };
    let obs = env.reset({ seed: seed * 100003 + e, options: { factors } }).observation;
    shape[e] = cls;
    let state = env.getState();
    for (let t = 0; t <= steps; t++) {
      const base = (e * (steps + 1) + t) * frame;
      for (let k = 0; k < frame; k++) frames[base + k] = obs[k] / 255;
      if (t === steps) break;
      obs = env.step([]).observation;
      const next = env.getState();
      motion[(e * steps + t) * 2] = next[4 * cls] - state[4 * cls];
      motion[(e * steps + t) * 2 + 1] = next[4 * cls + 1] - state[4 * cls + 1];
      state = next;
    }
  }
  return { size, frames, motion, shape, episodes, steps };
}

/** Pixels of frame `t` of episode `e` that differ from the background (the sprite). */
export function spriteMask(data: SpriteClips, e: number, t: number): boolean[] {
  const n = data.size * data.size;
  const base = (e * (data.steps + 1) + t) * 3 * n;
  return Array.from({ length: n }, (_, p) =>
    [0, 1, 2].some((c) => Math.abs(data.frames[base + c * n + p] - BACKGROUND[c] / 255) > 0.02),
  );
}

/**
 * End-point error of predicted flows [N, 2, size, size] for pairs (e, t) on the sprite's
 * pixels, and the zero-flow baseline (the mean true displacement) on the same pixels.
 */
export function endPointError(
  data: SpriteClips,
  pairs: [number, number][],
  flow: Float32Array,
): { epe: number; zeroFlow: number; pixels: number } {
  const n = data.size * data.size;
  let epe = 0;
  let zero = 0;
  let count = 0;
  pairs.forEach(([e, t], i) => {
    const mask = spriteMask(data, e, t);
    const vx = data.motion[(e * data.steps + t) * 2];
    const vy = data.motion[(e * data.steps + t) * 2 + 1];
    for (let p = 0; p < n; p++) {
      if (!mask[p]) continue;
      epe += Math.hypot(flow[i * 2 * n + p] - vx, flow[(i * 2 + 1) * n + p] - vy);
      zero += Math.hypot(vx, vy);
      count++;
    }
  });
  return { epe: epe / count, zeroFlow: zero / count, pixels: count };
}

/** A random translation (edge-clamped), brightness scaling and pixel noise of a frame [3, S, S]. */
export function augment(frame: Float32Array, size: number, rand: () => number): Float32Array {
  const out = new Float32Array(frame.length);
  const dx = Math.floor(rand() * 7) - 3;
  const dy = Math.floor(rand() * 7) - 3;
  const gain = 0.85 + 0.3 * rand();
  for (let c = 0; c < 3; c++) {
    for (let y = 0; y < size; y++) {
      for (let x = 0; x < size; x++) {
        const sy = Math.min(size - 1, Math.max(0, y + dy));
        const sx = Math.min(size - 1, Math.max(0, x + dx));
        const noise = (rand() - 0.5) * 0.04;
        out[(c * size + y) * size + x] = Math.min(
          1,
          Math.max(0, frame[(c * size + sy) * size + sx] * gain + noise),
        );
      }
    }
  }
  return out;
}
