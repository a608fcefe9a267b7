// Protocol P2 (PROTOCOLS.md): push-t, contact-rich manipulation from pixels. For each episode:
//   1. run the data policy (the scripted pusher) from a seeded reset for `startStep` steps:
//      that state is the start; `goalSteps` (25) more steps give the goal state and image;
//   2. MPC from the start: CEM (300 samples, 30 iterations, top 30) over `horizon` (5) pusher
//      moves, execute `executeSteps` (5) of them, replan, until success or the 50-step budget;
//   3. success when the block is within 20 units (512-unit arena) and pi/9 of the goal pose,
//      tested after every executed step.
// The planner searches pusher moves (per-step displacements, bounded by the data policy's
// largest move) and turns them into the env's absolute pusher targets from the pusher's
// position when the plan starts (proprioception, as the relative actions of DINO-WM's push-t);
// the executed targets are exactly the planned ones. What scores a candidate is a P2World:
// a learned latent world (pixels only: the current and goal images) or, as a ceiling and for
// tests, the true physics (oracleP2World).
import { foldIn, keyFromSeed } from "../engine/index.ts";
import {
  blockToWorld,
  deriveSeed,
  PUSH_T,
  PushT,
  pushTPusher,
  pushTSuccess,
  T_OUTLINE,
  wrapAngle,
} from "../envs/index.ts";
import { type BoundPlanner, type CostFn, cem, mpc } from "../planners/index.ts";
import type { LatentWorld } from "./latent-planner.ts";
import { wilsonInterval } from "./stats.ts";

export interface P2Settings {
  episodes: number;
  seed: number;
  /** Env steps per episode (P2: 50). */
  budget: number;
  /** Data-policy steps from the start to the goal (P2: 25). */
  goalSteps: number;
  /** Data-policy steps from the reset to the start (the pusher is then near the block). */
  startStep: number;
  horizon: number;
  population: number;
  iterations: number;
  elites: number;
  executeSteps: number;
  /** Image side of the observations (the model's input size). */
  imageSize: number;
  /** Bound on each planned pusher move per axis, arena units (the data policy moves at most 25). */
  maxMove: number;
  /** Initial CEM std of the moves, arena units. */
  initStd: number;
}

export const P2_DEFAULTS: P2Settings = {
  episodes: 50,
  seed: 0,
  budget: 50,
  goalSteps: 25,
  startStep: 10,
  horizon: 5,
  population: 300,
  iterations: 30,
  elites: 30,
  executeSteps: 5,
  imageSize: 32,
  maxMove: 25,
  initStd: 12,
};

/** P2 reduced for 2 CPU cores (report protocol "p2-push-t-quick"): not a P2 result. */
export const P2_QUICK: Partial<P2Settings> = { episodes: 10, population: 100, iterations: 10, elites: 10 };

/** One P2 episode: start and goal states, observations (start, goal) of the given size. */
export interface P2EpisodeSpec {
  seed: number;
  start: Float64Array;
  goal: Float64Array;
  startObservation: Uint8Array;
  goalObservation: Uint8Array;
}

const P2_STREAM = 0x9e2b7;

/** The P2 episode of `seed`: data-policy states `startStep` and `startStep + goalSteps` of a seeded run. */
export function sampleP2Episode(
  seed: number,
  opts: { size?: number; startStep?: number; goalSteps?: number } = {},
): P2EpisodeSpec {
  const {
    size = P2_DEFAULTS.imageSize,
    startStep = P2_DEFAULTS.startStep,
    goalSteps = P2_DEFAULTS.goalSteps,
  } = opts;
  const env = new PushT({ size });
  env.reset({ seed: deriveSeed(P2_STREAM, seed) });
  const policy = pushTPusher(env, deriveSeed(P2_STREAM, seed, 1));
  for (let t = 0; t < startStep; t++) env.step(policy.act());
  const start = env.getState();
  const startObservation = env.render();
  for (let t = 0; t < goalSteps; t++) env.step(policy.act());
  return { seed, start, goal: env.getState(), startObservation, goalObservation: env.render() };
}

/** Block position error (arena units) and absolute angle error (radians) of a state to a goal. */
export function pushTPoseError(state: ArrayLike<number>, goal: ArrayLike<number>) {
  return {
    position: Math.hypot(state[2] - goal[2], state[3] - goal[3]),
    angle: Math.abs(wrapAngle(state[4] - goal[4])),
  };
}

/** What a P2 planner looks at: the current image and, for the oracle only, the true state. */
export interface P2View {
  observation: Uint8Array;
  state: Float64Array;
}

/** Scores pusher-target sequences [N, H, 2] (absolute arena units) from `current` toward `goal`. */
export interface P2World {
  costFor(current: P2View, goal: P2View, horizon: number): Promise<CostFn>;
}

/**
 * A learned latent world for P2: embeds the current and goal images (never the state) and
 * scores targets scaled by the training preset's `actionScale` (push-t: 1/512).
 */
export function latentP2World(world: LatentWorld, opts: { actionScale?: number } = {}): P2World {
  const { actionScale = 1 } = opts;
  const goals = new WeakMap<Uint8Array, Float32Array>();
  return {
    async costFor(current, goal) {
      let g = goals.get(goal.observation);
      if (!g) {
        g = await world.embed(goal.observation);
        goals.set(goal.observation, g);
      }
      const cost = world.costFor(await world.embed(current.observation), g);
      return actionScale === 1 ? cost : (targets) => cost(targets.map((v) => v * actionScale));
    },
  };
}

/**
 * The true physics as a P2 cost (a planning ceiling and a test oracle): each candidate is
 * simulated from the current state; its cost is the mean distance of the T's outline corners
 * to where the goal pose puts them (position and angle in one unit), plus `pusherWeight`
 * times the pusher's distance to its goal position (a pull towards the block when no
 * candidate touches it).
 */
export function oracleP2World(opts: { pusherWeight?: number } = {}): P2World {
  const { pusherWeight = 0.1 } = opts;
  const env = new PushT({ size: 16 });
  return {
    async costFor(current, goal, horizon) {
      const g = goal.state;
      const corners = T_OUTLINE.map(([x, y]) => blockToWorld(x, y, g[2], g[3], g[4]));
      const start = Float64Array.from(current.state);
      return async (targets) => {
        const rows = targets.length / (2 * horizon);
        const cost = new Float32Array(rows);
        for (let n = 0; n < rows; n++) {
          env.setState(start);
          for (let t = 0; t < horizon; t++) {
            const j = 2 * (n * horizon + t);
            env.step([targets[j], targets[j + 1]]);
          }
          const st = env.getState();
          let d = 0;
          for (const [i, [x, y]] of T_OUTLINE.entries()) {
            const [wx, wy] = blockToWorld(x, y, st[2], st[3], st[4]);
            d += Math.hypot(wx - corners[i][0], wy - corners[i][1]) / T_OUTLINE.length;
          }
          cost[n] = d + pusherWeight * Math.hypot(st[0] - g[0], st[1] - g[1]);
        }
        return cost;
      };
    },
  };
}

/** One planned P2 episode. */
export interface P2Episode {
  seed: number;
  success: boolean;
  /** The start already met the success test (the block need only be left in place). */
  trivial: boolean;
  steps: number;
  positionError: number;
  angleError: number;
  start: number[];
  goal: number[];
  final: number[];
  /** [agentX, agentY, blockX, blockY, blockAngle] after every executed step. */
  path: number[][];
  startObservation: Uint8Array;
  goalObservation: Uint8Array;
  finalObservation: Uint8Array;
}

export interface P2Report {
  protocol: string;
  settings: P2Settings;
  seeds: number[];
  metrics: {
    success: number;
    mean_position_error: number;
    mean_angle_error: number;
    mean_steps: number;
    /** Share of episodes whose start already met the success test. */
    trivial: number;
  };
  ci95: { success: [number, number] };
  reference: { source: string; success: number; others: Record<string, number> };
  episodes: P2Episode[];
}

/** Pusher moves [N, H, 2] to absolute targets from `origin`: running sums, clamped to the arena. */
export function movesToTargets(moves: Float32Array, origin: readonly [number, number], horizon: number) {
  const out = new Float32Array(moves.length);
  const rows = moves.length / (2 * horizon);
  for (let n = 0; n < rows; n++) {
    let [x, y] = origin;
    for (let t = 0; t < horizon; t++) {
      const j = 2 * (n * horizon + t);
      x = Math.min(PUSH_T.arena, Math.max(0, x + moves[j]));
      y = Math.min(PUSH_T.arena, Math.max(0, y + moves[j + 1]));
      out[j] = x;
      out[j + 1] = y;
    }
  }
  return out;
}

export interface P2Options {
  /** Report name (default "p2-push-t"; reduced settings should say so). */
  protocol?: string;
  onEpisode?: (done: number, episode: P2Episode) => void;
}

/** Runs P2's episodes with `world` as the planner's cost (see the outline above). */
export async function evaluateP2(
  world: P2World,
  settings: Partial<P2Settings> = {},
  opts: P2Options = {},
): Promise<P2Report> {
  const s: P2Settings = { ...P2_DEFAULTS, ...settings };
  if (s.executeSteps > s.horizon)
    throw new Error(
      `p2: executeSteps ${s.executeSteps} exceeds the horizon ${s.horizon}; use at most the horizon`,
    );
  const planner: BoundPlanner = (key, cost) =>
    cem(key, cost, {
      horizon: s.horizon,
      actionDim: 2,
      population: s.population,
      iterations: s.iterations,
      elites: s.elites,
      initMean: 0,
      initStd: s.initStd,
      low: -s.maxMove,
      high: s.maxMove,
    });
  const episodes: P2Episode[] = [];
  for (let e = 0; e < s.episodes; e++) {
    const seed = s.seed * 100_000 + e;
    const ep = sampleP2Episode(seed, { size: s.imageSize, startStep: s.startStep, goalSteps: s.goalSteps });
    const env = new PushT({ size: s.imageSize });
    env.setState(ep.start);
    const goalView: P2View = { observation: ep.goalObservation, state: ep.goal };
    let observation = ep.startObservation;
    let origin: [number, number] = [ep.start[0], ep.start[1]];
    const path: number[][] = [];
    const result = await mpc(foldIn(keyFromSeed(s.seed), e), planner, {
      actionDim: 2,
      executeSteps: s.executeSteps,
      budget: s.budget,
      warmStart: false,
      async costFor() {
        const state = env.getState();
        origin = [state[0], state[1]];
        const cost = await world.costFor({ observation, state }, goalView, s.horizon);
        return (moves) => cost(movesToTargets(moves, origin, s.horizon));
      },
      step(moves) {
        const k = moves.length / 2;
        const targets = movesToTargets(moves, origin, k);
        for (let t = 0; t < k; t++) {
          observation = env.step([targets[2 * t], targets[2 * t + 1]]).observation;
          const st = env.getState();
          path.push([st[0], st[1], st[2], st[3], st[4]]);
          if (pushTSuccess(st, ep.goal)) return { done: true, taken: t + 1 };
        }
        return false;
      },
    });
    const final = env.getState();
    const err = pushTPoseError(final, ep.goal);
    const episode: P2Episode = {
      seed,
      success: pushTSuccess(final, ep.goal),
      trivial: pushTSuccess(ep.start, ep.goal),
      steps: result.steps,
      positionError: err.position,
      angleError: err.angle,
      start: Array.from(ep.start),
      goal: Array.from(ep.goal),
      final: Array.from(final),
      path,
      startObservation: ep.startObservation,
      goalObservation: ep.goalObservation,
      finalObservation: observation,
    };
    episodes.push(episode);
    opts.onEpisode?.(e + 1, episode);
  }
  const n = Math.max(episodes.length, 1);
  const k = episodes.filter((e) => e.success).length;
  const mean = (f: (e: P2Episode) => number) => episodes.reduce((a, e) => a + f(e), 0) / n;
  return {
    protocol: opts.protocol ?? "p2-push-t",
    settings: s,
    seeds: episodes.map((e) => e.seed),
    metrics: {
      success: k / n,
      mean_position_error: mean((e) => e.positionError),
      mean_angle_error: mean((e) => e.angleError),
      mean_steps: mean((e) => e.steps),
      trivial: mean((e) => (e.trivial ? 1 : 0)),
    },
    ci95: { success: wilsonInterval(k, episodes.length) },
    reference: {
      source: "stable-worldmodel, fixed 50-step budget (PROTOCOLS.md P2): LeWorldModel",
      success: 0.96,
      others: { PLDM: 0.78, "DINO-WM": 0.74 },
    },
    episodes,
  };
}
