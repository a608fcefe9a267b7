// Protocol P1 (PROTOCOLS.md): two-rooms navigation from pixels. For each episode seed:
//   1. sample a layout, a start and a goal in the other room (the agent must find the door);
//   2. embed the goal image once;
//   3. MPC: embed the current frame, plan `horizon` actions with CEM in latent space, execute
//      `executeSteps` of them, replan, until success or the 200-step budget (episodes plan in
//      lockstep, sharing graph runs, when the world has a grouped cost: see p1Groups);
//   4. success when the final distance to the goal is under 4.5 px (at 65 px, scaled).
import { foldIn, keyFromSeed } from "../engine/index.ts";
import { type Env, P1_BUDGET, sampleEvalEpisode, TwoRooms, twoRoomsSuccess } from "../envs/index.ts";
import { type BoundPlanner, type CostFn, CostBatcher, cem, icem, mpc, mppi } from "../planners/index.ts";
import { gradientBoundPlanner } from "./gd-planner.ts";
import type { LatentWorld } from "./latent-planner.ts";
import { wilsonInterval } from "./stats.ts";

export interface P1Settings {
  episodes: number;
  seed: number;
  budget: number;
  horizon: number;
  population: number;
  iterations: number;
  elites: number;
  executeSteps: number;
  imageSize: number;
  /**
   * "cem"; "mppi" (temperature-weighted, EB-JEPA's best); "icem" (colored noise, fixed
   * population); "gd": Adam on the actions through the rollout (population = restarts,
   * iterations = Adam steps; the world must come from compileGradLatentWorld).
   */
  planner: "cem" | "mppi" | "icem" | "gd";
  /** gd: Adam step size, in P1 px per step (scaled with the image like the action bound). */
  learningRate?: number;
  /** The world's latent cost ("final" or "sum" over the horizon); reports take it from the world. */
  cost?: "final" | "sum";
  /** Initial CEM std / MPPI noise std, in P1 px per step (scaled with the image). */
  noiseStd?: number;
  /** MPPI temperature (on the latent cost). */
  temperature?: number;
  /** iCEM noise color beta (1/f^beta). */
  beta?: number;
  /**
   * Longest step the planner proposes, in P1 px (scaled with the image): candidates are scaled
   * down to this norm before the model scores them. Default 2.45, the environment's own clip,
   * so the model scores the steps that will be executed.
   */
  maxStep?: number;
  /** The fixed-wall variant (a reduced setting: say so next to its numbers). Default false. */
  fixedWall?: boolean;
}

export const P1_DEFAULTS: P1Settings = {
  episodes: 50,
  seed: 0,
  budget: P1_BUDGET,
  horizon: 40,
  population: 200,
  iterations: 10,
  elites: 20,
  executeSteps: 10,
  imageSize: 64,
  planner: "cem",
};

/**
 * How many P1 episodes to plan in lockstep (compileLatentWorld's `groups`): as many as fit in
 * `rows` population rows per graph run, spread evenly over the waves (1 for the gd planner).
 */
export function p1Groups(settings: Partial<P1Settings>, rows = 10_000): number {
  const s = { ...P1_DEFAULTS, ...settings };
  if (s.planner === "gd") return 1;
  const most = Math.max(1, Math.floor(rows / s.population));
  const waves = Math.ceil(s.episodes / most);
  return Math.max(1, Math.ceil(s.episodes / waves));
}

/** What "gd" changes in P1_DEFAULTS: 16 restarts of 30 Adam steps at 0.3 px. */
export const P1_GD_DEFAULTS: Partial<P1Settings> = { population: 16, iterations: 30, learningRate: 0.3 };

export interface P1Episode {
  seed: number;
  success: boolean;
  steps: number;
  finalDistance: number;
  start: number[];
  goal: number[];
  /** Agent positions after every executed step. */
  path: number[][];
  goalObservation: Uint8Array;
  startObservation: Uint8Array;
  finalObservation: Uint8Array;
}

export interface P1Report {
  protocol: "p1-two-rooms";
  settings: P1Settings;
  seeds: number[];
  metrics: { success: number; mean_final_distance: number; mean_steps: number };
  ci95: { success: [number, number] };
  reference: { source: string; success: number; interval: [number, number] };
  episodes: P1Episode[];
}

/** The planner of the settings, bound for MPC (actions in px, clipped to the P1 step). */
export function p1Planner(s: P1Settings, scale: number): BoundPlanner {
  const common = {
    horizon: s.horizon,
    actionDim: 2,
    population: s.population,
    iterations: s.iterations,
    low: -2.45 * scale,
    high: 2.45 * scale,
    maxNorm: (s.maxStep ?? 2.45) * scale,
  };
  const std = (s.noiseStd ?? 1.5) * scale;
  if (s.planner === "gd")
    return gradientBoundPlanner({ ...common, learningRate: (s.learningRate ?? 0.3) * scale, initStd: std });
  if (s.planner === "mppi") {
    // The temperature is relative: costs are rescaled per call so that (median - min) = 1,
    // which makes it independent of the latent space's scale.
    const relative: (cost: CostFn) => CostFn = (cost) => async (actions) => {
      const c = await cost(actions);
      const sorted = Float32Array.from(c).sort();
      const spread = sorted[sorted.length >> 1] - sorted[0] || 1;
      return c.map((v) => (v - sorted[0]) / spread);
    };
    return (key, cost, warm) =>
      mppi(key, relative(cost), {
        ...common,
        temperature: s.temperature ?? 0.01,
        noiseStd: std,
        initMean: warm ?? 0,
      });
  }
  if (s.planner === "icem") {
    return (key, cost, warm) =>
      icem(key, cost, {
        ...common,
        populationDecay: 1, // the compiled cost has a fixed population
        elites: s.elites,
        beta: s.beta ?? 1,
        initMean: warm ?? 0,
        initStd: std,
      });
  }
  return (key, cost, warm) =>
    cem(key, cost, { ...common, elites: s.elites, initMean: warm ?? 0, initStd: std });
}

/** Binds a planning cost to a start and a goal latent. */
export type CostOf = (z0: Float32Array, goal: Float32Array) => CostFn;

/**
 * Runs episodes 0..count-1 with `run`. With a grouped cost (compileLatentWorld's `groups`),
 * up to G episodes plan in lockstep and share each cost graph run; every episode keeps its
 * own key, so its plans do not depend on the grouping. Results come back in episode order.
 */
export async function planEpisodes<T>(
  world: LatentWorld,
  s: P1Settings,
  count: number,
  run: (e: number, costOf: CostOf) => Promise<T>,
  onEpisode?: (done: number, result: T) => void,
): Promise<T[]> {
  const grouped = s.planner === "gd" ? undefined : world.grouped;
  if (grouped && (grouped.population !== s.population || grouped.horizon !== s.horizon)) {
    throw new Error(
      `p1: the world's grouped cost is compiled for population ${grouped.population} and horizon ${grouped.horizon}, the settings ask for ${s.population} and ${s.horizon}; compile the world with the settings' values`,
    );
  }
  const wave = grouped?.groups ?? 1;
  const results: T[] = new Array(count);
  let done = 0;
  for (let first = 0; first < count; first += wave) {
    const size = Math.min(wave, count - first);
    const batcher = grouped ? new CostBatcher(grouped) : undefined;
    for (let slot = 0; slot < size; slot++) batcher?.join(slot);
    await Promise.all(
      Array.from({ length: size }, async (_, slot) => {
        const e = first + slot;
        try {
          results[e] = await run(e, (z0, goal) =>
            batcher ? batcher.costFor(slot, z0, goal) : world.costFor(z0, goal),
          );
        } finally {
          batcher?.leave(slot);
        }
        onEpisode?.(++done, results[e]);
      }),
    );
  }
  return results;
}

/**
 * What the planner sees of an episode: a wrapper of its env (P4 perturbs every observation;
 * the physics stays the env's), with the goal image rendered through it when `goal` is set.
 */
export interface EpisodeView {
  wrap(env: TwoRooms): Env;
  goal: boolean;
}

/**
 * One P1 episode: MPC with `planner` on the cost that `costOf` binds to a start and goal
 * latent; through `view` when given (P4), else on the env's own observations.
 */
export async function runP1Episode(
  world: LatentWorld,
  s: P1Settings,
  planner: BoundPlanner,
  e: number,
  costOf: CostOf,
  view?: EpisodeView,
): Promise<P1Episode> {
  const seed = s.seed * 100_000 + e;
  const ep = sampleEvalEpisode(seed, { size: s.imageSize, fixedWall: s.fixedWall ?? false });
  const base = new TwoRooms({ size: s.imageSize, fixedWall: s.fixedWall ?? false });
  const env: Env = view ? view.wrap(base) : base;
  env.reset({ seed });
  let goalObservation = ep.goalObservation;
  if (view?.goal) {
    env.setState(ep.goal);
    goalObservation = env.render();
  }
  env.setState(ep.start);
  const goalZ = await world.embed(goalObservation);
  let observation = env.render();
  const path: number[][] = [];
  const result = await mpc(foldIn(keyFromSeed(s.seed), e), planner, {
    actionDim: 2,
    executeSteps: s.executeSteps,
    budget: s.budget,
    costFor: async () => costOf(await world.embed(observation), goalZ),
    step(actions) {
      for (let k = 0; k < actions.length / 2; k++) {
        observation = env.step([actions[2 * k], actions[2 * k + 1]]).observation;
        const st = env.getState();
        path.push([st[0], st[1]]);
        if (twoRoomsSuccess(st, ep.goal, s.imageSize)) return { done: true, taken: k + 1 };
      }
      return false;
    },
  });
  const final = env.getState();
  return {
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
}

export async function evaluateP1(
  world: LatentWorld,
  settings: Partial<P1Settings> = {},
  onEpisode?: (done: number, episode: P1Episode) => void,
): Promise<P1Report> {
  const s = { ...P1_DEFAULTS, ...settings };
  const scale = s.imageSize / 65;
  const planner = p1Planner(s, scale);
  const episodes = await planEpisodes(
    world,
    s,
    s.episodes,
    (e, costOf) => runP1Episode(world, s, planner, e, costOf),
    onEpisode,
  );
  const k = episodes.filter((e) => e.success).length;
  return {
    protocol: "p1-two-rooms",
    settings: { ...s, cost: world.accumulate ?? "final" },
    seeds: episodes.map((e) => e.seed),
    metrics: {
      success: k / episodes.length,
      mean_final_distance: episodes.reduce((a, e) => a + e.finalDistance, 0) / episodes.length,
      mean_steps: episodes.reduce((a, e) => a + e.steps, 0) / episodes.length,
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
