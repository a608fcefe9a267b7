// The conv lowerings of src/engine/conv-lowering.ts (patch matrices from a one-hot grouped Conv,
// batched MatMuls) against the reference interpreter, for every lowering mode: outputs and the
// gradients of x, w and the bias, on the op cases of engine-op-cases-nn.ts and a few more shapes.
import assert from "node:assert/strict";
import { after, test } from "node:test";
import { apply1 } from "../src/engine/apply.ts";
import { type ConvLowering, setConvLowering } from "../src/engine/conv-lowering.ts";
import {
  decodeModel,
  grad,
  ops,
  type Tensor,
  type TensorRecord,
  toOnnx,
  trace,
} from "../src/engine/index.ts";
import { nnCases } from "./engine-op-cases-nn.ts";
import { checkOnnxRuntime, type OpCase } from "./engine-op-harness.ts";

const convCases = nnCases.filter((c) => c.ops.some((o) => o.startsWith("conv")));

const extra: OpCase[] = [
  {
    name: "conv2d with bias, stride 2, padding 1 (the conv encoder's layer)",
    ops: ["conv2d", "conv2dWeightGrad", "convTranspose2d"],
    inputs: { x: { shape: [3, 2, 8, 8] }, w: { shape: [4, 2, 3, 3] }, b: { shape: [4] } },
    fn: ({ x, w, b }) => ops.relu(ops.conv2d(x, w, { stride: 2, padding: 1, bias: b })),
  },
  {
    name: "conv2d patch embedding (kernel = stride 4) with bias",
    ops: ["conv2d", "conv2dWeightGrad", "convTranspose2d"],
    inputs: { x: { shape: [2, 3, 8, 12] }, w: { shape: [5, 3, 4, 4] }, b: { shape: [5] } },
    fn: ({ x, w, b }) => ops.conv2d(x, w, { stride: 4, bias: b }),
  },
  {
    name: "conv2d 1x1 then 3x3 stride (1, 2), padding (0, 2)",
    ops: ["conv2d", "conv2dWeightGrad", "convTranspose2d"],
    inputs: { x: { shape: [2, 3, 5, 7] }, w1: { shape: [4, 3, 1, 1] }, w2: { shape: [2, 4, 3, 3] } },
    fn: ({ x, w1, w2 }) => ops.conv2d(ops.conv2d(x, w1), w2, { stride: [1, 2], padding: [0, 2] }),
  },
  {
    name: "conv2dWeightGrad of a stride-2 conv whose last input row is never read",
    ops: ["conv2dWeightGrad"],
    inputs: { x: { shape: [2, 3, 8, 7] }, g: { shape: [2, 2, 3, 3] } },
    fn: ({ x, g }): Tensor =>
      apply1("conv2dWeightGrad", [x, g], { kernel: [3, 3], stride: [2, 2], padding: [0, 0] }),
    wrt: [],
  },
];

const initial = setConvLowering("auto");
after(() => {
  setConvLowering(initial);
});

for (const mode of ["auto", "patches", "native"] as ConvLowering[]) {
  for (const c of [...convCases, ...extra]) {
    test(`${mode}: ${c.name}`, async () => {
      setConvLowering(mode);
      try {
        await checkOnnxRuntime(c);
      } finally {
        setConvLowering("auto");
      }
    });
  }
}

test("auto: patches in training graphs (forward and weight gradient), plain Conv in inference graphs", () => {
  const opTypes = (mode: ConvLowering, withGrad: boolean): string[] => {
    const traced = trace(
      ({ x, w }) => {
        const loss = ops.sum(ops.conv2d(x, w, { stride: 2, padding: 1 }).square());
        const out: TensorRecord = { loss };
        if (withGrad) out.dw = grad(loss, [w])[0];
        return out;
      },
      { x: { shape: [2, 3, 8, 8] }, w: { shape: [4, 3, 3, 3] } },
    );
    setConvLowering(mode);
    try {
      const model = decodeModel(toOnnx(traced)) as {
        graph: { node: { op_type: string; output: string[] }[] };
      };
      return model.graph.node.map((n) => `${n.op_type}:${n.output[0].split("_")[0]}`);
    } finally {
      setConvLowering("auto");
    }
  };
  const convs = (ops: string[]): string[] => ops.filter((o) => o.startsWith("Conv"));
  // Training: the one-hot patches Conv only (the forward is a MatMul on the same patches).
  assert.deepEqual(convs(opTypes("auto", true)), ["Conv:patches"]);
  // Inference: ONNX Runtime's Conv.
  assert.equal(convs(opTypes("auto", false)).length, 1);
  assert.notEqual(convs(opTypes("auto", false))[0], "Conv:patches");
  assert.deepEqual(convs(opTypes("patches", false)), ["Conv:patches"]);
  // native: the forward Conv and the dilated Conv of the weight gradient.
  assert.equal(convs(opTypes("native", true)).filter((o) => o !== "Conv:patches").length, 2);
});
