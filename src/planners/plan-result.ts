// What every planner takes and returns: a cost over a population of action sequences, and a
// typed PlanResult (STYLE.md: algorithms return data; they never log or plot).
import type { Key } from "../engine/index.ts";

/** Scores a population: actions [N, H, A] row-major -> cost [N] (lower is better). */
export type CostFn = (actions: Float32Array) => Promise<Float32Array>;

/** A cost with its gradient: actions [N, H, A] -> cost [N] and d(sum cost)/d(actions) [N, H, A]. */
export type GradCostFn = (actions: Float32Array) => Promise<{ cost: Float32Array; grad: Float32Array }>;

/** Cost statistics of one planner iteration (for plotting convergence). */
export interface IterationStats {
  /** Lowest cost among this iteration's candidates. */
  best: number;
  /** Mean cost of the elites (CEM, iCEM), of the weighted population (MPPI) or of the batch (gradient). */
  eliteMean: number;
}

/** The candidates and elites of one iteration, kept only when `keepHistory` is set (for visualisation). */
export interface IterationSamples {
  /** [N, H, A] */
  candidates: Float32Array;
  /** [K, H, A], best first (MPPI: empty). */
  elites: Float32Array;
  /** [N] */
  costs: Float32Array;
}

/** The outcome of one planning call. */
export interface PlanResult {
  horizon: number;
  actionDim: number;
  /** The lowest-cost action sequence evaluated, [H, A]. */
  actions: Float32Array;
  /** Its cost. */
  cost: number;
  /** The final proposal mean [H, A] (the plan to execute for CEM-style planners). */
  mean: Float32Array;
  /** The final proposal standard deviation [H, A] (zeros for the gradient planner). */
  std: Float32Array;
  iterations: IterationStats[];
  /** Action sequences scored by the cost (population x calls). */
  costEvaluations: number;
  history?: IterationSamples[];
}

/** Bounds of actions: a box (scalars or per action dimension [A]) and a norm per step. */
export interface ActionBounds {
  low?: number | readonly number[];
  high?: number | readonly number[];
  /**
   * Largest Euclidean norm of one step's action [A] (after the box): longer steps are scaled
   * down to it, as an environment that clips the norm would (P1: 2.45 px). Default none.
   */
  maxNorm?: number;
}

/** A planner with its options bound, as MPC calls it: `warm` is the previous mean shifted. */
export type BoundPlanner = (key: Key, cost: CostFn, warm?: Float32Array) => Promise<PlanResult>;

/** Clamps actions [.., A] in place to the box (per dimension or scalar), then to maxNorm per step. */
export function clampActions(actions: Float32Array, actionDim: number, bounds: ActionBounds): void {
  const { low = Number.NEGATIVE_INFINITY, high = Number.POSITIVE_INFINITY } = bounds;
  for (let i = 0; i < actions.length; i++) {
    const d = i % actionDim;
    const lo = typeof low === "number" ? low : low[d];
    const hi = typeof high === "number" ? high : high[d];
    actions[i] = Math.min(Math.max(actions[i], lo), hi);
  }
  const { maxNorm } = bounds;
  if (maxNorm === undefined) return;
  if (!(maxNorm > 0)) throw new Error(`action bounds: maxNorm must be positive, got ${maxNorm}`);
  for (let i = 0; i < actions.length; i += actionDim) {
    let sq = 0;
    for (let d = 0; d < actionDim; d++) sq += actions[i + d] * actions[i + d];
    if (sq > maxNorm * maxNorm) {
      const f = maxNorm / Math.sqrt(sq);
      for (let d = 0; d < actionDim; d++) actions[i + d] *= f;
    }
  }
}

/** A filled [H, A] array: `value` may be a scalar, an [A] vector, or a full [H, A] array. */
export function fillPlan(
  value: number | ArrayLike<number>,
  horizon: number,
  actionDim: number,
): Float32Array {
  const out = new Float32Array(horizon * actionDim);
  if (typeof value === "number") return out.fill(value);
  if (value.length === actionDim) for (let i = 0; i < out.length; i++) out[i] = value[i % actionDim];
  else if (value.length === out.length) out.set(value);
  else {
    throw new Error(
      `plan init has ${value.length} values; pass a number, [A = ${actionDim}] or [H, A] = ${out.length} values`,
    );
  }
  return out;
}

/** Indices of the `k` smallest costs, best first (ties: lower index first, as ONNX TopK). */
export function smallestK(costs: Float32Array, k: number): number[] {
  const order = Array.from(costs.keys());
  order.sort((p, q) => costs[p] - costs[q] || p - q);
  return order.slice(0, k);
}

/** Copies the rows `rows` of a [N, S] array into a new [rows.length, S] array. */
export function takeRows(x: Float32Array, size: number, rows: readonly number[]): Float32Array {
  const out = new Float32Array(rows.length * size);
  for (let i = 0; i < rows.length; i++) out.set(x.subarray(rows[i] * size, (rows[i] + 1) * size), i * size);
  return out;
}

/**
 * Adapts a cost compiled for a fixed population to planners that score fewer candidates
 * (iCEM's shrinking population): pads with copies of the first candidate, drops their costs.
 */
export function fixedPopulation(
  cost: CostFn,
  population: number,
  horizon: number,
  actionDim: number,
): CostFn {
  const size = horizon * actionDim;
  return async (actions) => {
    const n = actions.length / size;
    if (n === population) return cost(actions);
    if (n > population)
      throw new Error(`fixedPopulation: ${n} candidates exceed the compiled population ${population}`);
    const padded = new Float32Array(population * size);
    padded.set(actions);
    for (let r = n; r < population; r++) padded.set(actions.subarray(0, size), r * size);
    return (await cost(padded)).slice(0, n);
  };
}
