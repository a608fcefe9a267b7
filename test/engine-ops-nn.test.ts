// Matmul and the fused ops (softmax, layer norm, GELU, convolutions): gradients against finite
// differences (float64 reference interpreter), ONNX Runtime against the reference (float32).
import assert from "node:assert/strict";
import { test } from "node:test";
import {
  constant,
  decodeModel,
  hostTensor,
  interpret,
  keyFromSeed,
  normal,
  ops,
  toOnnx,
  trace,
} from "../src/engine/index.ts";
import { nodeBackend } from "../src/engine/node.ts";
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

test("matmul by a constant weight in row blocks ([B, M/B, K] @ [B, K, N]) agrees with the reference", async () => {
  const w = hostTensor([24, 160], normal(keyFromSeed(21), 24 * 160));
  const traced = trace(({ x }) => ({ y: ops.matmul(x, constant(w)) }), { x: { shape: [128, 24] } });
  const feeds = { x: hostTensor([128, 24], normal(keyFromSeed(22), 128 * 24)) };
  const reference = interpret(traced, feeds, { precision: "float32" }).y.data as Float32Array;
  for (const rowBlocks of [1, 2]) {
    const model = decodeModel(toOnnx(traced, { rowBlocks })) as Record<string, unknown>;
    const opTypes = (model.graph as { node: { op_type: string }[] }).node.map((n) => n.op_type);
    assert.deepEqual(opTypes, rowBlocks === 1 ? ["MatMul"] : ["Reshape", "Expand", "MatMul", "Reshape"]);
    const exe = await nodeBackend({ emit: { rowBlocks } }).load(traced);
    const y = (await exe.run(feeds)).y.data as Float32Array;
    await exe.release();
    for (const [i, v] of y.entries()) {
      assert.ok(
        Math.abs(v - reference[i]) <= 1e-4 * (1 + Math.abs(reference[i])),
        `y[${i}]: ${v} vs ${reference[i]}`,
      );
    }
  }
  // Not for N <= M, small K, or fewer than 64 rows a block: a plain MatMul.
  for (const [m, k, n] of [
    [128, 24, 100],
    [128, 8, 160],
    [96, 24, 160],
  ]) {
    const t = trace(
      ({ x }) => ({ y: ops.matmul(x, constant(hostTensor([k, n], new Float32Array(k * n)))) }),
      {
        x: { shape: [m, k] },
      },
    );
    const model = decodeModel(toOnnx(t, { rowBlocks: 2 })) as Record<string, unknown>;
    assert.deepEqual(
      (model.graph as { node: { op_type: string }[] }).node.map((node) => node.op_type),
      ["MatMul"],
      `[${m}, ${k}] @ [${k}, ${n}]`,
    );
  }
});
