// Shapes (P6 low-shot probes): one coloured shape of a known class, position, size and
// colour on a plain background. As an Env the shape can be moved by displacement actions;
// `generateShapes` draws a labelled image set with the same renderer.
import {
  type ActionSpace,
  type Env,
  type FactorSpec,
  type FactorValue,
  type ObservationSpace,
  type ResetOptions,
  type ResetResult,
  resolveFactors,
  type StepResult,
} from "./env.ts";
import { deriveSeed, Random } from "./random.ts";
import { createCanvas, drawShape, quantize } from "./raster.ts";

/** The shape classes, by label index; inside tests in units of the shape's size. */
export const SHAPE_CLASSES = ["circle", "square", "triangle", "cross", "ring"] as const;

export const SHAPE_INSIDE: readonly ((u: number, v: number) => boolean)[] = [
  (u, v) => u * u + v * v <= 1,
  (u, v) => Math.abs(u) <= 0.8 && Math.abs(v) <= 0.8,
  // Upward equilateral triangle with vertices (0, -1), (+-0.866, 0.5).
  (u, v) => v <= 0.5 && v >= -1 + 1.732 * Math.abs(u),
  (u, v) => (Math.abs(u) <= 0.3 && Math.abs(v) <= 1) || (Math.abs(v) <= 0.3 && Math.abs(u) <= 1),
  (u, v) => {
    const r2 = u * u + v * v;
    return r2 <= 1 && r2 >= 0.3;
  },
];
/** Area of each class's inside test in units of its size squared (the unit disk is pi). */
export const SHAPE_AREAS: readonly number[] = [Math.PI, 2.56, 0.75 * Math.sqrt(3), 2.04, 0.7 * Math.PI];

export interface ShapesOptions {
  /** Image side in pixels (default 64). */
  size?: number;
  /** How many classes of SHAPE_CLASSES to use (default all 5). */
  classes?: number;
  /** Shape size (radius) range in px at 64 px, scaled with the image. */
  sizeRange?: [number, number];
}

const FACTORS: FactorSpec[] = [
  { name: "backgroundColour", default: [20, 20, 20], physical: false, description: "background colour" },
];

/**
 * The shapes world. State `[label, x, y, size, red, green, blue]` (pixels, colour 0..255);
 * action `[dx, dy]` in pixels, clipped to +-2 * size / 64; the shape stays in the frame.
 * Reset options: `factors`, `label` (force a class).
 */
export class Shapes implements Env {
  readonly id = "shapes";
  readonly observationSpace: ObservationSpace;
  readonly actionSpace: ActionSpace;
  readonly stateSize = 7;
  readonly stateNames = ["label", "x", "y", "size", "red", "green", "blue"] as const;
  readonly factors = FACTORS;
  readonly size: number;
  readonly classes: number;
  private readonly sizeRange: [number, number];
  private rng = new Random(0);
  private values = resolveFactors("shapes", FACTORS, undefined);
  private state = new Float64Array(7);

  constructor(opts: ShapesOptions = {}) {
    const { size = 64, classes = SHAPE_CLASSES.length, sizeRange = [6, 14] } = opts;
    if (!Number.isInteger(size) || size < 16)
      throw new Error(`shapes: size must be an integer >= 16, got ${size}`);
    if (!Number.isInteger(classes) || classes < 1 || classes > SHAPE_CLASSES.length) {
      throw new Error(`shapes: classes must be 1..${SHAPE_CLASSES.length}, got ${classes}`);
    }
    this.size = size;
    this.classes = classes;
    this.sizeRange = [(sizeRange[0] * size) / 64, (sizeRange[1] * size) / 64];
    this.observationSpace = { shape: [3, size, size], dtype: "uint8" };
    const m = (2 * size) / 64;
    this.actionSpace = { shape: [2], low: [-m, -m], high: [m, m] };
  }

  reset(opts: ResetOptions = {}): ResetResult {
    const { seed, options = {} } = opts;
    if (seed !== undefined) this.rng = new Random(seed);
    this.values = resolveFactors(this.id, FACTORS, options);
    const drawn = this.rng.int(this.classes);
    const label = typeof options.label === "number" ? options.label : drawn;
    const s = this.rng.uniform(this.sizeRange[0], this.sizeRange[1]);
    const x = this.rng.uniform(s, this.size - s);
    const y = this.rng.uniform(s, this.size - s);
    // Bright, saturated-enough colours: each channel in [60, 255], one channel pushed to the top.
    const colour = [this.rng.uniform(60, 255), this.rng.uniform(60, 255), this.rng.uniform(60, 255)];
    colour[this.rng.int(3)] = 255;
    this.state.set([label, x, y, s, ...colour.map(Math.round)]);
    return { observation: this.render(), info: { label, className: SHAPE_CLASSES[label] } };
  }

  step(action: ArrayLike<number>): StepResult {
    const m = this.actionSpace.high[0];
    const s = this.state[3];
    for (let k = 0; k < 2; k++) {
      const d = Math.max(-m, Math.min(m, Number(action[k])));
      if (!Number.isFinite(d)) throw new Error("shapes: action must be 2 finite numbers");
      this.state[1 + k] = Math.max(s, Math.min(this.size - s, this.state[1 + k] + d));
    }
    return { observation: this.render(), reward: 0, terminated: false, truncated: false, info: {} };
  }

  getState(): Float64Array {
    return this.state.slice();
  }

  setState(state: ArrayLike<number>): void {
    if (state.length !== 7) throw new Error(`shapes: state must have 7 entries, got ${state.length}`);
    this.state.set(Array.from(state));
  }

  getFactors(): Record<string, FactorValue> {
    return structuredClone(this.values);
  }

  render(): Uint8Array {
    const canvas = createCanvas(3, this.size, this.size, this.values.backgroundColour as number[]);
    const [label, x, y, s, r, g, b] = this.state;
    const inside = SHAPE_INSIDE[label];
    drawShape(
      canvas,
      (px, py) => inside((px - x) / s, (py - y) / s),
      { x0: x - s, y0: y - s, x1: x + s, y1: y + s },
      [r, g, b],
    );
    return quantize(canvas);
  }
}

/** A labelled shapes image set: images `[N, 3, H, W]`, labels `[N]` and the factors of each. */
export interface ShapesDataset {
  images: Uint8Array;
  labels: Int32Array;
  /** Per image `[x, y, size, red, green, blue]`, shape `[N, 6]`. */
  factors: Float64Array;
  shape: [number, number, number, number];
  classNames: string[];
}

/** Generates `count` labelled shape images; image i depends only on (seed, i). */
export function generateShapes(seed: number, count: number, opts: ShapesOptions = {}): ShapesDataset {
  const env = new Shapes(opts);
  const frame = env.size * env.size * 3;
  const images = new Uint8Array(count * frame);
  const labels = new Int32Array(count);
  const factors = new Float64Array(count * 6);
  for (let i = 0; i < count; i++) {
    images.set(env.reset({ seed: deriveSeed(seed, i) }).observation, i * frame);
    const s = env.getState();
    labels[i] = s[0];
    factors.set(s.subarray(1), i * 6);
  }
  return {
    images,
    labels,
    factors,
    shape: [count, 3, env.size, env.size],
    classNames: SHAPE_CLASSES.slice(0, env.classes),
  };
}
