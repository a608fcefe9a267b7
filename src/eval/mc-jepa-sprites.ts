// Bouncing-sprites data for MC-JEPA's measurements: clips of one sprite with its true motion
// (the flow target) and its shape (the content class). Only the shape tells the classes
// apart: colour and size are drawn per episode from the same distribution for every class,
// and every shape is scaled to the same area as a disk of its radius (BouncingSprites'
// `shapes` option), so a probe that reads colour or pixel count stays at chance.
import { BouncingSprites, SHAPE_CLASSES, type SpriteShape } from "../envs/index.ts";

/** The box colour (0..255); the sprite's pixels are those that differ from it. */
export const SPRITE_BACKGROUND = [10, 10, 30];

export interface SpriteClipOptions {
  /** Image side in pixels (default 32). */
  size?: number;
  /** Content classes (default circle, square, triangle, cross: chance 1/4). */
  shapes?: readonly SpriteShape[];
  /** Sprite radius range in px at 64 px (default [7, 11]: 3.5 to 5.5 px at 32 px). */
  radiusRange?: [number, number];
  /** Speed range in px per step at 64 px (default [2, 5]). */
  speedRange?: [number, number];
  seed?: number;
}

export interface SpriteClips {
  size: number;
  /** Frames [episodes, T+1, 3, size, size] in [0, 1]. */
  frames: Float32Array;
  /** Displacement t -> t+1 of the sprite, [episodes, T, 2] (pixels). */
  motion: Float32Array;
  /** Content class per episode: an index into `classNames`. */
  shape: Int32Array;
  classNames: string[];
  episodes: number;
  steps: number;
}

/** Episodes of one bouncing sprite of a random shape, colour and size; episode e depends on (seed, e). */
export function spriteClips(episodes: number, steps: number, opts: SpriteClipOptions = {}): SpriteClips {
  const {
    size = 32,
    shapes = ["circle", "square", "triangle", "cross"],
    radiusRange = [7, 11],
    speedRange = [2, 5],
    seed = 0,
  } = opts;
  const env = new BouncingSprites({ size, sprites: 1, speedRange, shapes, radiusRange, randomColours: true });
  const frame = 3 * size * size;
  const frames = new Float32Array(episodes * (steps + 1) * frame);
  const motion = new Float32Array(episodes * steps * 2);
  const shape = new Int32Array(episodes);
  const classNames = [...shapes];
  const factors = { backgroundColour: SPRITE_BACKGROUND };
  for (let e = 0; e < episodes; e++) {
    let obs = env.reset({ seed: seed * 100003 + e, options: { factors } }).observation;
    shape[e] = classNames.indexOf(SHAPE_CLASSES[env.appearance()[0].shape]);
    let state = env.getState();
    for (let t = 0; t <= steps; t++) {
      const base = (e * (steps + 1) + t) * frame;
      for (let k = 0; k < frame; k++) frames[base + k] = obs[k] / 255;
      if (t === steps) break;
      obs = env.step([]).observation;
      const next = env.getState();
      motion[(e * steps + t) * 2] = next[0] - state[0];
      motion[(e * steps + t) * 2 + 1] = next[1] - state[1];
      state = next;
    }
  }
  return { size, frames, motion, shape, classNames, episodes, steps };
}

/** Pixels of frame `t` of episode `e` that differ from the background (the sprite), [size * size]. */
export function spriteMask(data: SpriteClips, e: number, t: number): boolean[] {
  const n = data.size * data.size;
  const base = (e * (data.steps + 1) + t) * 3 * n;
  return Array.from({ length: n }, (_, p) =>
    [0, 1, 2].some((c) => Math.abs(data.frames[base + c * n + p] - SPRITE_BACKGROUND[c] / 255) > 0.02),
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

export interface AugmentOptions {
  /** Largest translation in px, each axis (edge-clamped). */
  shift?: number;
  /** Zoom range about the image centre (bilinear; default [1, 1], none): makes size a nuisance too. */
  scale?: [number, number];
  /**
   * Recolour the sprite: its difference from the background gets its channels permuted and
   * each scaled by a gain drawn from `gain`, so two views share the shape but not the colour.
   */
  recolour?: boolean;
  /** Range of the per-channel recolouring gain (default [0.3, 1.7]; [1, 1] only permutes). */
  gain?: [number, number];
}

/**
 * A random view of a frame [3, S, S] in [0, 1]: zoom, translation, optional recolouring,
 * brightness scaling in [0.85, 1.15] and pixel noise of +-0.02. `rand` is a seeded uniform source.
 */
export function augmentView(
  frame: Float32Array,
  size: number,
  rand: () => number,
  opts: AugmentOptions = {},
): Float32Array {
  const { shift = 3, scale = [1, 1], recolour = false, gain: gainRange = [0.3, 1.7] } = opts;
  const out = new Float32Array(frame.length);
  const dx = Math.floor(rand() * (2 * shift + 1)) - shift;
  const dy = Math.floor(rand() * (2 * shift + 1)) - shift;
  const zoom = scale[0] + (scale[1] - scale[0]) * rand();
  const brightness = 0.85 + 0.3 * rand();
  const perm = [0, 1, 2];
  const gain = [1, 1, 1];
  if (recolour) {
    for (let i = 2; i > 0; i--) {
      const j = Math.floor(rand() * (i + 1));
      [perm[i], perm[j]] = [perm[j], perm[i]];
    }
    for (let c = 0; c < 3; c++) gain[c] = gainRange[0] + (gainRange[1] - gainRange[0]) * rand();
  }
  const plane = size * size;
  const bg = SPRITE_BACKGROUND.map((v) => v / 255);
  const clamp = (v: number) => Math.min(size - 1, Math.max(0, v));
  // Source coordinate of output pixel centre i along one axis (pixel centres at i + 0.5).
  const source = (i: number, d: number) => clamp(size / 2 + (i + 0.5 - size / 2) / zoom - 0.5 + d);
  for (let y = 0; y < size; y++) {
    const sy = source(y, dy);
    const y0 = Math.floor(sy);
    const y1 = Math.min(size - 1, y0 + 1);
    const wy = sy - y0;
    for (let x = 0; x < size; x++) {
      const sx = source(x, dx);
      const x0 = Math.floor(sx);
      const x1 = Math.min(size - 1, x0 + 1);
      const wx = sx - x0;
      const at = (c: number) => {
        const p = c * plane;
        const top = frame[p + y0 * size + x0] * (1 - wx) + frame[p + y0 * size + x1] * wx;
        const bottom = frame[p + y1 * size + x0] * (1 - wx) + frame[p + y1 * size + x1] * wx;
        return top * (1 - wy) + bottom * wy;
      };
      for (let c = 0; c < 3; c++) {
        const v = recolour ? bg[c] + gain[c] * (at(perm[c]) - bg[perm[c]]) : at(c);
        const noise = (rand() - 0.5) * 0.04;
        out[c * plane + y * size + x] = Math.min(1, Math.max(0, v * brightness + noise));
      }
    }
  }
  return out;
}

/** The shortcut features: the sprite's mean colour and its pixel count in the first frame, [episodes, 4]. */
export function shortcutFeatures(data: SpriteClips): Float32Array {
  const n = data.size * data.size;
  const out = new Float32Array(data.episodes * 4);
  for (let e = 0; e < data.episodes; e++) {
    const base = e * (data.steps + 1) * 3 * n;
    const mask = spriteMask(data, e, 0);
    let count = 0;
    for (let p = 0; p < n; p++) {
      if (!mask[p]) continue;
      count++;
      for (let c = 0; c < 3; c++) out[e * 4 + c] += data.frames[base + c * n + p];
    }
    for (let c = 0; c < 3; c++) out[e * 4 + c] /= Math.max(count, 1);
    out[e * 4 + 3] = count;
  }
  return out;
}
