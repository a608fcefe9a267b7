// Gradient-based planning (Adam on the actions) with a trained world model, for P1 episodes
// and `jepa plan --planner gd`:
//   1. compileGradLatentWorld: the latent world of compileLatentWorld plus one compiled graph
//      with the rollout cost and its gradient with respect to the actions; its costs carry
//      that gradient (a DifferentiableCost), so any loop that hands a planner a CostFn can
//      hand gradientBoundPlanner a differentiable one;
//   2. gradientBoundPlanner: gradientPlan bound for MPC (restarts around the warm start);
//   3. evaluateP1Gd: P1's episode loop (as evaluateP1 runs it) with the gradient planner.
import {
  constant,
  foldIn,
  type HostTensor,
  keyFromSeed,
  mapTree,
  type Tensor,
  type Tree,
} from "../engine/index.ts";
import { P1_BUDGET, sampleEvalEpisode, TwoRooms, twoRoomsSuccess } from "../envs/index.ts";
import {
  type ActionBounds,
  type BoundPlanner,
  type CostFn,
  compileRolloutGradCost,
  type GradCostFn,
  gradientPlan,
  mpc,
} from "../planners/index.ts";
import { predict, type WorldModelConfig, type WorldModelParams } from "../world/index.ts";
import { compileLatentWorld, type LatentPlannerOptions, type LatentWorld } from "./latent-planner.ts";
import { P1_DEFAULTS, type P1Episode, type P1Report, type P1Settings } from "./p1-two-rooms.ts";
import { wilsonInterval } from "./stats.ts";

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

/** P1 settings with the gradient planner: population = restarts, iterations = Adam steps. */
export interface P1GdSettings extends Omit<P1Settings, "planner" | "elites" | "temperature" | "beta"> {
  planner: "gd";
  /** Adam step size, in P1 px per step (scaled with the image like the action bound). */
  learningRate: number;
}

const { planner: _sampling, elites: _elites, ...P1_COMMON } = P1_DEFAULTS;

export const P1_GD_DEFAULTS: P1GdSettings = {
  ...P1_COMMON,
  planner: "gd",
  budget: P1_BUDGET,
  population: 16,
  iterations: 30,
  learningRate: 0.3,
  noiseStd: 1.5,
};

export interface P1GdReport extends Omit<P1Report, "settings"> {
  settings: P1GdSettings;
}

/**
 * P1 episodes planned by gradient descent on the actions: the same episodes, MPC loop,
 * success test and report as evaluateP1 (the loop is evaluateP1's; see that file).
 */
export async function evaluateP1Gd(
  world: GradLatentWorld,
  settings: Partial<P1GdSettings> = {},
  onEpisode?: (done: number, episode: P1Episode) => void,
): Promise<P1GdReport> {
  const s: P1GdSettings = { ...P1_GD_DEFAULTS, ...settings, planner: "gd" };
  const scale = s.imageSize / 65;
  const planner = gradientBoundPlanner({
    horizon: s.horizon,
    actionDim: 2,
    population: s.population,
    iterations: s.iterations,
    learningRate: s.learningRate * scale,
    initStd: (s.noiseStd ?? 1.5) * scale,
    low: -2.45 * scale,
    high: 2.45 * scale,
  });
  const episodes: P1Episode[] = [];
  for (let e = 0; e < s.episodes; e++) {
    const seed = s.seed * 100_000 + e;
    const fixedWall = s.fixedWall ?? false;
    const ep = sampleEvalEpisode(seed, { size: s.imageSize, fixedWall });
    const env = new TwoRooms({ size: s.imageSize, fixedWall });
    env.reset({ seed });
    env.setState(ep.start);
    const goalZ = await world.embed(ep.goalObservation);
    let observation = env.render();
    const path: number[][] = [];
    const result = await mpc(foldIn(keyFromSeed(s.seed), e), planner, {
      actionDim: 2,
      executeSteps: s.executeSteps,
      budget: s.budget,
      costFor: async () => world.costFor(await world.embed(observation), goalZ),
      step(actions) {
        for (let k = 0; k < actions.length / 2; k++) {
          observation = env.step([actions[2 * k], actions[2 * k + 1]]).observation;
          const st = env.getState();
          path.push([st[0], st[1]]);
          if (twoRoomsSuccess(st, ep.goal, s.imageSize)) return true;
        }
        return false;
      },
    });
    const final = env.getState();
    const episode: P1Episode = {
      seed,
      success: twoRoomsSuccess(final, ep.goal, s.imageSize),
      steps: result.steps,
      finalDistance: Math.hypot(final[0] - ep.goal[0], final[1] - ep.goal[1]),
      start: Array.from(ep.start),
      goal: Array.from(ep.goal),
      path,
      goalObservation: ep.goalObservation,
      startObservation: ep.startObservation,
      finalObservation: observation,
    };
    episodes.push(episode);
    onEpisode?.(e + 1, episode);
  }
  const k = episodes.filter((e) => e.success).length;
  const n = Math.max(episodes.length, 1);
  return {
    protocol: "p1-two-rooms",
    settings: s,
    seeds: episodes.map((e) => e.seed),
    metrics: {
      success: k / n,
      mean_final_distance: episodes.reduce((a, e) => a + e.finalDistance, 0) / n,
      mean_steps: episodes.reduce((a, e) => a + e.steps, 0) / n,
    },
    ci95: { success: wilsonInterval(k, episodes.length) },
    reference: {
      source: "EB-JEPA (CEM, horizon 90, 200 samples, 20 iterations), PROTOCOLS.md P1",
      success: 0.96,
      interval: [0.94, 0.98],
    },
    episodes,
  };
}
