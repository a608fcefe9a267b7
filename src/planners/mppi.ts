// Model predictive path integral control (Williams et al. 2017; the MPPI of TD-MPC and
// EB-JEPA): the new plan is an average of noisy candidates weighted by exp(-cost / lambda).
//   1. mean = initMean [H, A].
//   2. For each iteration i:
//      a. noise [N, H, A] ~ N(0, 1) from foldIn(key, i); candidates = clamp(mean + noiseStd * noise);
//      b. cost = cost(candidates) [N];
//      c. weights w_n = softmax(-(cost_n - min cost) / temperature);
//      d. mean = sum_n w_n candidates_n.
//   3. Return the best candidate seen and the final mean (the plan to execute).
import type { Key } from "../engine/index.ts";
import { iterationNoise } from "./cem.ts";
import {
  type ActionBounds,
  type CostFn,
  clampActions,
  fillPlan,
  type IterationSamples,
  type IterationStats,
  type PlanResult,
} from "./plan-result.ts";

export interface MppiOptions extends ActionBounds {
  horizon: number;
  actionDim: number;
  population?: number;
  iterations?: number;
  /** lambda: lower concentrates the weight on the best candidates (default 1). */
  temperature?: number;
  /** Std of the exploration noise: a number, [A] or [H, A] (default 1). */
  noiseStd?: number | ArrayLike<number>;
  initMean?: number | ArrayLike<number>;
  keepHistory?: boolean;
}

/** Plans with MPPI (see the outline above). */
export async function mppi(key: Key, cost: CostFn, opts: MppiOptions): Promise<PlanResult> {
  const {
    horizon,
    actionDim,
    population = 300,
    iterations = 10,
    temperature = 1,
    noiseStd = 1,
    initMean = 0,
    keepHistory = false,
  } = opts;
  if (!(temperature > 0)) throw new Error(`mppi: temperature must be positive, got ${temperature}`);
  const size = horizon * actionDim;
  const std = fillPlan(noiseStd, horizon, actionDim);
  let mean = fillPlan(initMean, horizon, actionDim);
  const stats: IterationStats[] = [];
  const history: IterationSamples[] = [];
  let best = { actions: new Float32Array(mean), cost: Number.POSITIVE_INFINITY };
  for (let i = 0; i < iterations; i++) {
    // 2a.
    const candidates = iterationNoise(key, i, population * size);
    for (let j = 0; j < candidates.length; j++)
      candidates[j] = mean[j % size] + std[j % size] * candidates[j];
    clampActions(candidates, actionDim, opts);
    // 2b-c. softmax weights, shifted by the minimum for stability
    const costs = await cost(candidates);
    let lowest = 0;
    for (let n = 1; n < population; n++) if (costs[n] < costs[lowest]) lowest = n;
    const weights = Float64Array.from(costs, (c) => Math.exp(-(c - costs[lowest]) / temperature));
    const total = weights.reduce((a, b) => a + b, 0);
    // 2d. weighted average
    const next = new Float64Array(size);
    let weightedCost = 0;
    for (let n = 0; n < population; n++) {
      const w = weights[n] / total;
      weightedCost += w * costs[n];
      for (let j = 0; j < size; j++) next[j] += w * candidates[n * size + j];
    }
    mean = Float32Array.from(next);
    stats.push({ best: costs[lowest], eliteMean: weightedCost });
    if (costs[lowest] < best.cost)
      best = { actions: candidates.slice(lowest * size, (lowest + 1) * size), cost: costs[lowest] };
    if (keepHistory)
      history.push({ candidates, elites: new Float32Array(0), costs: Float32Array.from(costs) });
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
