// CEM with the whole loop in one graph: every iteration's sampling, clamping, population
// rollout, cost, elite selection (topK) and refit is unrolled into a single compiled graph,
// so one plan is one runtime call. The noise is drawn on the host from the key, exactly as
// cem.ts draws it, so the fused and the host loop agree for the same key.
//   1. Host: noise [I, N, H, A], iteration i from foldIn(key, i) (cem.ts: iterationNoise).
//   2. Graph, for each iteration i (the outline of cem.ts, step 2):
//      a. a = clamp(mean + std * noise[i]);  b. cost = rollout cost of a [N];
//      c. elites = a[topK(-cost, K)];        d-e. refit mean and std (with momentum).
//   3. Host: pick the best candidate over iterations from the per-iteration winners.
import {
  type Backend,
  compile,
  constant,
  hostTensor,
  type Key,
  ops,
  type Tensor,
  type TensorRecord,
} from "../engine/index.ts";
import { iterationNoise } from "./cem.ts";
import { type ActionBounds, fillPlan, type IterationSamples, type PlanResult } from "./plan-result.ts";
import { type LatentDistance, type LatentStep, rolloutCostGraph } from "./rollout-cost.ts";

export interface FusedCemOptions extends ActionBounds {
  horizon: number;
  actionDim: number;
  /** Shape of one latent, without the batch axis. */
  latentShape: readonly number[];
  backend: Backend;
  population?: number;
  iterations?: number;
  elites?: number;
  momentum?: number;
  stdMomentum?: number;
  minStd?: number;
  distance?: LatentDistance;
  /** See RolloutCostOptions.sharedStart. */
  sharedStart?: boolean;
  /** Also output every iteration's candidates, elites and costs (a larger read-back). */
  keepHistory?: boolean;
}

/** A compiled fused CEM: one graph run per plan. */
export interface FusedCem {
  /** Plans from z0 [...L] toward goal [...L]; init mean/std as in CemOptions (default 0 and 1). */
  plan(
    key: Key,
    z0: Float32Array,
    goal: Float32Array,
    init?: { mean?: number | ArrayLike<number>; std?: number | ArrayLike<number> },
  ): Promise<PlanResult>;
  release(): Promise<void>;
}

/** A bound as a scalar, or as a [1, 1, A] constant broadcasting over [N, H, A]. */
const boundTensor = (b: number | readonly number[]): Tensor | number =>
  typeof b === "number" ? b : constant(hostTensor([1, 1, b.length], b));

/** Compiles the whole CEM loop over the rollout of `step` into one graph (see the outline above). */
export async function compileFusedCem(step: LatentStep, opts: FusedCemOptions): Promise<FusedCem> {
  const {
    horizon,
    actionDim,
    latentShape,
    backend,
    population = 300,
    iterations = 30,
    elites = 30,
    momentum = 0,
    stdMomentum = 0,
    minStd = 1e-3,
    distance = "l2",
    sharedStart = false,
    keepHistory = false,
    low,
    high,
  } = opts;
  if (elites < 2 || elites > population) {
    throw new Error(`fused cem: elites ${elites} must be in [2, population = ${population}]`);
  }
  const size = horizon * actionDim;
  const graph = (i: TensorRecord): TensorRecord => {
    let mean = i.initMean; // [H, A]
    let std = i.initStd;
    // Per iteration, the elites' costs (best first) and actions; the host reads the best and
    // the elite mean cost from them (fewer small ops per iteration than slicing them here).
    const eliteCosts: Tensor[] = [];
    const eliteActions: Tensor[] = [];
    const history: { candidates: Tensor[]; costs: Tensor[] } = { candidates: [], costs: [] };
    for (let it = 0; it < iterations; it++) {
      const noise = ops.reshape(ops.slice(i.noise, 0, it, it + 1), [population, horizon, actionDim]);
      let a = ops.add(ops.mul(noise, std), mean); // 2a. [N, H, A]
      if (low !== undefined) a = ops.maximum(a, boundTensor(low));
      if (high !== undefined) a = ops.minimum(a, boundTensor(high));
      const cost = rolloutCostGraph(step, a, i.z0, i.goal, { distance, sharedStart }); // 2b. [N]
      const top = ops.topK(cost, elites, { largest: false }); // 2c. best first
      const chosen = ops.gather(ops.reshape(a, [population, size]), top.indices, 0); // [K, H*A]
      const fitMean = ops.mean(chosen, 0); // 2d. [H*A]
      const centered = ops.sub(chosen, fitMean);
      const fitStd = ops.add(ops.sqrt(ops.div(ops.sum(ops.mul(centered, centered), 0), elites - 1)), minStd);
      const m = ops.reshape(fitMean, [horizon, actionDim]);
      const s = ops.reshape(fitStd, [horizon, actionDim]);
      mean = momentum ? ops.add(ops.mul(mean, momentum), ops.mul(m, 1 - momentum)) : m; // 2e.
      std = stdMomentum ? ops.add(ops.mul(std, stdMomentum), ops.mul(s, 1 - stdMomentum)) : s;
      eliteCosts.push(ops.reshape(top.values, [1, elites]));
      eliteActions.push(ops.reshape(chosen, [1, elites, size]));
      if (keepHistory) {
        history.candidates.push(ops.reshape(a, [1, population, size]));
        history.costs.push(ops.reshape(cost, [1, population]));
      }
    }
    const out: TensorRecord = {
      mean,
      std,
      eliteCosts: ops.concat(eliteCosts, 0), // [I, K]
      elites: ops.concat(eliteActions, 0), // [I, K, H*A]
    };
    if (keepHistory) {
      out.candidates = ops.concat(history.candidates, 0);
      out.costs = ops.concat(history.costs, 0);
    }
    return out;
  };
  const latent = [1, ...latentShape];
  const compiled = await compile(
    graph,
    {
      noise: { shape: [iterations, population, horizon, actionDim] },
      initMean: { shape: [horizon, actionDim] },
      initStd: { shape: [horizon, actionDim] },
      z0: { shape: latent },
      goal: { shape: latent },
    },
    backend,
  );
  return {
    async plan(key, z0, goal, init = {}) {
      // 1. the same noise as cem.ts draws for this key
      const noise = new Float32Array(iterations * population * size);
      const perIteration = population * size;
      for (let it = 0; it < iterations; it++)
        iterationNoise(key, it, perIteration, noise.subarray(it * perIteration, (it + 1) * perIteration));
      const out = await compiled.run({
        noise: hostTensor([iterations, population, horizon, actionDim], noise),
        initMean: hostTensor([horizon, actionDim], fillPlan(init.mean ?? 0, horizon, actionDim)),
        initStd: hostTensor([horizon, actionDim], fillPlan(init.std ?? 1, horizon, actionDim)),
        z0: hostTensor(latent, z0),
        goal: hostTensor(latent, goal),
      });
      // 3. the best candidate over all iterations (each iteration's first elite)
      const costs = out.eliteCosts.data as Float32Array; // [I, K]
      const e = out.elites.data as Float32Array; // [I, K, H*A]
      const stats = Array.from({ length: iterations }, (_, it) => {
        let total = 0;
        for (let j = 0; j < elites; j++) total += costs[it * elites + j];
        return { best: costs[it * elites], eliteMean: total / elites };
      });
      let arg = 0;
      for (let it = 1; it < iterations; it++) if (stats[it].best < stats[arg].best) arg = it;
      let history: IterationSamples[] | undefined;
      if (keepHistory) {
        const c = out.candidates.data as Float32Array;
        const k = out.costs.data as Float32Array;
        history = Array.from({ length: iterations }, (_, it) => ({
          candidates: c.slice(it * population * size, (it + 1) * population * size),
          elites: e.slice(it * elites * size, (it + 1) * elites * size),
          costs: k.slice(it * population, (it + 1) * population),
        }));
      }
      return {
        horizon,
        actionDim,
        actions: e.slice(arg * elites * size, (arg * elites + 1) * size),
        cost: stats[arg].best,
        mean: out.mean.data as Float32Array,
        std: out.std.data as Float32Array,
        iterations: stats,
        costEvaluations: iterations * population,
        ...(history ? { history } : {}),
      };
    },
    release: () => compiled.release(),
  };
}
