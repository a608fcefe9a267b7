// Matmul and the fused ops (softmax, layer norm, GELU, convolutions): gradients against finite
// differences (float64 reference interpreter), ONNX Runtime against the reference (float32).
import assert from "node:assert/strict";
import { test } from "node:test";
import { constant, hostTensor, interpret, keyFromSeed, normal, ops, trace } from "../src/engine/index.ts";
import { nnCases } from "./engine-op-cases-nn.ts";
import { checkFiniteDifferences, checkOnnxRuntime } from "./engine-op-harness.ts";

for (const c of nnCases) {
  test(c.name, async () => {
    checkFiniteDifferences(c);
    await checkOnnxRuntime(c);
  });
}

test("convTranspose2d is the adjoint of conv2d: <conv(x, w), g> = <x, convT(g, w)>", () => {
  const spec = {
    x: { shape: [2, 3, 8, 7], dtype: "float64" as const },
    g: { shape: [2, 4, 4, 4], dtype: "float64" as const },
  };
  const w = hostTensor([4, 3, 3, 2], normal(keyFromSeed(7), 72), "float64");
  const traced = trace(({ x, g }) => {
    const weight = constant(w);
    const opts = { stride: 2, padding: 1, outputPadding: [1, 1] as [number, number] };
    return {
      left: ops.sum(ops.mul(ops.conv2d(x, weight, opts), g)),
      right: ops.sum(ops.mul(x, ops.convTranspose2d(g, weight, opts))),
    };
  }, spec);
  const feeds = {
    x: hostTensor(spec.x.shape, normal(keyFromSeed(8), 2 * 3 * 8 * 7), "float64"),
    g: hostTensor(spec.g.shape, normal(keyFromSeed(9), 2 * 4 * 4 * 4), "float64"),
  };
  const out = interpret(traced, feeds, { precision: "float64" });
  const left = out.left.data[0] as number;
  const right = out.right.data[0] as number;
  assert.ok(Math.abs(left - right) <= 1e-12 * Math.abs(left), `${left} vs ${right}`);
});
