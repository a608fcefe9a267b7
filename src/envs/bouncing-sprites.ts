// Bouncing sprites (P5): sprites move at constant velocity and bounce elastically off the
// walls of a box. Optionally one sprite teleports at a chosen step: the physically impossible
// event whose "surprise" a video JEPA should register. No control (the action has 0 dims).
// By default even-numbered sprites are disks and odd ones squares in the factors' colours;
// the `shapes`, `radiusRange` and `randomColours` options draw each sprite's appearance at
// every reset instead (MC-JEPA's content probe: classes that differ only in shape).
import {
  type ActionSpace,
  type Env,
  type FactorSpec,
  type FactorValue,
  numberOption,
  type ObservationSpace,
  type ResetOptions,
  type ResetResult,
  resolveFactors,
  type StepResult,
} from "./env.ts";
import { Random } from "./random.ts";
import { createCanvas, drawDisk, drawRect, drawShape, quantize } from "./raster.ts";
import { SHAPE_AREAS, SHAPE_CLASSES, SHAPE_INSIDE } from "./shapes.ts";

export type SpriteShape = (typeof SHAPE_CLASSES)[number];

export interface BouncingSpritesOptions {
  /** Image side in pixels (default 64; P5 also uses 32). */
  size?: number;
  /** Number of sprites (default 2). */
  sprites?: number;
  /** Speed range in pixels per step at 64 px (scaled with the size). */
  speedRange?: [number, number];
  /**
   * Shapes each sprite's shape is drawn from, uniformly, at every reset; every shape is scaled
   * to the area of the disk of the sprite's radius, so its pixel count does not tell the shape.
   * Default: even-numbered sprites disks, odd ones squares (at equal area too when radiusRange
   * or randomColours is set).
   */
  shapes?: readonly SpriteShape[];
  /** Radius range in px at 64 px, drawn per sprite at every reset (default: the agentSize factor). */
  radiusRange?: [number, number];
  /** Draw each sprite's colour at every reset (channels in [60, 255], one at 255) instead of the factors'. */
  randomColours?: boolean;
}

/** How one sprite is drawn: its class index in SHAPE_CLASSES, colour (0..255) and radius in px. */
export interface SpriteAppearance {
  shape: number;
  colour: number[];
  radius: number;
}

const FACTORS: FactorSpec[] = [
  { name: "backgroundColour", default: [10, 10, 30], physical: false, description: "box colour" },
  { name: "agentColour", default: [235, 90, 70], physical: false, description: "sprite 0 colour" },
  {
    name: "spriteColour",
    default: [80, 190, 235],
    physical: false,
    description: "colour of the other sprites",
  },
  { name: "agentSize", default: 5, physical: false, description: "drawn sprite radius in px at 64 px" },
];

/**
 * The bouncing-sprites world. State: `[x, y, vx, vy]` per sprite (pixels, pixels per step),
 * then the step count. Reset options: `factors`, `teleportStep` (the step after which sprite
 * `teleportSprite`, default 0, jumps to a random place; -1 never, the default).
 * Sprites are even-numbered disks and odd-numbered squares.
 */
export class BouncingSprites implements Env {
  readonly id = "bouncing-sprites";
  readonly observationSpace: ObservationSpace;
  readonly actionSpace: ActionSpace = { shape: [0], low: [], high: [] };
  readonly stateSize: number;
  readonly stateNames: string[];
  readonly factors = FACTORS;
  readonly size: number;
  readonly sprites: number;
  readonly scale: number;
  private readonly speedRange: [number, number];
  private rng = new Random(0);
  private values = resolveFactors("bouncing-sprites", FACTORS, undefined);
  private state: Float64Array;
  private teleportStep = -1;
  private teleportSprite = 0;
  private teleportTo: [number, number] = [0, 0];
  private readonly shapes?: number[];
  private readonly radiusRange?: [number, number];
  private readonly randomColours: boolean;
  /** Drawn appearance per sprite when shapes, radiusRange or randomColours is set. */
  private drawn: SpriteAppearance[] = [];

  constructor(opts: BouncingSpritesOptions = {}) {
    const {
      size = 64,
      sprites = 2,
      speedRange = [1, 2.5],
      shapes,
      radiusRange,
      randomColours = false,
    } = opts;
    if (!Number.isInteger(size) || size < 16)
      throw new Error(`bouncing-sprites: size must be >= 16, got ${size}`);
    if (shapes !== undefined) {
      const unknown = shapes.find((name) => !SHAPE_CLASSES.includes(name));
      if (shapes.length === 0 || unknown !== undefined)
        throw new Error(
          `bouncing-sprites: shapes must be a non-empty list of ${SHAPE_CLASSES.join(", ")}; got "${unknown ?? ""}"`,
        );
      this.shapes = shapes.map((name) => SHAPE_CLASSES.indexOf(name));
    }
    if (radiusRange !== undefined && !(radiusRange[0] > 0 && radiusRange[1] >= radiusRange[0]))
      throw new Error(
        `bouncing-sprites: radiusRange must be [low, high] with 0 < low <= high, got ${radiusRange}`,
      );
    this.radiusRange = radiusRange;
    this.randomColours = randomColours;
    this.size = size;
    this.sprites = sprites;
    this.scale = size / 64;
    this.speedRange = speedRange;
    this.observationSpace = { shape: [3, size, size], dtype: "uint8" };
    this.stateNames = [];
    for (let k = 0; k < sprites; k++) this.stateNames.push(`x${k}`, `y${k}`, `vx${k}`, `vy${k}`);
    this.stateNames.push("step");
    this.stateSize = this.stateNames.length;
    this.state = new Float64Array(this.stateSize);
    if (this.drawsAppearance()) this.drawAppearance(); // so render() works before the first reset
  }

  private radius(): number {
    return (this.values.agentSize as number) * this.scale;
  }

  private drawsAppearance(): boolean {
    return this.shapes !== undefined || this.radiusRange !== undefined || this.randomColours;
  }

  /** Half-width of sprite k's bounding box: its walls are this far inside the box. */
  private extent(k: number): number {
    if (!this.drawsAppearance()) return this.radius();
    const a = this.drawn[k];
    return a.radius * Math.sqrt(Math.PI / SHAPE_AREAS[a.shape]);
  }

  /** Each sprite's shape (index in SHAPE_CLASSES), colour and radius in px this episode. */
  appearance(): SpriteAppearance[] {
    if (this.drawsAppearance()) return structuredClone(this.drawn);
    return Array.from({ length: this.sprites }, (_, k) => ({
      shape: k % 2,
      colour: (k === 0 ? this.values.agentColour : this.values.spriteColour) as number[],
      radius: this.radius(),
    }));
  }

  /** Draws every sprite's appearance; only called with an appearance option, so the default stream is unchanged. */
  private drawAppearance(): void {
    this.drawn = Array.from({ length: this.sprites }, (_, k) => {
      const shape = this.shapes ? this.shapes[this.rng.int(this.shapes.length)] : k % 2;
      const radius = this.radiusRange
        ? this.rng.uniform(this.radiusRange[0], this.radiusRange[1]) * this.scale
        : this.radius();
      let colour = (k === 0 ? this.values.agentColour : this.values.spriteColour) as number[];
      if (this.randomColours) {
        colour = [this.rng.uniform(60, 255), this.rng.uniform(60, 255), this.rng.uniform(60, 255)];
        colour[this.rng.int(3)] = 255;
        colour = colour.map(Math.round);
      }
      return { shape, colour, radius };
    });
  }

  reset(opts: ResetOptions = {}): ResetResult {
    const { seed, options = {} } = opts;
    if (seed !== undefined) this.rng = new Random(seed);
    this.values = resolveFactors(this.id, FACTORS, options);
    if (this.drawsAppearance()) this.drawAppearance();
    for (let k = 0; k < this.sprites; k++) {
      const r = this.extent(k);
      const angle = this.rng.uniform(-Math.PI, Math.PI);
      const speed = this.rng.uniform(this.speedRange[0], this.speedRange[1]) * this.scale;
      this.state.set(
        [
          this.rng.uniform(r, this.size - r),
          this.rng.uniform(r, this.size - r),
          speed * Math.cos(angle),
          speed * Math.sin(angle),
        ],
        4 * k,
      );
    }
    this.state[this.stateSize - 1] = 0;
    this.teleportStep = numberOption(this.id, options, "teleportStep", -1);
    this.teleportSprite = numberOption(this.id, options, "teleportSprite", 0);
    // Drawn always, so the stream does not depend on whether a teleport is asked for.
    const r = this.extent(this.drawsAppearance() ? this.teleportSprite : 0);
    this.teleportTo = [this.rng.uniform(r, this.size - r), this.rng.uniform(r, this.size - r)];
    return { observation: this.render(), info: {} };
  }

  step(_action: ArrayLike<number>): StepResult {
    for (let k = 0; k < this.sprites; k++) {
      const lo = this.extent(k);
      const hi = this.size - lo;
      for (let axis = 0; axis < 2; axis++) {
        let p = this.state[4 * k + axis] + this.state[4 * k + 2 + axis];
        let v = this.state[4 * k + 2 + axis];
        // Elastic bounce: reflect the overshoot back into the box.
        if (p < lo) [p, v] = [2 * lo - p, -v];
        else if (p > hi) [p, v] = [2 * hi - p, -v];
        this.state[4 * k + axis] = p;
        this.state[4 * k + 2 + axis] = v;
      }
    }
    const t = ++this.state[this.stateSize - 1];
    const teleported = t === this.teleportStep;
    if (teleported) this.state.set(this.teleportTo, 4 * this.teleportSprite);
    return {
      observation: this.render(),
      reward: 0,
      terminated: false,
      truncated: false,
      info: { teleported },
    };
  }

  getState(): Float64Array {
    return this.state.slice();
  }

  setState(state: ArrayLike<number>): void {
    if (state.length !== this.stateSize) {
      throw new Error(`bouncing-sprites: state must have ${this.stateSize} entries, got ${state.length}`);
    }
    this.state.set(Array.from(state));
  }

  getFactors(): Record<string, FactorValue> {
    return structuredClone(this.values);
  }

  render(): Uint8Array {
    const canvas = createCanvas(3, this.size, this.size, this.values.backgroundColour as number[]);
    const r = this.radius();
    for (let k = this.sprites - 1; k >= 0; k--) {
      const x = this.state[4 * k];
      const y = this.state[4 * k + 1];
      if (this.drawsAppearance()) {
        const { shape, colour } = this.drawn[k];
        const s = this.extent(k);
        const inside = SHAPE_INSIDE[shape];
        drawShape(
          canvas,
          (px, py) => inside((px - x) / s, (py - y) / s),
          { x0: x - s, y0: y - s, x1: x + s, y1: y + s },
          colour,
        );
        continue;
      }
      const colour = (k === 0 ? this.values.agentColour : this.values.spriteColour) as number[];
      if (k % 2 === 0) drawDisk(canvas, x, y, r, colour);
      else drawRect(canvas, x - 0.85 * r, y - 0.85 * r, x + 0.85 * r, y + 0.85 * r, colour);
    }
    return quantize(canvas);
  }
}
