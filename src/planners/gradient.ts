// Gradient-based planning: Adam (Kingma & Ba 2015) on the action sequences themselves,
// through a differentiable cost (a compiled rollout: compileRolloutGradCost), from several
// random starts in parallel (as in the gradient planners of DINO-WM and PLDM).
//   1. actions [N, H, A] = initMean + initStd * noise (noise from the key; N restarts).
//   2. For each iteration: cost, grad = gradCost(actions); Adam step on every entry
//      (m = b1 m + (1-b1) g; v = b2 v + (1-b2) g^2; a -= lr * m^ / (sqrt(v^) + eps));
//      clamp to the bounds.
//   3. Return the lowest-cost sequence seen (as `actions` and `mean`).
import { foldIn, type Key, normal } from "../engine/index.ts";
import {
  type ActionBounds,
  clampActions,
  fillPlan,
  type GradCostFn,
  type IterationSamples,
  type IterationStats,
  type PlanResult,
} from "./plan-result.ts";

export interface GradientPlanOptions extends ActionBounds {
  horizon: number;
  actionDim: number;
  /** Parallel restarts, N (must match a compiled cost's population; default 16). */
  population?: number;
  iterations?: number;
  learningRate?: number;
  beta1?: number;
  beta2?: number;
  epsilon?: number;
  initMean?: number | ArrayLike<number>;
  /** Spread of the restarts around initMean (default 0.5); restart 0 starts at initMean itself. */
  initStd?: number | ArrayLike<number>;
  keepHistory?: boolean;
}

/** Plans by Adam on the actions through `gradCost` (see the outline above). */
export async function gradientPlan(
  key: Key,
  gradCost: GradCostFn,
  opts: GradientPlanOptions,
): Promise<PlanResult> {
  const {
    horizon,
    actionDim,
    population = 16,
    iterations = 100,
    learningRate = 0.1,
    beta1 = 0.9,
    beta2 = 0.999,
    epsilon = 1e-8,
    initMean = 0,
    initStd = 0.5,
    keepHistory = false,
  } = opts;
  const size = horizon * actionDim;
  const mean0 = fillPlan(initMean, horizon, actionDim);
  const std0 = fillPlan(initStd, horizon, actionDim);
  // 1. restarts around the initial mean
  const noise = normal(foldIn(key, 0), population * size);
  const actions = Float32Array.from(noise, (z, j) => mean0[j % size] + (j < size ? 0 : std0[j % size] * z));
  clampActions(actions, actionDim, opts);
  const m = new Float64Array(actions.length);
  const v = new Float64Array(actions.length);
  const stats: IterationStats[] = [];
  const history: IterationSamples[] = [];
  let best = { actions: actions.slice(0, size), cost: Number.POSITIVE_INFINITY };
  for (let it = 1; it <= iterations; it++) {
    // 2. evaluate, remember the best, take an Adam step
    const { cost, grad } = await gradCost(actions);
    let lowest = 0;
    let total = 0;
    for (let n = 0; n < population; n++) {
      total += cost[n] / population;
      if (cost[n] < cost[lowest]) lowest = n;
    }
    stats.push({ best: cost[lowest], eliteMean: total });
    if (cost[lowest] < best.cost)
      best = { actions: actions.slice(lowest * size, (lowest + 1) * size), cost: cost[lowest] };
    if (keepHistory)
      history.push({
        candidates: actions.slice(),
        elites: new Float32Array(0),
        costs: Float32Array.from(cost),
      });
    const c1 = 1 - beta1 ** it;
    const c2 = 1 - beta2 ** it;
    for (let j = 0; j < actions.length; j++) {
      m[j] = beta1 * m[j] + (1 - beta1) * grad[j];
      v[j] = beta2 * v[j] + (1 - beta2) * grad[j] * grad[j];
      actions[j] -= (learningRate * (m[j] / c1)) / (Math.sqrt(v[j] / c2) + epsilon);
    }
    clampActions(actions, actionDim, opts);
  }
  // 3. the final iterate may beat every evaluated one; it was not scored, so keep the best seen
  return {
    horizon,
    actionDim,
    actions: best.actions,
    cost: best.cost,
    mean: best.actions.slice(),
    std: new Float32Array(size),
    iterations: stats,
    costEvaluations: iterations * population,
    ...(keepHistory ? { history } : {}),
  };
}
