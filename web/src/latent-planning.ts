// Planning in latent space for the page: CEM over a compiled population rollout cost (or the
// whole CEM loop fused into one graph, `fused`), plus a
// display graph that rolls the drawn candidates out so a linear probe can place them on the
// map. MPC, as in protocol P1:
//   1. embed the goal frame once;
//   2. embed the current frame, plan H actions with CEM, warm-started from the last plan;
//   3. execute the first `executeSteps` actions of the plan's mean, then replan;
//   4. stop at success (within 4.5 px at 65 px) or when the step budget is spent.
import {
  type Backend,
  type Compiled,
  compile,
  constant,
  foldIn,
  type HostTensor,
  hostTensor,
  type Key,
  mapTree,
  ops,
  type Tensor,
  type Tree,
} from "../../src/engine/index.ts";
import { P1, twoRoomsSuccess } from "../../src/envs/index.ts";
import { cem, compileFusedCem, compileRolloutCost, type PlanResult } from "../../src/planners/index.ts";
import { predict, rollout, type WorldModelConfig, type WorldModelParams } from "../../src/world/index.ts";
import type { LinearProbe } from "./linear-probe.ts";
import type { PlanSettings, PlanStepEvent } from "./protocol.ts";
import type { Scene } from "./scene.ts";

/** Candidates drawn per replan (a sample of the population; the elites are drawn as well). */
export const DRAWN_CANDIDATES = 24;

export interface LatentPlanner {
  readonly settings: PlanSettings;
  plan(key: Key, z0: Float32Array, goal: Float32Array, warm?: Float32Array): Promise<PlanResult>;
  /** Predicted embeddings [M, H, D] of actions [M, H, A] from z0 [D] (M = drawn rows). */
  rollout(z0: Float32Array, actions: Float32Array): Promise<Float32Array>;
  release(): Promise<void>;
}

export async function compileLatentPlanner(
  params: Tree<HostTensor>,
  config: WorldModelConfig,
  settings: PlanSettings,
  backend: Backend,
  /** `fused` (default): the whole CEM loop in one graph run; otherwise one run per CEM iteration. */
  opts: { keepHistory?: boolean; fused?: boolean } = {},
): Promise<LatentPlanner> {
  const { keepHistory = true, fused: useFused = true } = opts;
  const { horizon, population, iterations, elites } = settings;
  const D = config.embedDim;
  const A = config.actionDim;
  const scale = config.observation[1] / P1.referenceSize;
  const constants = () => mapTree(params, (t) => constant(t)) as unknown as WorldModelParams<Tensor>;
  let inGraph: WorldModelParams<Tensor> | undefined;
  const step = (z: Tensor, a: Tensor) => {
    inGraph ??= constants();
    return predict(inGraph, z, a, config);
  };
  const bounds = { low: -P1.maxStep * scale, high: P1.maxStep * scale };
  const fused = useFused
    ? await compileFusedCem(step, {
        horizon,
        actionDim: A,
        latentShape: [D],
        backend,
        population,
        iterations,
        elites,
        ...bounds,
        keepHistory,
      })
    : undefined;
  const cost = useFused
    ? undefined
    : await compileRolloutCost(step, { population, horizon, actionDim: A, latentShape: [D], backend });
  const rows = DRAWN_CANDIDATES + elites + 1;
  const display: Compiled = await compile(
    (i) => {
      const p = constants();
      return rollout(p, ops.broadcastTo(i.z0, [rows, D]), i.actions, config);
    },
    { z0: { shape: [1, D] }, actions: { shape: [rows, horizon, A] } },
    backend,
  );
  const initStd = 1.5 * scale;
  return {
    settings,
    plan: (key, z0, goal, warm) =>
      fused
        ? fused.plan(key, z0, goal, { mean: warm ?? 0, std: initStd })
        : cem(key, cost!.costFor(z0, goal), {
            horizon,
            actionDim: A,
            population,
            iterations,
            elites,
            ...bounds,
            initMean: warm ?? 0,
            initStd,
            keepHistory,
          }),
    async rollout(z0, actions) {
      const out = await display.run({
        z0: hostTensor([1, D], z0),
        actions: hostTensor([rows, horizon, A], actions),
      });
      return Float32Array.from(out.output.data as Float32Array);
    },
    async release() {
      await fused?.release();
      await cost?.release();
      await display.release();
    },
  };
}

export interface EpisodeOptions {
  scene: Scene;
  start: ArrayLike<number>;
  goal: ArrayLike<number>;
  embed: (frame: Uint8Array) => Promise<Float32Array>;
  planner: LatentPlanner;
  key: Key;
  /** Decodes embeddings to positions for drawing; no drawing events without it. */
  probe?: LinearProbe;
  onStep?: (event: PlanStepEvent) => void;
  shouldStop?: () => boolean;
}

export interface EpisodeResult {
  success: boolean;
  steps: number;
  finalDistance: number;
  path: number[][];
  plans: number;
  planSeconds: number;
}

/** Rows [M][H][2] of positions decoded from embeddings [M, H, D]. */
function decodeRows(probe: LinearProbe, z: Float32Array, m: number, h: number, d: number): number[][][] {
  const out: number[][][] = [];
  for (let r = 0; r < m; r++) {
    const row: number[][] = [];
    for (let t = 0; t < h; t++) row.push(probe.apply(z.subarray((r * h + t) * d, (r * h + t + 1) * d)));
    out.push(row);
  }
  return out;
}

/** One MPC episode (the outline above); the scene's env is moved to `start` first. */
export async function runEpisode(o: EpisodeOptions): Promise<EpisodeResult> {
  const { scene, planner, probe } = o;
  const { horizon: H, executeSteps, budget, elites: K } = planner.settings;
  const env = scene.env;
  const A = 2;
  env.setState(o.start);
  const goalState = Float64Array.from(env.getState());
  goalState[0] = o.goal[0];
  goalState[1] = o.goal[1];
  const goalZ = await o.embed(scene.seenFrame(goalState, 0));
  const path: number[][] = [[o.start[0], o.start[1]]];
  let steps = 0;
  let plans = 0;
  let planSeconds = 0;
  let warm: Float32Array | undefined;
  let done = twoRoomsSuccess(env.getState(), goalState, scene.size);
  while (!done && steps < budget && !o.shouldStop?.()) {
    const seen = scene.seenFrame(env.getState(), steps);
    const z0 = await o.embed(seen);
    const t0 = performance.now();
    const plan = await planner.plan(foldIn(o.key, plans), z0, goalZ, warm);
    const planMs = performance.now() - t0;
    planSeconds += planMs / 1000;
    plans++;
    if (probe && o.onStep && plan.history) {
      // Draw a sample of the last iteration's candidates, its elites and the chosen plan.
      const last = plan.history[plan.history.length - 1];
      const rows = DRAWN_CANDIDATES + K + 1;
      const actions = new Float32Array(rows * H * A);
      const stride = Math.max(1, Math.floor(last.candidates.length / (H * A) / DRAWN_CANDIDATES));
      for (let r = 0; r < DRAWN_CANDIDATES; r++)
        actions.set(last.candidates.subarray(r * stride * H * A, (r * stride + 1) * H * A), r * H * A);
      actions.set(last.elites.subarray(0, K * H * A), DRAWN_CANDIDATES * H * A);
      actions.set(plan.mean, (rows - 1) * H * A);
      const decoded = decodeRows(probe, await planner.rollout(z0, actions), rows, H, z0.length);
      const here = env.getState();
      const withStart = (r: number[][]) => [[here[0], here[1]], ...r];
      o.onStep({
        candidates: decoded.slice(0, DRAWN_CANDIDATES).map(withStart),
        elites: decoded.slice(DRAWN_CANDIDATES, DRAWN_CANDIDATES + K).map(withStart),
        chosen: withStart(decoded[rows - 1]),
        path: path.map((p) => [...p]),
        state: Array.from(here),
        rgb: scene.rgb(scene.cleanFrame(here)),
        seenRgb: scene.rgb(seen),
        planMs,
        replans: plans,
      });
    }
    const k = Math.min(executeSteps, budget - steps);
    for (let s = 0; s < k && !done; s++) {
      env.step([plan.mean[s * A], plan.mean[s * A + 1]]);
      steps++;
      const st = env.getState();
      path.push([st[0], st[1]]);
      done = twoRoomsSuccess(st, goalState, scene.size);
    }
    // Warm start: the unexecuted tail of the mean, padded with zeros.
    warm = new Float32Array(H * A);
    warm.set(plan.mean.subarray(k * A));
  }
  const final = env.getState();
  return {
    success: twoRoomsSuccess(final, goalState, scene.size),
    steps,
    finalDistance: Math.hypot(final[0] - goalState[0], final[1] - goalState[1]),
    path,
    plans,
    planSeconds,
  };
}
