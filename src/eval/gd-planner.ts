// Gradient-based planning (Adam on the actions) with a trained world model, for P1 episodes
// and `jepa plan --planner gd`:
//   1. compileGradLatentWorld: the latent world of compileLatentWorld plus one compiled graph
//      with the rollout cost and its gradient with respect to the actions; its costs carry
//      that gradient (a DifferentiableCost), so any loop that hands a planner a CostFn can
//      hand gradientBoundPlanner a differentiable one;
//   2. gradientBoundPlanner: gradientPlan bound for MPC (restarts around the warm start);
//      evaluateP1 uses it for planner "gd".
import { constant, type HostTensor, mapTree, type Tensor, type Tree } from "../engine/index.ts";
import {
  type ActionBounds,
  type BoundPlanner,
  type CostFn,
  compileRolloutGradCost,
  type GradCostFn,
  gradientPlan,
} from "../planners/index.ts";
import { predict, type WorldModelConfig, type WorldModelParams } from "../world/index.ts";
import { compileLatentWorld, type LatentPlannerOptions, type LatentWorld } from "./latent-planner.ts";

/** A cost that carries its gradient: what the gradient planner needs from a world. */
export type DifferentiableCost = CostFn & { readonly gradient: GradCostFn };

/** A latent world whose costs are differentiable with respect to the actions. */
export interface GradLatentWorld extends LatentWorld {
  costFor(z0: Float32Array, goal: Float32Array): DifferentiableCost;
}

/** Attaches a gradient to a cost (the gradient's own cost output is not used by the planner loop). */
export function withGradient(cost: CostFn, gradient: GradCostFn): DifferentiableCost {
  const out = (actions: Float32Array) => cost(actions);
  return Object.assign(out, { gradient });
}

/**
 * A trained world model as a differentiable planning world: compileLatentWorld's encoder and
 * forward cost, and a second graph with the cost's gradient to actions [N, H, A].
 */
export async function compileGradLatentWorld(
  params: Tree<HostTensor>,
  config: WorldModelConfig,
  opts: LatentPlannerOptions,
): Promise<GradLatentWorld> {
  const base = await compileLatentWorld(params, config, opts);
  let inGraph: WorldModelParams<Tensor> | undefined;
  const grad = await compileRolloutGradCost(
    (z, a) => {
      inGraph ??= mapTree(params, (t) => constant(t)) as unknown as WorldModelParams<Tensor>;
      return predict(inGraph, z, a, config);
    },
    // every option of the forward cost (population, horizon, backend and any cost option)
    { ...opts, actionDim: config.actionDim, latentShape: [config.embedDim] },
  );
  return {
    accumulate: base.accumulate,
    embed: (observation) => base.embed(observation),
    costFor: (z0, goal) => withGradient(base.costFor(z0, goal), grad.gradCostFor(z0, goal)),
    async release() {
      await base.release();
      await grad.release();
    },
  };
}

export interface GradientBoundOptions extends ActionBounds {
  horizon: number;
  actionDim: number;
  /** Parallel restarts (the compiled graph's population). */
  population: number;
  /** Adam steps per plan. */
  iterations: number;
  learningRate: number;
  /** Spread of the restarts around the warm start. */
  initStd: number;
}

/**
 * gradientPlan as MPC's planner: restart 0 starts at the warm start (the previous plan
 * shifted), the others around it. The cost must be a DifferentiableCost.
 */
export function gradientBoundPlanner(o: GradientBoundOptions): BoundPlanner {
  return async (key, cost, warm) => {
    const gradient = (cost as Partial<DifferentiableCost>).gradient;
    if (!gradient) {
      throw new Error(
        "gradient planner: the cost has no gradient; build the world with compileGradLatentWorld (or wrap the cost with withGradient)",
      );
    }
    return gradientPlan(key, gradient, {
      horizon: o.horizon,
      actionDim: o.actionDim,
      population: o.population,
      iterations: o.iterations,
      learningRate: o.learningRate,
      initMean: warm ?? 0,
      initStd: o.initStd,
      low: o.low,
      high: o.high,
    });
  };
}
