// iCEM, the improved cross-entropy method (Pinneri et al., CoRL 2020): CEM with temporally
// correlated (colored) noise, a population that shrinks over iterations, and elites carried
// over from one iteration to the next.
//   1. mean = initMean, std = initStd, both [H, A].
//   2. For each iteration i:
//      a. N_i = max(minPopulation, round(N * decay^-i)); noise [N_i, H, A] ~ 1/f^beta from
//         foldIn(key, i); candidates = clamp(mean + std * noise);
//      b. at the last iteration the mean itself is a candidate too (so it is never lost);
//      c. cost = cost(candidates); pool = candidates + the kept elites of iteration i - 1
//         (their costs are known: the cost is deterministic);
//      d. elites = the K lowest-cost members of the pool; keep the best keepElites * K of them;
//      e. refit mean and std to the elites (unbiased std + minStd), with momentum.
//   3. Return the best sequence seen and the final Gaussian.
import { foldIn, type Key } from "../engine/index.ts";
import { refit } from "./cem.ts";
import { coloredNoise } from "./colored-noise.ts";
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

export interface IcemOptions extends ActionBounds {
  horizon: number;
  actionDim: number;
  /** Candidates of the first iteration (default 300). */
  population?: number;
  /** Population shrink factor per iteration, gamma (default 1.25, the paper's). */
  populationDecay?: number;
  /** Floor of the population (default 2 * elites). */
  minPopulation?: number;
  iterations?: number;
  elites?: number;
  /** Noise color: power spectrum ~ 1/f^beta along the horizon (default 2: smooth actions). */
  beta?: number;
  /** Fraction of elites carried into the next iteration, xi (default 0.3). */
  keepElites?: number;
  initMean?: number | ArrayLike<number>;
  initStd?: number | ArrayLike<number>;
  /** Weight of the old mean and std in each refit (default 0.1, the paper's). */
  momentum?: number;
  minStd?: number;
  keepHistory?: boolean;
}

/** Plans with iCEM (see the outline above). The cost is called with varying population sizes. */
export async function icem(key: Key, cost: CostFn, opts: IcemOptions): Promise<PlanResult> {
  const {
    horizon,
    actionDim,
    population = 300,
    populationDecay = 1.25,
    iterations = 10,
    elites = 30,
    minPopulation = 2 * elites,
    beta = 2,
    keepElites = 0.3,
    initMean = 0,
    initStd = 1,
    momentum = 0.1,
    minStd = 1e-3,
    keepHistory = false,
  } = opts;
  const size = horizon * actionDim;
  let mean = fillPlan(initMean, horizon, actionDim);
  let std = fillPlan(initStd, horizon, actionDim);
  let kept: { actions: Float32Array; costs: Float32Array } = {
    actions: new Float32Array(0),
    costs: new Float32Array(0),
  };
  const stats: IterationStats[] = [];
  const history: IterationSamples[] = [];
  let best = { actions: new Float32Array(mean), cost: Number.POSITIVE_INFINITY };
  let evaluations = 0;
  for (let i = 0; i < iterations; i++) {
    // 2a. colored samples from a shrinking population
    const n = Math.max(minPopulation, Math.round(population * populationDecay ** -i));
    const candidates = coloredNoise(foldIn(key, i), beta, n, horizon, actionDim);
    for (let j = 0; j < candidates.length; j++)
      candidates[j] = mean[j % size] + std[j % size] * candidates[j];
    if (i === iterations - 1) candidates.set(mean, 0); // 2b.
    clampActions(candidates, actionDim, opts);
    // 2c. score the new samples; pool them with the kept elites
    const costs = await cost(candidates);
    evaluations += n;
    const poolActions = new Float32Array(candidates.length + kept.actions.length);
    poolActions.set(candidates);
    poolActions.set(kept.actions, candidates.length);
    const poolCosts = new Float32Array(n + kept.costs.length);
    poolCosts.set(costs);
    poolCosts.set(kept.costs, n);
    // 2d. elites, and the share of them carried over
    const k = Math.min(elites, poolCosts.length);
    const top = smallestK(poolCosts, k);
    const eliteActions = takeRows(poolActions, size, top);
    const reuse = top.slice(0, Math.round(keepElites * k));
    kept = {
      actions: takeRows(poolActions, size, reuse),
      costs: Float32Array.from(reuse, (r) => poolCosts[r]),
    };
    let eliteMean = 0;
    for (const r of top) eliteMean += poolCosts[r] / k;
    stats.push({ best: poolCosts[top[0]], eliteMean });
    if (poolCosts[top[0]] < best.cost)
      best = { actions: eliteActions.slice(0, size), cost: poolCosts[top[0]] };
    if (keepHistory) history.push({ candidates, elites: eliteActions, costs: Float32Array.from(costs) });
    // 2e. refit with momentum
    ({ mean, std } = refit(eliteActions, k, { mean, std }, { minStd, momentum, stdMomentum: momentum }));
  }
  return {
    horizon,
    actionDim,
    actions: best.actions,
    cost: best.cost,
    mean,
    std,
    iterations: stats,
    costEvaluations: evaluations,
    ...(keepHistory ? { history } : {}),
  };
}
