// Compiled planning costs against host arithmetic: the rollout cost (both backends), its
// gradient (finite differences), the fused CEM against the host CEM loop for the same key,
// and the topK op (reference kernel against ONNX Runtime, no gradient through it).
import assert from "node:assert/strict";
import { test } from "node:test";
import {
  type Backend,
  constant,
  grad,
  hostTensor,
  interpret,
  keyFromSeed,
  normal,
  ops,
  referenceBackend,
  split,
  type Tensor,
  trace,
} from "../src/engine/index.ts";
import { nodeBackend } from "../src/engine/node.ts";
import {
  cem,
  compileFusedCem,
  compileRolloutCost,
  compileRolloutGradCost,
  type LatentStep,
} from "../src/planners/index.ts";

const D = 4;
const A = 2;
const [kw, kv, kz, kg, ka] = split(keyFromSeed(11), 5);
const W = Float32Array.from(normal(kw, D * D), (v) => v * 0.4); // [D, D]
const V = Float32Array.from(normal(kv, A * D), (v) => v * 0.5); // [A, D]
const Z0 = Float32Array.from(normal(kz, D));
const GOAL = Float32Array.from(normal(kg, D));

/** z' = z + tanh(z W + a V): a tiny latent model, as graph code and on the host. */
const step: LatentStep = (z: Tensor, a: Tensor) =>
  ops.add(
    z,
    ops.tanh(
      ops.add(ops.matmul(z, constant(hostTensor([D, D], W))), ops.matmul(a, constant(hostTensor([A, D], V)))),
    ),
  );

function hostCost(actions: Float32Array, n: number, h: number, distance: "l2" | "l1"): Float64Array {
  const out = new Float64Array(n);
  for (let r = 0; r < n; r++) {
    let z = Array.from(Z0);
    for (let t = 0; t < h; t++) {
      const a = actions.subarray((r * h + t) * A, (r * h + t + 1) * A);
      z = z.map((zi, j) => {
        let s = 0;
        for (let i = 0; i < D; i++) s += z[i] * W[i * D + j];
        for (let i = 0; i < A; i++) s += a[i] * V[i * D + j];
        return zi + Math.tanh(s);
      });
    }
    out[r] = z.reduce(
      (s, zj, j) => s + (distance === "l2" ? (zj - GOAL[j]) ** 2 : Math.abs(zj - GOAL[j])),
      0,
    );
  }
  return out;
}

const backends: [string, () => Backend][] = [
  ["reference", () => referenceBackend()],
  ["onnxruntime", () => nodeBackend({ intraOpThreads: 1 })],
];

for (const [name, backend] of backends) {
  for (const distance of ["l2", "l1"] as const) {
    for (const sharedStart of [false, true]) {
      test(`compiled rollout cost (${distance}, sharedStart ${sharedStart}) matches the host on ${name}`, async () => {
        const [n, h] = [7, 3];
        const rollout = await compileRolloutCost(step, {
          population: n,
          horizon: h,
          actionDim: A,
          latentShape: [D],
          backend: backend(),
          distance,
          sharedStart,
        });
        const actions = Float32Array.from(normal(ka, n * h * A));
        const got = await rollout.costFor(Z0, GOAL)(actions);
        const want = hostCost(actions, n, h, distance);
        for (const [i, v] of got.entries()) {
          assert.ok(Math.abs(v - want[i]) < 1e-4 * (1 + want[i]), `candidate ${i}: ${v} vs ${want[i]}`);
        }
        await assert.rejects(
          rollout.costFor(Z0, GOAL)(new Float32Array(3)),
          /pass \[N, H, A\] = \[7, 3, 2\]/,
        );
        await rollout.release();
      });
    }
  }
}

test("compiled rollout gradient matches central finite differences of the host cost", async () => {
  const [n, h] = [3, 3];
  const rollout = await compileRolloutGradCost(step, {
    population: n,
    horizon: h,
    actionDim: A,
    latentShape: [D],
    backend: referenceBackend({ precision: "float64" }),
  });
  const actions = Float32Array.from(normal(ka, n * h * A), (v) => v * 0.5);
  const { cost, grad: g } = await rollout.gradCostFor(Z0, GOAL)(actions);
  const base = hostCost(actions, n, h, "l2");
  for (const [i, v] of cost.entries()) assert.ok(Math.abs(v - base[i]) < 1e-4);
  const eps = 1e-3;
  for (let j = 0; j < actions.length; j++) {
    const plus = Float32Array.from(actions);
    const minus = Float32Array.from(actions);
    plus[j] += eps;
    minus[j] -= eps;
    const r = Math.floor(j / (h * A));
    const fd = (hostCost(plus, n, h, "l2")[r] - hostCost(minus, n, h, "l2")[r]) / (plus[j] - minus[j]);
    assert.ok(Math.abs(g[j] - fd) < 1e-3 * (1 + Math.abs(fd)), `d cost / d a[${j}]: ${g[j]} vs ${fd}`);
  }
});

test("fused CEM agrees with the host CEM loop for the same key (same noise)", async () => {
  const settings = {
    population: 40,
    horizon: 3,
    actionDim: A,
    iterations: 5,
    elites: 6,
    low: -1.5,
    high: 1.5,
  };
  const backend = nodeBackend({ intraOpThreads: 1 });
  const rollout = await compileRolloutCost(step, {
    ...settings,
    latentShape: [D],
    backend,
    sharedStart: true,
  });
  const key = keyFromSeed(5);
  for (const momentum of [0, 0.3]) {
    const fused = await compileFusedCem(step, {
      ...settings,
      latentShape: [D],
      backend,
      momentum,
      keepHistory: true,
    });
    const host = await cem(key, rollout.costFor(Z0, GOAL), { ...settings, momentum, keepHistory: true });
    const graph = await fused.plan(key, Z0, GOAL);
    const close = (x: Float32Array, y: Float32Array, what: string) => {
      for (const [i, v] of x.entries()) {
        assert.ok(Math.abs(v - y[i]) < 1e-4, `${what}[${i}]: ${v} vs ${y[i]} (momentum ${momentum})`);
      }
    };
    close(graph.mean, host.mean, "mean");
    close(graph.std, host.std, "std");
    close(graph.actions, host.actions, "best actions");
    assert.ok(Math.abs(graph.cost - host.cost) < 1e-4);
    graph.iterations.forEach((s, i) => {
      assert.ok(Math.abs(s.best - host.iterations[i].best) < 1e-4);
      assert.ok(Math.abs(s.eliteMean - host.iterations[i].eliteMean) < 1e-4);
    });
    close(
      graph.history?.[2].elites ?? new Float32Array(),
      host.history?.[2].elites ?? new Float32Array(1),
      "elites",
    );
    await fused.release();
  }
  await rollout.release();
});

test("topK: reference kernel and ONNX Runtime agree (largest and smallest, ties by lower index)", async () => {
  const values = [3, 1, 4, 1, 5, 9, 2, 6, 5, 3, 5, 8];
  for (const largest of [true, false]) {
    const traced = trace(
      ({ x }) => {
        const r = ops.topK(x, 3, { axis: 1, largest });
        return { values: r.values, indices: r.indices };
      },
      { x: { shape: [2, 6] } },
    );
    const feeds = { x: hostTensor([2, 6], values) };
    const ref = interpret(traced, feeds);
    const expected = largest
      ? { values: [9, 5, 4, 8, 6, 5], indices: [5, 4, 2, 5, 1, 2] }
      : { values: [1, 1, 3, 2, 3, 5], indices: [1, 3, 0, 0, 3, 2] };
    assert.deepEqual(Array.from(ref.values.data as Float32Array), expected.values);
    assert.deepEqual(Array.from(ref.indices.data as BigInt64Array, Number), expected.indices);
    assert.equal(ref.indices.dtype, "int64");
    const exe = await nodeBackend({ intraOpThreads: 1 }).load(traced);
    const ort = await exe.run(feeds);
    assert.deepEqual(Array.from(ort.values.data as Float32Array), expected.values);
    assert.deepEqual(Array.from(ort.indices.data as BigInt64Array, Number), expected.indices);
    await exe.release();
  }
  assert.throws(
    () => trace(({ x }) => ops.topK(x, 7).values, { x: { shape: [2, 6] } }),
    /k = 7 must be in \[1, 6\]/,
  );
});

test("topK passes no gradient: into values it refuses, through gathered indices it flows to x", () => {
  assert.throws(
    () => trace(({ x }) => grad(ops.sum(ops.topK(x, 2).values), [x])[0], { x: { shape: [5] } }),
    /no gradient rule; gather x/,
  );
  const traced = trace(
    ({ x }) => {
      const top = ops.topK(x, 2, { largest: false });
      return grad(ops.sum(ops.gather(ops.mul(x, x), top.indices, 0)), [x])[0];
    },
    { x: { shape: [5] } },
  );
  const g = interpret(traced, { x: hostTensor([5], [3, -1, 2, 0.5, 4]) }).output.data as Float32Array;
  assert.deepEqual(Array.from(g), [0, -2, 0, 1, 0]);
});
