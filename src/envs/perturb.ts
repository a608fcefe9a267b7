// Visual perturbations of P4 (after ImageNet-C and stable-worldmodel), severities 1..5.
// Pixel perturbations are pure functions of (frame, kind, severity, seed, t); factor
// perturbations (background colour, agent colour, agent size) re-render the scene through
// the env's non-physical factors. Neither ever touches the physics.
import type { Env, FactorValue, ResetOptions, ResetResult, StepResult } from "./env.ts";
import { deriveSeed, Random } from "./random.ts";

export type PixelPerturbation =
  | "gaussian-noise"
  | "blur"
  | "brightness"
  | "contrast"
  | "occlusion"
  | "distractor"
  | "background-shift";
export type FactorPerturbation = "background-colour" | "agent-colour" | "agent-size";
export type PerturbationKind = PixelPerturbation | FactorPerturbation;

export const PIXEL_PERTURBATIONS: readonly PixelPerturbation[] = [
  "gaussian-noise",
  "blur",
  "brightness",
  "contrast",
  "occlusion",
  "distractor",
  "background-shift",
];
export const FACTOR_PERTURBATIONS: readonly FactorPerturbation[] = [
  "background-colour",
  "agent-colour",
  "agent-size",
];
/** P4's list: every kind the stress test runs (the frame-level background shift is for stored frames). */
export const PERTURBATIONS: readonly PerturbationKind[] = [
  "gaussian-noise",
  "blur",
  "brightness",
  "contrast",
  "occlusion",
  "distractor",
  "background-colour",
  "agent-colour",
  "agent-size",
];

/** Severity tables, index severity - 1. Lengths in px are at 64 px and scale with the image. */
export const SEVERITY = {
  /** Noise std as a fraction of 255 (ImageNet-C's gaussian_noise). */
  noise: [0.08, 0.12, 0.18, 0.26, 0.38],
  /** Gaussian blur sigma, px. */
  blur: [0.5, 0.8, 1.2, 1.7, 2.5],
  /** Added brightness, fraction of 255. */
  brightness: [0.1, 0.2, 0.3, 0.4, 0.5],
  /** Contrast kept around the channel mean (ImageNet-C's contrast). */
  contrast: [0.4, 0.3, 0.2, 0.1, 0.05],
  /** Side of the occluding square, fraction of the image side. */
  occlusion: [0.1, 0.15, 0.2, 0.25, 0.3],
  /** Distractor dot sigma (px) and speed (px per step). */
  distractorSigma: [1.0, 1.3, 1.6, 2.0, 2.5],
  distractorSpeed: [0.5, 1, 1.5, 2, 2.5],
  /** Background / colour shift towards the far end of each channel, fraction of 255 / of the way. */
  backgroundShift: [0.1, 0.2, 0.3, 0.4, 0.5],
  agentColour: [0.2, 0.35, 0.5, 0.65, 0.8],
  /** Multiplier of the agent's drawn size. */
  agentSize: [1.25, 1.5, 1.75, 2.0, 2.5],
} as const;

function checkSeverity(severity: number): number {
  if (!Number.isInteger(severity) || severity < 1 || severity > 5) {
    throw new Error(`severity must be an integer 1..5, got ${severity}`);
  }
  return severity - 1;
}

const clamp = (v: number): number => (v <= 0 ? 0 : v >= 255 ? 255 : Math.round(v));

function gaussianBlur(frame: Uint8Array, c: number, h: number, w: number, sigma: number): Uint8Array {
  const radius = Math.ceil(3 * sigma);
  const kernel = Float64Array.from({ length: 2 * radius + 1 }, (_, k) =>
    Math.exp(-((k - radius) ** 2) / (2 * sigma * sigma)),
  );
  const total = kernel.reduce((a, b) => a + b, 0);
  for (let k = 0; k < kernel.length; k++) kernel[k] /= total;
  const tmp = new Float64Array(c * h * w);
  const out = new Uint8Array(c * h * w);
  // Separable: rows then columns, edges clamped.
  for (let ch = 0; ch < c; ch++) {
    const o = ch * h * w;
    for (let i = 0; i < h; i++)
      for (let j = 0; j < w; j++) {
        let s = 0;
        for (let k = -radius; k <= radius; k++)
          s += kernel[k + radius] * frame[o + i * w + Math.min(w - 1, Math.max(0, j + k))];
        tmp[o + i * w + j] = s;
      }
    for (let i = 0; i < h; i++)
      for (let j = 0; j < w; j++) {
        let s = 0;
        for (let k = -radius; k <= radius; k++)
          s += kernel[k + radius] * tmp[o + Math.min(h - 1, Math.max(0, i + k)) * w + j];
        out[o + i * w + j] = clamp(s);
      }
  }
  return out;
}

/** Position of a point bouncing in [lo, hi] after moving `distance` from `start` (a triangle wave). */
function bounce(start: number, distance: number, lo: number, hi: number): number {
  const span = hi - lo;
  let u = (((start - lo + distance) % (2 * span)) + 2 * span) % (2 * span);
  if (u > span) u = 2 * span - u;
  return lo + u;
}

/** Options of the frame-level perturbation. */
export interface PerturbFrameOptions {
  /** Step index within the episode: moves the distractor and redraws the noise (default 0). */
  t?: number;
  /** Distractor colour, one value per channel (default 255 everywhere). */
  colour?: number[];
}

/**
 * Applies a pixel perturbation to one frame `[C, H, W]` and returns a new frame. A pure
 * function of (frame, kind, severity, seed, t): the occluder stays put for a given seed, the
 * distractor moves with t, the noise is fresh for every t.
 */
export function perturbFrame(
  frame: Uint8Array,
  shape: readonly number[],
  kind: PixelPerturbation,
  severity: number,
  seed: number,
  opts: PerturbFrameOptions = {},
): Uint8Array {
  const { t = 0, colour } = opts;
  const s = checkSeverity(severity);
  const [c, h, w] = shape;
  if (frame.length !== c * h * w) throw new Error(`frame has ${frame.length} bytes, expected ${c}x${h}x${w}`);
  const plane = h * w;
  const scale = h / 64;
  const rng = new Random(deriveSeed(seed, 0x9e37));
  switch (kind) {
    case "gaussian-noise": {
      const noise = new Random(deriveSeed(seed, t, 1));
      const std = SEVERITY.noise[s] * 255;
      return frame.map((v) => clamp(v + noise.normal(0, std)));
    }
    case "blur":
      return gaussianBlur(frame, c, h, w, SEVERITY.blur[s] * scale);
    case "brightness": {
      const add = SEVERITY.brightness[s] * 255;
      return frame.map((v) => clamp(v + add));
    }
    case "contrast": {
      const out = new Uint8Array(frame.length);
      for (let ch = 0; ch < c; ch++) {
        let mean = 0;
        for (let k = 0; k < plane; k++) mean += frame[ch * plane + k];
        mean /= plane;
        for (let k = 0; k < plane; k++)
          out[ch * plane + k] = clamp((frame[ch * plane + k] - mean) * SEVERITY.contrast[s] + mean);
      }
      return out;
    }
    case "occlusion": {
      const side = Math.round(SEVERITY.occlusion[s] * h);
      const i0 = rng.int(h - side + 1);
      const j0 = rng.int(w - side + 1);
      const out = frame.slice();
      for (let ch = 0; ch < c; ch++)
        for (let i = i0; i < i0 + side; i++)
          out.fill(128, ch * plane + i * w + j0, ch * plane + i * w + j0 + side);
      return out;
    }
    case "distractor": {
      const sigma = SEVERITY.distractorSigma[s] * scale;
      const speed = SEVERITY.distractorSpeed[s] * scale;
      const margin = 2 * sigma;
      const x0 = rng.uniform(margin, w - margin);
      const y0 = rng.uniform(margin, h - margin);
      const heading = rng.uniform(-Math.PI, Math.PI);
      const x = bounce(x0, t * speed * Math.cos(heading), margin, w - margin);
      const y = bounce(y0, t * speed * Math.sin(heading), margin, h - margin);
      const out = frame.slice();
      const reach = Math.ceil(4 * sigma);
      for (let i = Math.max(0, Math.floor(y) - reach); i < Math.min(h, Math.floor(y) + reach + 1); i++)
        for (let j = Math.max(0, Math.floor(x) - reach); j < Math.min(w, Math.floor(x) + reach + 1); j++) {
          const a = Math.exp(-((j + 0.5 - x) ** 2 + (i + 0.5 - y) ** 2) / (2 * sigma * sigma));
          for (let ch = 0; ch < c; ch++) {
            const k = ch * plane + i * w + j;
            out[k] = clamp(out[k] + ((colour?.[ch] ?? 255) - out[k]) * a);
          }
        }
      return out;
    }
    case "background-shift": {
      // The background is the most common pixel colour; shift exactly those pixels.
      const counts = new Map<string, number>();
      const key = (k: number) => Array.from({ length: c }, (_, ch) => frame[ch * plane + k]).join(",");
      for (let k = 0; k < plane; k++) counts.set(key(k), (counts.get(key(k)) ?? 0) + 1);
      const mode = [...counts.entries()].reduce((a, b) => (b[1] > a[1] ? b : a))[0];
      const shifted = shiftColour(mode.split(",").map(Number), SEVERITY.backgroundShift[s]);
      const out = frame.slice();
      for (let k = 0; k < plane; k++)
        if (key(k) === mode) for (let ch = 0; ch < c; ch++) out[ch * plane + k] = shifted[ch];
      return out;
    }
    default:
      throw new Error(`unknown pixel perturbation "${kind}"; known: ${PIXEL_PERTURBATIONS.join(", ")}`);
  }
}

/** Shifts each channel by `amount * 255` towards the far end of its range (up if below 128). */
export function shiftColour(colour: number[], amount: number): number[] {
  return colour.map((v) => clamp(v + (v < 128 ? 1 : -1) * amount * 255));
}

/** The env's visual factor that a factor perturbation changes; throws if the env lacks it. */
function factorOf(env: Env, kind: FactorPerturbation): string {
  const name =
    kind === "background-colour" ? "backgroundColour" : kind === "agent-colour" ? "agentColour" : "agentSize";
  const spec = env.factors.find((f) => f.name === name);
  if (!spec || spec.physical)
    throw new Error(`${env.id} has no visual factor "${name}" for the ${kind} perturbation`);
  return name;
}

/** The factor override of a factor perturbation, from the episode's base factor values. */
export function perturbedFactors(
  env: Env,
  kind: FactorPerturbation,
  severity: number,
  base: Record<string, FactorValue>,
): Record<string, FactorValue> {
  const s = checkSeverity(severity);
  const name = factorOf(env, kind);
  const value = base[name];
  if (kind === "agent-size") return { [name]: (value as number) * SEVERITY.agentSize[s] };
  if (kind === "background-colour")
    return { [name]: shiftColour(value as number[], SEVERITY.backgroundShift[s]) };
  const f = SEVERITY.agentColour[s];
  return { [name]: (value as number[]).map((v) => clamp(v + f * (255 - 2 * v))) };
}

export interface PerturbOptions {
  kind: PerturbationKind;
  severity: number;
  /** Seed of the perturbation (occluder place, distractor path, noise); mixed with the reset seed. */
  seed?: number;
}

/**
 * Wraps an env so that every observation it returns is perturbed; state, actions and
 * dynamics are the wrapped env's, untouched. The distractor takes the agent's colour when
 * the env has one, so it looks like a second agent.
 */
export function perturb(env: Env, opts: PerturbOptions): Env {
  const { kind, severity, seed = 0 } = opts;
  checkSeverity(severity);
  const isFactor = (FACTOR_PERTURBATIONS as readonly string[]).includes(kind);
  if (!isFactor && !(PIXEL_PERTURBATIONS as readonly string[]).includes(kind)) {
    throw new Error(`unknown perturbation "${kind}"; known: ${PERTURBATIONS.join(", ")}`);
  }
  if (isFactor) factorOf(env, kind as FactorPerturbation);
  let t = 0;
  let episodeSeed = seed;
  const shape = env.observationSpace.shape;
  const view = (frame: Uint8Array): Uint8Array => {
    if (isFactor) return frame;
    const colour = env.getFactors().agentColour;
    return perturbFrame(frame, shape, kind as PixelPerturbation, severity, episodeSeed, {
      t,
      colour: Array.isArray(colour) && colour.length === shape[0] ? colour : undefined,
    });
  };
  return {
    id: env.id,
    observationSpace: env.observationSpace,
    actionSpace: env.actionSpace,
    stateSize: env.stateSize,
    stateNames: env.stateNames,
    factors: env.factors,
    reset(resetOpts: ResetOptions = {}): ResetResult {
      t = 0;
      if (resetOpts.seed !== undefined) episodeSeed = deriveSeed(seed, resetOpts.seed);
      let options = resetOpts.options;
      if (isFactor) {
        const given = (options?.factors ?? {}) as Record<string, FactorValue>;
        const base: Record<string, FactorValue> = {};
        for (const f of env.factors) base[f.name] = given[f.name] ?? f.default;
        options = {
          ...options,
          factors: { ...given, ...perturbedFactors(env, kind as FactorPerturbation, severity, base) },
        };
      }
      const result = env.reset({ ...resetOpts, options });
      return { ...result, observation: view(result.observation) };
    },
    step(action: ArrayLike<number>): StepResult {
      const result = env.step(action);
      t++;
      return { ...result, observation: view(result.observation) };
    },
    getState: () => env.getState(),
    setState: (state) => env.setState(state),
    render: () => view(env.render()),
    getFactors: () => env.getFactors(),
  };
}
