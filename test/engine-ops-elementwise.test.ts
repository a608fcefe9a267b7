// Elementwise ops: gradients against finite differences (float64 reference interpreter) and
// ONNX Runtime against the reference interpreter (float32), case by case.
import assert from "node:assert/strict";
import { test } from "node:test";
import { grad, hostTensor, interpret, ops, trace } from "../src/engine/index.ts";
import { nodeBackend } from "../src/engine/node.ts";
import { elementwiseCases } from "./engine-op-cases-elementwise.ts";
import { checkFiniteDifferences, checkOnnxRuntime } from "./engine-op-harness.ts";

for (const c of elementwiseCases) {
  test(c.name, async () => {
    checkFiniteDifferences(c);
    await checkOnnxRuntime(c);
  });
}

test("stopGradient passes no gradient, in both runtimes", async () => {
  const traced = trace(
    ({ x, y }) => {
      const loss = ops.sum(ops.mul(ops.stopGradient(ops.mul(x, x)), ops.add(x, y)));
      const [gx, gy] = grad(loss, [x, y]);
      return { gx, gy };
    },
    { x: { shape: [2, 3] }, y: { shape: [3] } },
  );
  const x = [0.5, -1, 2, 3, -0.25, 1.5];
  const feeds = { x: hostTensor([2, 3], x), y: hostTensor([3], [1, 2, 3]) };
  // d/dx = stop(x^2) only (no 2x(x + y) term); d/dy = sum over rows of x^2.
  const gx = x.map((v) => v * v);
  const gy = [0, 1, 2].map((j) => x[j] ** 2 + x[j + 3] ** 2);
  const reference = interpret(traced, feeds);
  const exe = await nodeBackend({ intraOpThreads: 1 }).load(traced);
  const ort = await exe.run(feeds);
  await exe.release();
  for (const out of [reference, ort]) {
    assert.deepEqual(Array.from(out.gx.data as Float32Array), gx);
    assert.deepEqual(Array.from(out.gy.data as Float32Array), gy);
  }
});
