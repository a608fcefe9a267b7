// A world-model-agnostic planning cost compiled to one graph: roll a whole population of
// action sequences through a latent step function from a start latent and score the final
// latent against a goal latent. One graph run per planner iteration.
//   1. Broadcast the start latent z0 [1, ...L] to the population (or keep it shared, below);
//      with G groups (G planning problems in one run, e.g. G episodes), z0 and the goal are
//      [G, ...L] and group g owns population rows g*N/G .. (g+1)*N/G - 1.
//   2. For t = 0..H-1: z = step(z, actions[:, t]).
//   3. cost = sum over latent axes of (z_H - goal)^2 ("l2") or |z_H - goal| ("l1"); with
//      accumulate "sum", the distances of every predicted z_1..z_H are added (EB-JEPA's
//      sum_all_diffs), which rewards reaching the goal early and staying there.
import {
  type Backend,
  type Compiled,
  compile,
  grad,
  hostTensor,
  ops,
  type Tensor,
  type TensorRecord,
} from "../engine/index.ts";
import type { CostFn, GradCostFn } from "./plan-result.ts";

/** A latent transition: z [N, ...L] (or [1, ...L], see `sharedStart`), a [N, A] -> z' [N, ...L]. */
export type LatentStep = (z: Tensor, a: Tensor) => Tensor;

export type LatentDistance = "l2" | "l1";

export interface RolloutCostOptions {
  population: number;
  horizon: number;
  actionDim: number;
  /** Shape of one latent, without the batch axis (e.g. [128]). */
  latentShape: readonly number[];
  backend: Backend;
  /** "l2": squared Euclidean distance (as DINO-WM and the cem_plan reference); "l1": sum of |.|. */
  distance?: LatentDistance;
  /**
   * Pass the start latent to the first step as [1, ...L] instead of broadcasting it to
   * [N, ...L]. A step that broadcasts (z @ Wz + a @ Wa rather than concat) then computes the
   * start's share once for the whole population.
   */
  sharedStart?: boolean;
  /** "final": distance of z_H only (default); "sum": distances of z_1..z_H added. */
  accumulate?: CostAccumulation;
  /**
   * Independent planning problems scored in one graph run (default 1): z0 and goal become
   * [G, ...L] and the population N is per group (actions [G * N, H, A]). See compileGroupedCost.
   */
  groups?: number;
}

export type CostAccumulation = "final" | "sum";

/**
 * Graph code: the cost [N] of actions [N, H, A] rolled out by `step` from z0 [1, ...L] to
 * the goal [1, ...L]. Shared by the compiled cost and the fused CEM.
 */
export function rolloutCostGraph(
  step: LatentStep,
  actions: Tensor,
  z0: Tensor,
  goal: Tensor,
  opts: { distance?: LatentDistance; sharedStart?: boolean; accumulate?: CostAccumulation } = {},
): Tensor {
  const { distance = "l2", sharedStart = false, accumulate = "final" } = opts;
  const [n, horizon, actionDim] = actions.shape;
  const latent = z0.shape.slice(1);
  const groups = z0.shape[0];
  if (n % groups !== 0 || goal.shape[0] !== groups) {
    throw new Error(
      `rollout cost: ${n} action rows, start [${z0.shape}] and goal [${goal.shape}]; pass G starts and G goals with N a multiple of G`,
    );
  }
  // [G, ...L] -> [N, ...L], group g repeated over its N / G rows.
  const perRow = (v: Tensor): Tensor =>
    v.shape[0] === n
      ? v
      : groups === 1
        ? ops.broadcastTo(v, [n, ...latent])
        : ops.reshape(
            ops.broadcastTo(ops.reshape(v, [groups, 1, ...latent]), [groups, n / groups, ...latent]),
            [n, ...latent],
          );
  const target = groups === 1 ? goal : perRow(goal);
  const score = (z: Tensor): Tensor => {
    const full = z.shape[0] === n ? z : perRow(z); // a step that ignores actions
    const d = ops.sub(full, target);
    const per = distance === "l2" ? ops.mul(d, d) : ops.abs(d);
    return latent.length
      ? ops.sum(
          per,
          latent.map((_, i) => i + 1),
        )
      : per; // [N]
  };
  if (sharedStart && groups !== 1) throw new Error("rollout cost: sharedStart needs one group");
  let z = sharedStart ? z0 : perRow(z0);
  let total: Tensor | undefined;
  for (let t = 0; t < horizon; t++) {
    z = step(z, ops.reshape(ops.slice(actions, 1, t, t + 1), [n, actionDim]));
    if (accumulate === "sum") total = total ? ops.add(total, score(z)) : score(z);
  }
  return total ?? score(z);
}

/** A compiled rollout cost: bind a start and a goal latent to get a planner's `CostFn`. */
export interface RolloutCost {
  /** The cost of actions [N, H, A] from z0 [...L] toward goal [...L] (one graph run per call). */
  costFor(z0: Float32Array, goal: Float32Array): CostFn;
  readonly compiled: Compiled;
  release(): Promise<void>;
}

/**
 * Compiles the population rollout of `step` over the horizon and its distance to a goal
 * latent into one graph with inputs actions [N, H, A], z0 [1, ...L] and goal [1, ...L].
 */
export async function compileRolloutCost(step: LatentStep, opts: RolloutCostOptions): Promise<RolloutCost> {
  const { population, horizon, actionDim, latentShape, backend, distance = "l2", sharedStart = false } = opts;
  const latent = [1, ...latentShape];
  const compiled = await compile(
    (i: TensorRecord) => ({
      cost: rolloutCostGraph(step, i.actions, i.z0, i.goal, {
        distance,
        sharedStart,
        accumulate: opts.accumulate,
      }),
    }),
    { actions: { shape: [population, horizon, actionDim] }, z0: { shape: latent }, goal: { shape: latent } },
    backend,
  );
  const latentSize = latent.reduce((a, b) => a * b, 1);
  return {
    compiled,
    costFor(z0, goal) {
      for (const [name, v] of [
        ["z0", z0],
        ["goal", goal],
      ] as const) {
        if (v.length !== latentSize) {
          throw new Error(
            `rollout cost: ${name} has ${v.length} values; pass one latent of shape [${latentShape}]`,
          );
        }
      }
      const feeds = { z0: hostTensor(latent, z0), goal: hostTensor(latent, goal) };
      const size = population * horizon * actionDim;
      return async (actions) => {
        if (actions.length !== size) {
          throw new Error(
            `rollout cost: got ${actions.length} action values; pass [N, H, A] = [${population}, ${horizon}, ${actionDim}]`,
          );
        }
        const out = await compiled.run({
          ...feeds,
          actions: { shape: [population, horizon, actionDim], dtype: "float32", data: actions },
        });
        return out.cost.data as Float32Array;
      };
    },
    release: () => compiled.release(),
  };
}

/** A compiled rollout cost with its gradient with respect to the actions (for gradientPlan). */
export interface RolloutGradCost {
  /** cost [N] and d(sum cost)/d(actions) [N, H, A] from z0 toward goal (one graph run per call). */
  gradCostFor(z0: Float32Array, goal: Float32Array): GradCostFn;
  readonly compiled: Compiled;
  release(): Promise<void>;
}

/** Like compileRolloutCost, with the backward pass to the actions in the same graph. */
export async function compileRolloutGradCost(
  step: LatentStep,
  opts: RolloutCostOptions,
): Promise<RolloutGradCost> {
  const { population, horizon, actionDim, latentShape, backend, distance = "l2", sharedStart = false } = opts;
  const latent = [1, ...latentShape];
  const compiled = await compile(
    (i: TensorRecord) => {
      const cost = rolloutCostGraph(step, i.actions, i.z0, i.goal, {
        distance,
        sharedStart,
        accumulate: opts.accumulate,
      });
      return { cost, grad: grad(ops.sum(cost), [i.actions])[0] };
    },
    { actions: { shape: [population, horizon, actionDim] }, z0: { shape: latent }, goal: { shape: latent } },
    backend,
  );
  return {
    compiled,
    gradCostFor(z0, goal) {
      const feeds = { z0: hostTensor(latent, z0), goal: hostTensor(latent, goal) };
      return async (actions) => {
        const shape = [population, horizon, actionDim];
        const out = await compiled.run({ ...feeds, actions: { shape, dtype: "float32", data: actions } });
        return { cost: out.cost.data as Float32Array, grad: out.grad.data as Float32Array };
      };
    },
    release: () => compiled.release(),
  };
}

/** G planning problems scored in one graph run: what compileGroupedCost returns. */
export interface GroupedCost {
  readonly groups: number;
  /** Population per group, N. */
  readonly population: number;
  readonly horizon: number;
  readonly actionDim: number;
  /** Values in one latent. */
  readonly latentSize: number;
  /** Costs [G * N] of actions [G * N, H, A] from starts [G, ...L] toward goals [G, ...L]. */
  run(starts: Float32Array, goals: Float32Array, actions: Float32Array): Promise<Float32Array>;
  release(): Promise<void>;
}

/**
 * Compiles the rollout cost of G independent planning problems (population N each) into one
 * graph: inputs actions [G * N, H, A], z0 [G, ...L] and goal [G, ...L]. Wider matrix products
 * than G separate runs; CostBatcher turns it back into one CostFn per problem.
 */
export async function compileGroupedCost(step: LatentStep, opts: RolloutCostOptions): Promise<GroupedCost> {
  const { population, horizon, actionDim, latentShape, backend, distance = "l2", groups = 1 } = opts;
  if (!(groups >= 1 && Number.isInteger(groups))) {
    throw new Error(`grouped cost: groups must be a positive integer, got ${groups}`);
  }
  const latent = [groups, ...latentShape];
  const rows = groups * population;
  const compiled = await compile(
    (i: TensorRecord) => ({
      cost: rolloutCostGraph(step, i.actions, i.z0, i.goal, { distance, accumulate: opts.accumulate }),
    }),
    { actions: { shape: [rows, horizon, actionDim] }, z0: { shape: latent }, goal: { shape: latent } },
    backend,
  );
  const latentSize = latentShape.reduce((a, b) => a * b, 1);
  return {
    groups,
    population,
    horizon,
    actionDim,
    latentSize,
    async run(starts, goals, actions) {
      if (starts.length !== groups * latentSize || goals.length !== groups * latentSize) {
        throw new Error(
          `grouped cost: starts and goals need ${groups} x ${latentSize} values, got ${starts.length} and ${goals.length}`,
        );
      }
      if (actions.length !== rows * horizon * actionDim) {
        throw new Error(
          `grouped cost: got ${actions.length} action values; pass [G * N, H, A] = [${rows}, ${horizon}, ${actionDim}]`,
        );
      }
      const out = await compiled.run({
        z0: hostTensor(latent, starts),
        goal: hostTensor(latent, goals),
        actions: { shape: [rows, horizon, actionDim], dtype: "float32", data: actions },
      });
      return out.cost.data as Float32Array;
    },
    release: () => compiled.release(),
  };
}
