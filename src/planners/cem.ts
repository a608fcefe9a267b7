// The cross-entropy method (Rubinstein 1999; as used for latent planning by PlaNet, TD-MPC,
// DINO-WM and V-JEPA 2): refit a diagonal Gaussian over action sequences to its best samples.
//   1. mean = initMean, std = initStd, both [H, A] (a warm start passes last plan's mean shifted).
//   2. For each iteration i:
//      a. draw noise [N, H, A] ~ N(0, 1) from foldIn(key, i); candidates = clamp(mean + std * noise);
//      b. cost = cost(candidates) [N];
//      c. elites = the K candidates of lowest cost;
//      d. mean' = mean of elites; std' = std of elites (unbiased) + minStd;
//      e. mean = momentum * mean + (1 - momentum) * mean' (and std likewise with stdMomentum).
//   3. Return the best candidate seen, its cost, and the final mean and std.
import { foldIn, type Key, normalInto } from "../engine/index.ts";
import {
  type ActionBounds,
  type CostFn,
  clampActions,
  fillPlan,
  type IterationSamples,
  type IterationStats,
  type PlanResult,
  smallestK,
  takeRows,
} from "./plan-result.ts";

export interface CemOptions extends ActionBounds {
  horizon: number;
  actionDim: number;
  /** Candidates per iteration, N (default 300, the DINO-WM / P2 setting). */
  population?: number;
  iterations?: number;
  /** Elites per iteration, K (default 30). */
  elites?: number;
  /** Initial mean: a number, [A] or [H, A] (a warm start; default 0). */
  initMean?: number | ArrayLike<number>;
  /** Initial std: a number, [A] or [H, A] (default 1). */
  initStd?: number | ArrayLike<number>;
  /** Weight of the old mean in each update (0: replace it, as plain CEM). */
  momentum?: number;
  /** Weight of the old std in each update. */
  stdMomentum?: number;
  /** Added to the elites' std so the search never collapses to a point (default 1e-3). */
  minStd?: number;
  /** Keep every iteration's candidates, elites and costs in `history`. */
  keepHistory?: boolean;
}

/**
 * The standard normal noise [size] of CEM iteration `i` (shared with the fused CEM, so both draw
 * the same), written into `out` when given (a view of a larger buffer).
 */
export function iterationNoise(
  key: Key,
  iteration: number,
  size: number,
  out = new Float32Array(size),
): Float32Array {
  normalInto(foldIn(key, iteration), out.subarray(0, size));
  return out;
}

/** Mean and std (unbiased, + minStd) over the rows of elites [K, S]. */
export function eliteStats(
  elites: Float32Array,
  k: number,
  minStd: number,
): { mean: Float32Array; std: Float32Array } {
  const size = elites.length / k;
  const mean = new Float32Array(size);
  const std = new Float32Array(size);
  for (let j = 0; j < size; j++) {
    let s = 0;
    for (let r = 0; r < k; r++) s += elites[r * size + j];
    const m = s / k;
    let v = 0;
    for (let r = 0; r < k; r++) v += (elites[r * size + j] - m) ** 2;
    mean[j] = m;
    std[j] = Math.sqrt(v / Math.max(k - 1, 1)) + minStd;
  }
  return { mean, std };
}

/**
 * The next proposal: the elites' mean and std (+ minStd), each blended with the old one by
 * its momentum (0: replace it, as plain CEM).
 */
export function refit(
  elites: Float32Array,
  k: number,
  old: { mean: Float32Array; std: Float32Array },
  opts: { minStd: number; momentum: number; stdMomentum: number },
): { mean: Float32Array; std: Float32Array } {
  const fit = eliteStats(elites, k, opts.minStd);
  for (let j = 0; j < fit.mean.length; j++) {
    fit.mean[j] = opts.momentum * old.mean[j] + (1 - opts.momentum) * fit.mean[j];
    fit.std[j] = opts.stdMomentum * old.std[j] + (1 - opts.stdMomentum) * fit.std[j];
  }
  return fit;
}

/** Plans with CEM: returns the best candidate found and the final Gaussian (see the outline above). */
export async function cem(key: Key, cost: CostFn, opts: CemOptions): Promise<PlanResult> {
  const {
    horizon,
    actionDim,
    population = 300,
    iterations = 30,
    elites = 30,
    initMean = 0,
    initStd = 1,
    momentum = 0,
    stdMomentum = 0,
    minStd = 1e-3,
    keepHistory = false,
  } = opts;
  if (elites < 2 || elites > population) {
    throw new Error(`cem: elites ${elites} must be in [2, population = ${population}]`);
  }
  const size = horizon * actionDim;
  let mean = fillPlan(initMean, horizon, actionDim);
  let std = fillPlan(initStd, horizon, actionDim);
  const stats: IterationStats[] = [];
  const history: IterationSamples[] = [];
  let best = { actions: new Float32Array(mean), cost: Number.POSITIVE_INFINITY };
  for (let i = 0; i < iterations; i++) {
    // 2a. sample around the current Gaussian
    const candidates = iterationNoise(key, i, population * size);
    for (let j = 0; j < candidates.length; j++)
      candidates[j] = mean[j % size] + std[j % size] * candidates[j];
    clampActions(candidates, actionDim, opts);
    // 2b-c. score and select
    const costs = await cost(candidates);
    const top = smallestK(costs, elites);
    const eliteActions = takeRows(candidates, size, top);
    let eliteMean = 0;
    for (const r of top) eliteMean += costs[r] / elites;
    stats.push({ best: costs[top[0]], eliteMean });
    if (costs[top[0]] < best.cost) best = { actions: eliteActions.slice(0, size), cost: costs[top[0]] };
    if (keepHistory) history.push({ candidates, elites: eliteActions, costs: Float32Array.from(costs) });
    // 2d-e. refit, with optional momentum
    ({ mean, std } = refit(eliteActions, elites, { mean, std }, { minStd, momentum, stdMomentum }));
  }
  return {
    horizon,
    actionDim,
    actions: best.actions,
    cost: best.cost,
    mean,
    std,
    iterations: stats,
    costEvaluations: iterations * population,
    ...(keepHistory ? { history } : {}),
  };
}
