// Runs G planners at once on one grouped cost graph (compileGroupedCost), each planner seeing
// an ordinary CostFn. The planners know nothing about each other:
//   1. every planning problem (a slot, 0..G-1) joins before any planner starts;
//   2. a planner's cost call parks its actions, start and goal in its slot;
//   3. once every joined slot has a call parked, one graph run scores them all (slots that have
//      left are padded with zeros) and each call gets back its own N costs;
//   4. a slot leaves when its problem is done, so the others no longer wait for it.
// Planners that call the cost the same number of times (CEM, MPPI, iCEM with a fixed population)
// then advance in lockstep, and each one's result is what it would be alone, up to float
// rounding of the wider matrix products.
import type { CostFn } from "./plan-result.ts";
import type { GroupedCost } from "./rollout-cost.ts";

interface Parked {
  start: Float32Array;
  goal: Float32Array;
  actions: Float32Array;
  resolve: (costs: Float32Array) => void;
  reject: (error: unknown) => void;
}

export class CostBatcher {
  private readonly joined = new Set<number>();
  private readonly parked = new Map<number, Parked>();
  private running = false;
  /** Graph runs so far. */
  runs = 0;

  constructor(readonly cost: GroupedCost) {}

  /** Registers slot `group` (0..G-1); every slot joins before any of them asks for costs. */
  join(group: number): void {
    if (!(Number.isInteger(group) && group >= 0 && group < this.cost.groups)) {
      throw new Error(`cost batcher: slot ${group} is outside 0..${this.cost.groups - 1}`);
    }
    if (this.joined.has(group)) throw new Error(`cost batcher: slot ${group} joined twice`);
    this.joined.add(group);
  }

  /** Slot `group` is done: the others stop waiting for it. */
  leave(group: number): void {
    this.joined.delete(group);
    this.parked.delete(group);
    this.dispatch();
  }

  /** The cost of slot `group` from latent `start` toward `goal`, as a planner's CostFn. */
  costFor(group: number, start: Float32Array, goal: Float32Array): CostFn {
    const { latentSize, population, horizon, actionDim } = this.cost;
    if (start.length !== latentSize || goal.length !== latentSize) {
      throw new Error(
        `cost batcher: start and goal need ${latentSize} values each, got ${start.length} and ${goal.length}`,
      );
    }
    const size = population * horizon * actionDim;
    return (actions) =>
      new Promise<Float32Array>((resolve, reject) => {
        if (!this.joined.has(group))
          throw new Error(`cost batcher: slot ${group} has not joined (or has left)`);
        if (this.parked.has(group))
          throw new Error(`cost batcher: slot ${group} asked twice before an answer`);
        if (actions.length !== size) {
          throw new Error(
            `cost batcher: got ${actions.length} action values; pass [N, H, A] = [${population}, ${horizon}, ${actionDim}]`,
          );
        }
        this.parked.set(group, { start, goal, actions, resolve, reject });
        this.dispatch();
      });
  }

  private dispatch(): void {
    if (this.running || this.parked.size === 0 || this.parked.size < this.joined.size) return;
    const { groups, latentSize, population, horizon, actionDim } = this.cost;
    const block = population * horizon * actionDim;
    const starts = new Float32Array(groups * latentSize);
    const goals = new Float32Array(groups * latentSize);
    const actions = new Float32Array(groups * block);
    const batch = [...this.parked];
    this.parked.clear();
    for (const [g, p] of batch) {
      starts.set(p.start, g * latentSize);
      goals.set(p.goal, g * latentSize);
      actions.set(p.actions, g * block);
    }
    this.running = true;
    this.runs++;
    this.cost.run(starts, goals, actions).then(
      (costs) => {
        this.running = false;
        for (const [g, p] of batch) p.resolve(costs.slice(g * population, (g + 1) * population));
        this.dispatch();
      },
      (error: unknown) => {
        this.running = false;
        for (const [, p] of batch) p.reject(error);
        this.dispatch();
      },
    );
  }
}
