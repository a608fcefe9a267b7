// Shape ops and reductions: gradients against finite differences (float64 reference
// interpreter) and ONNX Runtime against the reference interpreter (float32).
import assert from "node:assert/strict";
import { test } from "node:test";
import { grad, hostTensor, interpret, ops, trace } from "../src/engine/index.ts";
import { nodeBackend } from "../src/engine/node.ts";
import { shapeCases } from "./engine-op-cases-shape.ts";
import { checkFiniteDifferences, checkOnnxRuntime } from "./engine-op-harness.ts";

for (const c of shapeCases) {
  test(c.name, async () => {
    checkFiniteDifferences(c);
    await checkOnnxRuntime(c);
  });
}

test("max shares its gradient equally among ties, in both runtimes", async () => {
  const traced = trace(({ x }) => ({ g: grad(ops.sum(ops.max(x, 1)), [x])[0] }), { x: { shape: [2, 3] } });
  const feeds = { x: hostTensor([2, 3], [1, 3, 3, 2, 2, -1]) };
  const expected = [0, 0.5, 0.5, 0.5, 0.5, 0];
  assert.deepEqual(Array.from(interpret(traced, feeds).g.data as Float32Array), expected);
  const exe = await nodeBackend({ intraOpThreads: 1 }).load(traced);
  assert.deepEqual(Array.from((await exe.run(feeds)).g.data as Float32Array), expected);
  await exe.release();
});
