// Several planning problems in one graph run: the grouped rollout cost against separate
// single-problem runs, and CostBatcher driving concurrent planners in lockstep (same plans as
// alone, no deadlock when one finishes first, clear errors).
import assert from "node:assert/strict";
import { test } from "node:test";
import {
  constant,
  foldIn,
  hostTensor,
  keyFromSeed,
  normal,
  ops,
  split,
  type Tensor,
} from "../src/engine/index.ts";
import { nodeBackend } from "../src/engine/node.ts";
import {
  CostBatcher,
  cem,
  compileGroupedCost,
  compileRolloutCost,
  type LatentStep,
  mppi,
} from "../src/planners/index.ts";

const D = 3;
const A = 2;
const [kw, kz, kg, ka] = split(keyFromSeed(5), 4);
const W = Float32Array.from(normal(kw, A * D), (v) => v * 0.5); // [A, D]
const G = 3;
const N = 8;
const H = 4;
const STARTS = Float32Array.from(normal(kz, G * D));
const GOALS = Float32Array.from(normal(kg, G * D));

/** z' = z + tanh(a W): a small nonlinear latent model. */
const step: LatentStep = (z: Tensor, a: Tensor) =>
  ops.add(z, ops.tanh(ops.matmul(a, constant(hostTensor([A, D], W)))));

/** z' = z + a (first two latent axes): elementwise only, so batching cannot change a single bit. */
const additive: LatentStep = (z: Tensor, a: Tensor) =>
  ops.add(
    z,
    ops.concat([a, ops.mul(ops.slice(a, 1, 0, 1), constant(hostTensor([1], Float32Array.of(0))))], 1),
  );

const latent = (v: Float32Array, g: number) => v.slice(g * D, (g + 1) * D);

for (const accumulate of ["final", "sum"] as const) {
  test(`grouped cost (${accumulate}) equals one run per group`, async () => {
    const backend = nodeBackend();
    const opts = { population: N, horizon: H, actionDim: A, latentShape: [D], backend, accumulate };
    const grouped = await compileGroupedCost(step, { ...opts, groups: G });
    const single = await compileRolloutCost(step, opts);
    const actions = Float32Array.from(normal(ka, G * N * H * A));
    const all = await grouped.run(STARTS, GOALS, actions);
    assert.equal(all.length, G * N);
    for (let g = 0; g < G; g++) {
      const alone = await single.costFor(
        latent(STARTS, g),
        latent(GOALS, g),
      )(actions.slice(g * N * H * A, (g + 1) * N * H * A));
      for (let i = 0; i < N; i++) {
        const want = alone[i];
        const got = all[g * N + i];
        assert.ok(
          Math.abs(got - want) <= 1e-5 * (1 + Math.abs(want)),
          `group ${g} row ${i}: ${got} vs ${want}`,
        );
      }
    }
    await grouped.release();
    await single.release();
  });
}

test("CostBatcher runs planners in lockstep with the plans each makes alone", async () => {
  const backend = nodeBackend();
  const opts = {
    population: N,
    horizon: H,
    actionDim: A,
    latentShape: [D],
    backend,
    accumulate: "sum" as const,
  };
  const grouped = await compileGroupedCost(additive, { ...opts, groups: G });
  const single = await compileRolloutCost(additive, opts);
  const planOpts = { horizon: H, actionDim: A, population: N, elites: 3, low: -1, high: 1 };
  // Group 1 runs fewer iterations: it leaves first and the others must not wait for it.
  const iterations = [4, 2, 5];
  const alone = [];
  for (let g = 0; g < G; g++) {
    alone.push(
      await cem(foldIn(keyFromSeed(1), g), single.costFor(latent(STARTS, g), latent(GOALS, g)), {
        ...planOpts,
        iterations: iterations[g],
      }),
    );
  }
  const batcher = new CostBatcher(grouped);
  for (let g = 0; g < G; g++) batcher.join(g);
  const together = await Promise.all(
    Array.from({ length: G }, async (_, g) => {
      try {
        return await cem(foldIn(keyFromSeed(1), g), batcher.costFor(g, latent(STARTS, g), latent(GOALS, g)), {
          ...planOpts,
          iterations: iterations[g],
        });
      } finally {
        batcher.leave(g);
      }
    }),
  );
  for (let g = 0; g < G; g++) {
    assert.deepEqual(together[g].mean, alone[g].mean, `group ${g} plan`);
    assert.equal(together[g].cost, alone[g].cost);
  }
  assert.equal(batcher.runs, Math.max(...iterations), "one graph run per lockstep iteration");
  await grouped.release();
  await single.release();
});

test("CostBatcher: a planner that throws releases the others, and bad calls say what to fix", async () => {
  const backend = nodeBackend();
  const grouped = await compileGroupedCost(step, {
    population: N,
    horizon: H,
    actionDim: A,
    latentShape: [D],
    backend,
    groups: 2,
  });
  const batcher = new CostBatcher(grouped);
  batcher.join(0);
  batcher.join(1);
  assert.throws(() => batcher.join(1), /slot 1 joined twice/);
  assert.throws(() => batcher.join(2), /slot 2 is outside 0\.\.1/);
  assert.throws(() => batcher.costFor(0, new Float32Array(2), new Float32Array(D)), /need 3 values/);
  const ok = mppi(keyFromSeed(2), batcher.costFor(0, latent(STARTS, 0), latent(GOALS, 0)), {
    horizon: H,
    actionDim: A,
    population: N,
    iterations: 3,
  });
  // Slot 1 fails before asking for costs and leaves: slot 0 still finishes.
  batcher.leave(1);
  const plan = await ok;
  assert.equal(plan.iterations.length, 3);
  await assert.rejects(
    batcher.costFor(0, latent(STARTS, 0), latent(GOALS, 0))(new Float32Array(3)),
    /slot 0 has not joined|got 3 action values/,
  );
  batcher.leave(0);
  await grouped.release();
});

test("P1 plans episodes in lockstep on a grouped world: same episodes, one graph run per step", async () => {
  const { compileLatentWorld, evaluateP1 } = await import("../src/eval/index.ts");
  const { initWorldModel } = await import("../src/world/index.ts");
  const model = {
    observation: [2, 32, 32] as [number, number, number],
    actionDim: 2,
    embedDim: 4,
    encoder: { kind: "conv" as const, channels: [4, 4] },
    predictor: { kind: "mlp" as const, hidden: 8, layers: 2 },
  };
  const settings = {
    imageSize: 32,
    episodes: 3,
    budget: 10,
    horizon: 4,
    population: 6,
    iterations: 3,
    executeSteps: 5,
    planner: "cem" as const,
    elites: 2,
  };
  const params = initWorldModel(keyFromSeed(0), model) as never;
  const opts = { population: 6, horizon: 4, backend: nodeBackend(), accumulate: "sum" as const };
  const plain = await compileLatentWorld(params, model, opts);
  const grouped = await compileLatentWorld(params, model, { ...opts, groups: 2 });
  assert.equal(grouped.grouped?.groups, 2);
  const order: number[] = [];
  const a = await evaluateP1(plain, settings);
  const b = await evaluateP1(grouped, settings, (done, e) => order.push(done, e.seed));
  assert.deepEqual(b.seeds, [0, 1, 2], "episodes stay in seed order");
  assert.equal(order.length, 6);
  assert.deepEqual(
    order.filter((_, i) => i % 2 === 0),
    [1, 2, 3],
  );
  for (let e = 0; e < 3; e++) {
    assert.deepEqual(b.episodes[e].start, a.episodes[e].start);
    assert.deepEqual(b.episodes[e].goal, a.episodes[e].goal);
    // Plans agree up to the float rounding of wider products: paths match to 1e-3 px.
    const pa = a.episodes[e].path.flat();
    const pb = b.episodes[e].path.flat();
    assert.equal(pb.length, pa.length);
    for (let i = 0; i < pa.length; i++) assert.ok(Math.abs(pa[i] - pb[i]) < 1e-3, `episode ${e} path ${i}`);
  }
  await assert.rejects(
    evaluateP1(grouped, { ...settings, population: 5 }),
    /compiled for population 6 and horizon 4, the settings ask for 5 and 4/,
  );
  await plain.release();
  await grouped.release();
});

test("maxNorm scales each step's action down to the norm, after the box", async () => {
  const { clampActions } = await import("../src/planners/index.ts");
  const a = Float32Array.of(3, 4, 0.3, 0.4, -5, 0);
  clampActions(a, 2, { low: -4, high: 4, maxNorm: 2 });
  // (3, 4) has norm 5 -> (1.2, 1.6); (0.3, 0.4) is short enough; (-5, 0) -> box (-4, 0) -> (-2, 0).
  const want = [1.2, 1.6, 0.3, 0.4, -2, 0];
  for (let i = 0; i < want.length; i++) assert.ok(Math.abs(a[i] - want[i]) < 1e-6, `${i}: ${a[i]}`);
  assert.throws(() => clampActions(a, 2, { maxNorm: 0 }), /maxNorm must be positive/);
});
