// The environment contract: Gymnasium's reset/step with named fields, plus the true
// low-dimensional state (for probes, goals and evaluation starts) and named visual factors.

/** A factor value: a scalar (a size, a thickness) or a colour with one entry per channel. */
export type FactorValue = number | number[];

/** One named factor of variation, settable at reset with `options.factors`. */
export interface FactorSpec {
  name: string;
  default: FactorValue;
  /** True when the factor changes the dynamics (wall thickness); false for rendering only. */
  physical: boolean;
  description: string;
}

/** Channel-first image observations `[C, H, W]` of bytes. */
export interface ObservationSpace {
  shape: number[];
  dtype: "uint8";
}

/** A box of continuous actions `[A]`; `A` may be 0 for worlds without control. */
export interface ActionSpace {
  shape: [number];
  low: number[];
  high: number[];
}

/** Options every environment's `reset` understands; each env documents its own keys too. */
export interface ResetOptions {
  seed?: number;
  options?: Record<string, unknown>;
}

export interface ResetResult {
  observation: Uint8Array;
  info: Record<string, unknown>;
}

export interface StepResult {
  observation: Uint8Array;
  reward: number;
  terminated: boolean;
  truncated: boolean;
  info: Record<string, unknown>;
}

/**
 * A seeded, deterministic environment. The same seed and actions give identical observation
 * bytes; `setState(getState())` leaves the next step unchanged.
 */
export interface Env {
  /** The registry name, e.g. "two-rooms". */
  readonly id: string;
  readonly observationSpace: ObservationSpace;
  readonly actionSpace: ActionSpace;
  /** Length of the state vector, and a name for each entry (e.g. "agentX"). */
  readonly stateSize: number;
  readonly stateNames: readonly string[];
  /** Named factors of variation (P4), settable at reset via `options: { factors: {...} }`. */
  readonly factors: readonly FactorSpec[];
  reset(opts?: ResetOptions): ResetResult;
  step(action: ArrayLike<number>): StepResult;
  /** The true state, a fresh copy (safe to keep). */
  getState(): Float64Array;
  /** Sets the true state (an evaluation start or goal); the next observation reflects it. */
  setState(state: ArrayLike<number>): void;
  /** The current observation, re-rendered from the state with the current factors. */
  render(): Uint8Array;
  /** The factor values of the current episode. */
  getFactors(): Record<string, FactorValue>;
}

/**
 * Resolves the factor values of an episode: the defaults overridden by `options.factors`.
 * Throws on an unknown factor name or a colour of the wrong length, naming the fix.
 */
export function resolveFactors(
  envId: string,
  specs: readonly FactorSpec[],
  options: Record<string, unknown> | undefined,
): Record<string, FactorValue> {
  const given = (options?.factors ?? {}) as Record<string, unknown>;
  const out: Record<string, FactorValue> = {};
  for (const spec of specs) out[spec.name] = spec.default;
  for (const [name, value] of Object.entries(given)) {
    const spec = specs.find((s) => s.name === name);
    if (!spec) {
      const known = specs.map((s) => s.name).join(", ");
      throw new Error(`${envId}: unknown factor "${name}"; known factors: ${known}`);
    }
    if (Array.isArray(spec.default)) {
      const len = spec.default.length;
      if (!Array.isArray(value) || value.length !== len || value.some((v) => typeof v !== "number")) {
        throw new Error(`${envId}: factor "${name}" must be an array of ${len} numbers`);
      }
      out[name] = value.slice() as number[];
    } else {
      if (typeof value !== "number" || !Number.isFinite(value)) {
        throw new Error(`${envId}: factor "${name}" must be a finite number`);
      }
      out[name] = value;
    }
  }
  return out;
}

/** Reads a numeric option with a default, throwing a one-line error on a wrong type. */
export function numberOption(
  envId: string,
  options: Record<string, unknown>,
  key: string,
  fallback: number,
): number {
  const v = options[key];
  if (v === undefined) return fallback;
  if (typeof v !== "number" || !Number.isFinite(v))
    throw new Error(`${envId}: option "${key}" must be a number`);
  return v;
}
