// Planners on problems with known answers: a quadratic cost (every planner, deterministic for
// a seed), a 2-D point behind a wall with its true dynamics (CEM and MPPI inside MPC), and
// colored noise statistics.
import assert from "node:assert/strict";
import { test } from "node:test";
import { keyFromSeed } from "../src/engine/index.ts";
import {
  type BoundPlanner,
  type CostFn,
  cem,
  coloredNoise,
  fixedPopulation,
  type GradCostFn,
  gradientPlan,
  icem,
  mpc,
  mppi,
  type PlanResult,
  shiftPlan,
} from "../src/planners/index.ts";

const H = 4;
const A = 2;
const TARGET = Float32Array.from({ length: H * A }, (_, i) => Math.sin(i + 1)); // in [-1, 1]

/** cost(a) = sum (a - target)^2 per candidate; counts calls. */
function quadratic(): { cost: CostFn; grad: GradCostFn } {
  const size = H * A;
  const cost: CostFn = async (actions) => {
    const n = actions.length / size;
    const out = new Float32Array(n);
    for (let r = 0; r < n; r++)
      for (let j = 0; j < size; j++) out[r] += (actions[r * size + j] - TARGET[j]) ** 2;
    return out;
  };
  const grad: GradCostFn = async (actions) => ({
    cost: await cost(actions),
    grad: Float32Array.from(actions, (v, i) => 2 * (v - TARGET[i % size])),
  });
  return { cost, grad };
}

const maxError = (x: Float32Array, y: Float32Array): number =>
  Math.max(...x.map((v, i) => Math.abs(v - y[i])));

// tol bounds the final mean's error; bestTol (default tol) the best evaluated sequence's. MPPI's
// samples keep their fixed noise, so its best sample is coarser than its weighted mean.
const planners: Record<
  string,
  { run: (seed: number) => Promise<PlanResult>; tol: number; bestTol?: number; evals: number }
> = {
  cem: {
    run: (seed) =>
      cem(keyFromSeed(seed), quadratic().cost, {
        horizon: H,
        actionDim: A,
        population: 100,
        iterations: 20,
        elites: 10,
      }),
    tol: 0.02,
    evals: 2000,
  },
  "cem with momentum and bounds": {
    run: (seed) =>
      cem(keyFromSeed(seed), quadratic().cost, {
        horizon: H,
        actionDim: A,
        population: 100,
        iterations: 30,
        elites: 10,
        momentum: 0.2,
        stdMomentum: 0.2,
        low: -1,
        high: 1,
      }),
    tol: 0.02,
    evals: 3000,
  },
  icem: {
    run: (seed) =>
      icem(keyFromSeed(seed), quadratic().cost, {
        horizon: H,
        actionDim: A,
        population: 200,
        iterations: 12,
        elites: 10,
      }),
    tol: 0.05,
    evals: -1,
  },
  mppi: {
    run: (seed) =>
      mppi(keyFromSeed(seed), quadratic().cost, {
        horizon: H,
        actionDim: A,
        population: 200,
        iterations: 15,
        temperature: 0.05,
        noiseStd: 0.3,
      }),
    tol: 0.1,
    bestTol: 0.3,
    evals: 3000,
  },
  gradient: {
    run: (seed) =>
      gradientPlan(keyFromSeed(seed), quadratic().grad, {
        horizon: H,
        actionDim: A,
        population: 4,
        iterations: 150,
        learningRate: 0.05,
      }),
    tol: 0.01,
    evals: 600,
  },
};

for (const [name, p] of Object.entries(planners)) {
  test(`${name} solves a quadratic to ${p.tol} and is deterministic for a seed`, async () => {
    const r = await p.run(3);
    assert.equal(r.actions.length, H * A);
    assert.ok(
      maxError(r.actions, TARGET) < (p.bestTol ?? p.tol),
      `best actions off by ${maxError(r.actions, TARGET)}`,
    );
    assert.ok(maxError(r.mean, TARGET) < p.tol, `mean off by ${maxError(r.mean, TARGET)}`);
    const expectedCost = r.actions.reduce((s, v, i) => s + (v - TARGET[i]) ** 2, 0);
    assert.ok(Math.abs(r.cost - expectedCost) < 1e-5, "cost is the best sequence's cost");
    assert.ok(r.iterations.length > 0 && r.iterations.every((s) => s.best <= s.eliteMean + 1e-6));
    assert.ok(r.iterations[r.iterations.length - 1].best < r.iterations[0].best, "cost decreases");
    if (p.evals > 0) assert.equal(r.costEvaluations, p.evals);
    const again = await p.run(3);
    assert.deepEqual(again.actions, r.actions);
    assert.deepEqual(again.mean, r.mean);
    const other = await p.run(4);
    assert.notDeepEqual(other.actions, r.actions);
  });
}

test("cem keeps candidates and elites when asked, clamped to the bounds, elites best first", async () => {
  const { cost } = quadratic();
  const r = await cem(keyFromSeed(1), cost, {
    horizon: H,
    actionDim: A,
    population: 20,
    iterations: 3,
    elites: 4,
    low: [-0.5, -2],
    high: [0.5, 2],
    initStd: 3,
    keepHistory: true,
  });
  assert.equal(r.history?.length, 3);
  for (const it of r.history ?? []) {
    assert.equal(it.candidates.length, 20 * H * A);
    assert.equal(it.elites.length, 4 * H * A);
    it.candidates.forEach((v, i) => {
      assert.ok(i % 2 === 0 ? Math.abs(v) <= 0.5 : Math.abs(v) <= 2, `candidate ${v} outside the bounds`);
    });
    const eliteCosts = await cost(it.elites);
    for (let k = 1; k < 4; k++) assert.ok(eliteCosts[k - 1] <= eliteCosts[k]);
    assert.equal(eliteCosts[0], Math.min(...it.costs));
  }
});

test("icem through fixedPopulation gets the same plan as with a free-size cost", async () => {
  const { cost } = quadratic();
  let calls = 0;
  const padded = fixedPopulation(
    async (a) => {
      calls++;
      assert.equal(a.length, 200 * H * A);
      return cost(a);
    },
    200,
    H,
    A,
  );
  const opts = { horizon: H, actionDim: A, population: 200, iterations: 5, elites: 10 };
  const free = await icem(keyFromSeed(2), cost, opts);
  const fixed = await icem(keyFromSeed(2), padded, opts);
  assert.equal(calls, 5);
  assert.deepEqual(fixed.mean, free.mean);
  assert.ok(free.costEvaluations < 5 * 200, "the population shrinks");
});

test("colored noise has unit variance, and beta = 2 is smooth while beta = 0 is white", () => {
  const lag1 = (x: Float32Array, h: number): { variance: number; corr: number } => {
    let s2 = 0;
    let c = 0;
    const n = x.length / h;
    for (let r = 0; r < n; r++) {
      for (let t = 0; t < h; t++) s2 += x[r * h + t] ** 2;
      for (let t = 1; t < h; t++) c += x[r * h + t] * x[r * h + t - 1];
    }
    return { variance: s2 / x.length, corr: c / (n * (h - 1)) / (s2 / x.length) };
  };
  for (const h of [16, 15]) {
    const white = lag1(coloredNoise(keyFromSeed(0), 0, 2000, h, 1), h);
    const brown = lag1(coloredNoise(keyFromSeed(0), 2, 2000, h, 1), h);
    assert.ok(Math.abs(white.variance - 1) < 0.05, `white variance ${white.variance}`);
    assert.ok(Math.abs(brown.variance - 1) < 0.1, `beta 2 variance ${brown.variance}`);
    assert.ok(Math.abs(white.corr) < 0.05, `white lag-1 correlation ${white.corr}`);
    assert.ok(brown.corr > 0.6, `beta 2 lag-1 correlation ${brown.corr}`);
  }
});

test("shiftPlan drops the executed steps and fills the tail", () => {
  assert.deepEqual(
    shiftPlan(Float32Array.from([1, 2, 3, 4, 5, 6]), 1, 2, 9),
    Float32Array.from([3, 4, 5, 6, 9, 9]),
  );
});

// ---------- a 2-D point and a wall, with the true dynamics ----------
// The point moves by its action (each component clipped to [-1, 1]); a wall on x = 0 spans
// y in [WALL_LOW, WALL_HIGH], and the point stops at contact. Start left of the wall, goal
// right of it. The wall is asymmetric so the way around (over the top) is unique: CEM's
// Gaussian would average a way over and a way under into a straight push.
const WALL_LOW = -3;
const WALL_HIGH = 1;
const START: [number, number] = [-2, 0];
const GOAL: [number, number] = [2, 0];

function move(x: number, y: number, ax: number, ay: number): [number, number] {
  const nx = x + Math.max(-1, Math.min(1, ax));
  const ny = y + Math.max(-1, Math.min(1, ay));
  if (x < 0 !== nx < 0) {
    const s = (0 - x) / (nx - x); // where the segment meets x = 0
    const yc = y + s * (ny - y);
    if (yc >= WALL_LOW && yc <= WALL_HIGH) return [x < 0 ? -1e-3 : 1e-3, yc];
  }
  return [nx, ny];
}

/** Sum over the horizon of the squared distance to the goal, from the point's current state. */
function wallCost(state: number[], horizon: number): CostFn {
  return async (actions) => {
    const n = actions.length / (horizon * 2);
    const out = new Float32Array(n);
    for (let r = 0; r < n; r++) {
      let [x, y] = state;
      for (let t = 0; t < horizon; t++) {
        [x, y] = move(x, y, actions[(r * horizon + t) * 2], actions[(r * horizon + t) * 2 + 1]);
        out[r] += (x - GOAL[0]) ** 2 + (y - GOAL[1]) ** 2;
      }
    }
    return out;
  };
}

async function reachGoal(
  planner: BoundPlanner,
  horizon: number,
): Promise<{ distance: number; steps: number }> {
  const state = [...START];
  const result = await mpc(keyFromSeed(7), planner, {
    actionDim: 2,
    executeSteps: 2,
    budget: 30,
    costFor: () => wallCost(state, horizon),
    step: (actions) => {
      for (let t = 0; t < actions.length / 2; t++)
        [state[0], state[1]] = move(state[0], state[1], actions[2 * t], actions[2 * t + 1]);
      return Math.hypot(state[0] - GOAL[0], state[1] - GOAL[1]) < 0.3;
    },
  });
  assert.equal(result.actions.length, result.steps * 2);
  return { distance: Math.hypot(state[0] - GOAL[0], state[1] - GOAL[1]), steps: result.steps };
}

test("MPC with CEM goes around the wall to the goal (within 0.3)", async () => {
  const horizon = 8;
  const planner: BoundPlanner = (key, cost, warm) =>
    cem(key, cost, {
      horizon,
      actionDim: 2,
      population: 200,
      iterations: 8,
      elites: 20,
      low: -1,
      high: 1,
      initMean: warm ?? 0,
    });
  const { distance, steps } = await reachGoal(planner, horizon);
  assert.ok(distance < 0.3, `ended ${distance.toFixed(2)} from the goal after ${steps} steps`);
});

test("MPC with MPPI goes around the wall to the goal (within 0.3)", async () => {
  const horizon = 8;
  const planner: BoundPlanner = (key, cost, warm) =>
    mppi(key, cost, {
      horizon,
      actionDim: 2,
      population: 200,
      iterations: 8,
      temperature: 0.5,
      noiseStd: 0.8,
      low: -1,
      high: 1,
      initMean: warm ?? 0,
    });
  const { distance, steps } = await reachGoal(planner, horizon);
  assert.ok(distance < 0.3, `ended ${distance.toFixed(2)} from the goal after ${steps} steps`);
});

test("the wall blocks the straight path (so the MPC tests mean something)", () => {
  let [x, y] = START;
  for (let t = 0; t < 6; t++) [x, y] = move(x, y, 1, 0);
  assert.ok(x < 0, "a straight push stops at the wall");
});

test("MPC counts only the actions taken when the episode ends inside a chunk", async () => {
  // A fixed plan of 5 actions per chunk; the episode ends on the 7th action (2nd chunk, 2nd action).
  const planner: BoundPlanner = async () => {
    const mean = Float32Array.from({ length: 10 }, (_, i) => i);
    return { mean, actions: mean, cost: 0, horizon: 5, costs: [] } as unknown as Awaited<
      ReturnType<BoundPlanner>
    >;
  };
  let taken = 0;
  const result = await mpc(keyFromSeed(0), planner, {
    actionDim: 2,
    executeSteps: 5,
    budget: 50,
    costFor: () => async (a: Float32Array) => new Float32Array(a.length / 10),
    step: (actions) => {
      for (let t = 0; t < actions.length / 2; t++) if (++taken === 7) return { done: true, taken: t + 1 };
      return false;
    },
  });
  assert.equal(result.steps, 7);
  assert.equal(result.done, true);
  assert.equal(result.actions.length, 14);
  await assert.rejects(
    mpc(keyFromSeed(0), planner, {
      actionDim: 2,
      executeSteps: 5,
      budget: 50,
      costFor: () => async (a: Float32Array) => new Float32Array(a.length / 10),
      step: () => ({ done: true, taken: 6 }),
    }),
    /step reported 6 actions taken of the 5 given/,
  );
});
