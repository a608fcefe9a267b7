// Model predictive control around any planner: plan over the horizon, execute the first k
// actions, warm-start the next plan from the rest, and replan until the goal or the budget.
//   1. warm = none.
//   2. While steps < budget:
//      a. cost = costFor(steps) (e.g. from the current observation's embedding);
//      b. plan = planner(foldIn(key, replan), cost, warm);
//      c. execute the first k = min(executeSteps, budget - steps) actions of plan.mean
//         (or plan.actions) through `step`; stop if it reports done;
//      d. warm = plan.mean shifted by k, the tail filled with `fill`.
//   3. Return the executed actions, every plan, and whether the episode ended done.
import { foldIn, type Key } from "../engine/index.ts";
import type { BoundPlanner, CostFn, PlanResult } from "./plan-result.ts";

/** The plan [H, A] shifted left by k steps, the last k steps set to `fill` (a warm start). */
export function shiftPlan(plan: Float32Array, k: number, actionDim: number, fill = 0): Float32Array {
  const out = new Float32Array(plan.length).fill(fill);
  out.set(plan.subarray(Math.min(k * actionDim, plan.length)));
  return out;
}

export interface MpcOptions {
  actionDim: number;
  /** Actions executed per plan, k (P2: 5). */
  executeSteps: number;
  /** Environment steps in all (P1: 200, P2: 50). */
  budget: number;
  /** The cost for the next plan, given the steps taken so far. */
  costFor: (steps: number) => CostFn | Promise<CostFn>;
  /**
   * Executes actions [k, A] in the environment; returns true when the episode is done, or
   * { done, taken } when it stopped after `taken` of the k actions (a goal reached mid-chunk),
   * so the result counts only the steps taken.
   */
  step: (actions: Float32Array) => StepOutcome | Promise<StepOutcome>;
  /** Execute the plan's mean (CEM, MPPI: default) or its best evaluated sequence. */
  execute?: "mean" | "best";
  /** Warm-start each plan from the previous one shifted (default true). */
  warmStart?: boolean;
  /** Value of the warm start's new tail steps (default 0). */
  fill?: number;
}

export type StepOutcome = boolean | { done: boolean; taken: number };

export interface MpcResult {
  /** Executed actions [T, A]. */
  actions: Float32Array;
  steps: number;
  done: boolean;
  plans: PlanResult[];
}

/** Runs MPC with `planner` (see the outline above). */
export async function mpc(key: Key, planner: BoundPlanner, opts: MpcOptions): Promise<MpcResult> {
  const {
    actionDim,
    executeSteps,
    budget,
    costFor,
    step,
    execute = "mean",
    warmStart = true,
    fill = 0,
  } = opts;
  if (!(executeSteps >= 1)) throw new Error(`mpc: executeSteps must be at least 1, got ${executeSteps}`);
  const executed: number[] = [];
  const plans: PlanResult[] = [];
  let warm: Float32Array | undefined;
  let steps = 0;
  let done = false;
  while (steps < budget && !done) {
    const cost = await costFor(steps); // 2a.
    const plan = await planner(foldIn(key, plans.length), cost, warm); // 2b.
    plans.push(plan);
    const chosen = execute === "mean" ? plan.mean : plan.actions;
    const k = Math.min(executeSteps, budget - steps, plan.horizon);
    const actions = chosen.slice(0, k * actionDim); // 2c.
    const outcome = await step(actions);
    const taken = typeof outcome === "boolean" ? k : outcome.taken;
    if (!(Number.isInteger(taken) && taken >= 0 && taken <= k))
      throw new Error(
        `mpc: step reported ${taken} actions taken of the ${k} given; it must be an integer in 0..${k}`,
      );
    done = typeof outcome === "boolean" ? outcome : outcome.done;
    executed.push(...actions.subarray(0, taken * actionDim));
    steps += taken;
    warm = warmStart ? shiftPlan(chosen, k, actionDim, fill) : undefined; // 2d.
  }
  return { actions: Float32Array.from(executed), steps, done, plans };
}
