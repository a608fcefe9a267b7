// The two-rooms world as the page shows it and as the model sees it. The model's view is the
// same scene with the Break view's perturbations applied: factor perturbations (background
// colour, agent size) re-render the scene through the env's visual factors; pixel
// perturbations are applied to the rendered frame (scene effects first, then camera effects).
// Neither touches the physics: the agent moves the same whatever the model sees.
import {
  type FactorPerturbation,
  type FactorValue,
  type PixelPerturbation,
  perturbedFactors,
  perturbFrame,
  TwoRooms,
  toRgb,
} from "../../src/envs/index.ts";
import type { PerturbationSettings } from "./protocol.ts";

/** The perturbations the Break view offers, in the order pixel effects are applied. */
export const BREAK_PERTURBATIONS = [
  { kind: "background-colour", label: "background colour", factor: true },
  { kind: "agent-size", label: "agent size", factor: true },
  { kind: "occlusion", label: "occlusion", factor: false },
  { kind: "distractor", label: "distractor", factor: false },
  { kind: "blur", label: "blur", factor: false },
  { kind: "gaussian-noise", label: "noise", factor: false },
] as const;

/** Fixed seed of the perturbations (occluder place, distractor path, noise stream). */
const PERTURBATION_SEED = 7;
/** The distractor looks like a second agent (the agent channel at full intensity). */
const DISTRACTOR_COLOUR = [255, 0];

export interface SceneOptions {
  size: number;
  fixedWall: boolean;
}

export class Scene {
  readonly env: TwoRooms;
  private readonly seen: TwoRooms;
  private readonly pixel: { kind: PixelPerturbation; severity: number }[] = [];
  readonly perturbed: boolean;

  constructor(
    readonly options: SceneOptions,
    perturbation: PerturbationSettings = {},
  ) {
    this.env = new TwoRooms(options);
    this.seen = new TwoRooms(options);
    const base = Object.fromEntries(this.env.factors.map((f) => [f.name, f.default])) as Record<
      string,
      FactorValue
    >;
    let factors: Record<string, FactorValue> = {};
    for (const p of BREAK_PERTURBATIONS) {
      const severity = perturbation[p.kind] ?? 0;
      if (severity <= 0) continue;
      if (p.factor)
        factors = {
          ...factors,
          ...perturbedFactors(this.env, p.kind as FactorPerturbation, severity, base),
        };
      else this.pixel.push({ kind: p.kind as PixelPerturbation, severity });
    }
    this.seen.reset({ seed: 0, options: { factors } });
    this.perturbed = this.pixel.length > 0 || Object.keys(factors).length > 0;
  }

  get size(): number {
    return this.options.size;
  }

  /** A new layout and agent start from the seed. */
  reset(seed: number): Float64Array {
    this.env.reset({ seed });
    return this.env.getState();
  }

  /** Renders what the model sees in `state` at time t (the clean frame when nothing is perturbed). */
  seenFrame(state: ArrayLike<number>, t: number): Uint8Array {
    this.seen.setState(state);
    let frame = this.seen.render();
    const shape = this.seen.observationSpace.shape;
    for (const { kind, severity } of this.pixel)
      frame = perturbFrame(frame, shape, kind, severity, PERTURBATION_SEED, { t, colour: DISTRACTOR_COLOUR });
    return frame;
  }

  cleanFrame(state: ArrayLike<number>): Uint8Array {
    const keep = this.env.getState();
    this.env.setState(state);
    const frame = this.env.render();
    this.env.setState(keep);
    return frame;
  }

  rgb(frame: Uint8Array): Uint8Array {
    return toRgb(frame, this.env.observationSpace.shape);
  }

  /** The free interior of the room holding (x, y), or undefined inside a wall. */
  roomAt(x: number, y: number): [number, number, number, number] | undefined {
    for (const room of [0, 1] as const) {
      const [x0, y0, x1, y1] = this.env.roomBounds(room, this.env.scale);
      if (x >= x0 && x <= x1 && y >= y0 && y <= y1) return [x0, y0, x1, y1];
    }
    return undefined;
  }
}
