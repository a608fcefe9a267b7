// Op cases for matmul and the fused neural-network ops: softmax, layer norm, GELU, conv2d,
// its transpose and its weight gradient, average pooling.

import { apply1 } from "../src/engine/apply.ts";
import { ops, type Tensor } from "../src/engine/index.ts";
import type { OpCase } from "./engine-op-harness.ts";

const MATMUL: [string, number[], number[]][] = [
  ["2-D", [3, 4], [4, 5]],
  ["batched", [2, 3, 4], [2, 4, 5]],
  ["broadcast batch", [2, 1, 3, 4], [3, 4, 2]],
  ["[B,T,K] @ [K,N]", [2, 3, 4], [4, 5]],
  ["[M,K] @ [B,K,N]", [3, 4], [2, 4, 2]],
  ["single row and column", [1, 4], [4, 1]],
];

interface ConvCase {
  x: number[];
  w: number[];
  stride: [number, number];
  padding: [number, number];
}
// Non-square inputs and kernels, odd sizes, and (H + 2p - k) % s != 0 so the last rows are dropped.
const CONV: ConvCase[] = [
  { x: [2, 3, 5, 5], w: [4, 3, 3, 3], stride: [1, 1], padding: [0, 0] },
  { x: [1, 2, 5, 6], w: [3, 2, 3, 3], stride: [1, 1], padding: [1, 1] },
  { x: [2, 2, 8, 7], w: [3, 2, 3, 2], stride: [2, 2], padding: [0, 0] },
  { x: [1, 3, 6, 7], w: [2, 3, 3, 3], stride: [2, 2], padding: [1, 1] },
  { x: [1, 2, 6, 5], w: [2, 2, 2, 3], stride: [2, 1], padding: [1, 0] },
  { x: [2, 1, 4, 4], w: [2, 1, 4, 4], stride: [1, 1], padding: [0, 0] },
];

interface ConvTCase {
  g: number[];
  w: number[];
  stride: [number, number];
  padding: [number, number];
  outputPadding: [number, number];
}
const CONV_T: ConvTCase[] = [
  { g: [1, 2, 3, 3], w: [2, 3, 3, 3], stride: [1, 1], padding: [0, 0], outputPadding: [0, 0] },
  { g: [2, 3, 3, 2], w: [3, 2, 3, 3], stride: [2, 2], padding: [1, 1], outputPadding: [1, 0] },
  { g: [1, 2, 2, 3], w: [2, 2, 2, 3], stride: [2, 3], padding: [0, 1], outputPadding: [1, 2] },
];

const conv2dWeightGrad = (x: Tensor, g: Tensor, c: ConvCase): Tensor =>
  apply1("conv2dWeightGrad", [x, g], { kernel: c.w.slice(2), stride: c.stride, padding: c.padding });
const convOut = (n: number, k: number, s: number, p: number): number => Math.floor((n + 2 * p - k) / s) + 1;

export const nnCases: OpCase[] = [
  ...MATMUL.map(
    ([label, a, b]): OpCase => ({
      name: `matmul ${label} [${a}] @ [${b}]`,
      ops: ["matmul"],
      inputs: { a: { shape: a }, b: { shape: b } },
      fn: ({ a, b }) => ops.matmul(a, b),
    }),
  ),
  // The gradient of a swapped operand is built as a product of swapped operands ((A B)^T = B^T A^T).
  {
    name: "matmul with a swapped operand: a [2,3,4,5] @ swapLast(b [2,3,6,5])",
    ops: ["matmul", "transpose"],
    inputs: { a: { shape: [2, 3, 4, 5] }, b: { shape: [2, 3, 6, 5] } },
    fn: ({ a, b }) => ops.matmul(a, ops.swapLast(b)),
  },
  ...[0, 1, -1].map(
    (axis): OpCase => ({
      name: `softmax axis ${axis} of [2,3,4]`,
      ops: ["softmax"],
      inputs: { x: { shape: [2, 3, 4] } },
      fn: ({ x }) => ops.softmax(x, axis),
    }),
  ),
  {
    name: "softmax of large logits (stable)",
    ops: ["softmax"],
    inputs: { x: { shape: [2, 3], values: [50, 51, 49, -40, -41, -39.5] } },
    fn: ({ x }) => ops.softmax(x),
  },
  ...[-1, 1].map(
    (axis): OpCase => ({
      name: `layerNorm from axis ${axis} of [2,3,4] (x, gamma, beta)`,
      ops: ["layerNorm"],
      inputs: {
        x: { shape: [2, 3, 4] },
        gamma: { shape: axis === -1 ? [4] : [3, 4] },
        beta: { shape: axis === -1 ? [4] : [3, 4] },
      },
      fn: ({ x, gamma, beta }) => ops.layerNorm(x, gamma, beta, { axis }),
    }),
  ),
  {
    name: "layerNorm with a large eps on [3,5]",
    ops: ["layerNorm"],
    inputs: { x: { shape: [3, 5] }, gamma: { shape: [5] }, beta: { shape: [5] } },
    fn: ({ x, gamma, beta }) => ops.layerNorm(x, gamma, beta, { eps: 0.5 }),
  },
  ...(["none", "tanh"] as const).map(
    (approximate): OpCase => ({
      name: `gelu approximate=${approximate}`,
      ops: ["gelu"],
      inputs: { x: { shape: [3, 5], values: Array.from({ length: 15 }, (_, i) => -4.1 + i * 0.57) } },
      fn: ({ x }) => ops.gelu(x, approximate),
    }),
  ),
  // Without a gradient nothing reads the op's second output, and the ONNX Runtime backend
  // lowers the tanh form to com.microsoft FastGelu (over several of its 4096-value chunks here).
  {
    name: "gelu approximate=tanh, inference only (FastGelu)",
    ops: ["gelu"],
    inputs: {
      x: { shape: [3, 4100], values: Array.from({ length: 12300 }, (_, i) => -7 + (i * 14) / 12299) },
    },
    fn: ({ x }) => ops.gelu(x, "tanh"),
    wrt: [],
  },
  ...CONV.map(
    (c): OpCase => ({
      name: `conv2d x [${c.x}] w [${c.w}] stride ${c.stride} padding ${c.padding}`,
      ops: ["conv2d", "convTranspose2d", "conv2dWeightGrad"],
      inputs: { x: { shape: c.x }, w: { shape: c.w } },
      fn: ({ x, w }) => ops.conv2d(x, w, { stride: c.stride, padding: c.padding }),
    }),
  ),
  ...CONV_T.map(
    (c): OpCase => ({
      name: `convTranspose2d g [${c.g}] w [${c.w}] stride ${c.stride} padding ${c.padding} outputPadding ${c.outputPadding}`,
      ops: ["convTranspose2d", "conv2d", "conv2dWeightGrad"],
      inputs: { g: { shape: c.g }, w: { shape: c.w } },
      fn: ({ g, w }) => ops.convTranspose2d(g, w, c),
    }),
  ),
  ...[
    { x: [2, 3, 4, 6], k: 2 },
    { x: [1, 2, 6, 3], k: 3 },
  ].map(
    (c): OpCase => ({
      name: `avgPool2d x [${c.x}] kernel ${c.k}`,
      ops: ["avgPool2d"],
      inputs: { x: { shape: c.x } },
      fn: ({ x }) => ops.avgPool2d(x, c.k),
    }),
  ),
  // Knots factor as j R + r: 5 = (R 3, J 2, one slot unused), 16 = (4, 4), 2 = (2, 1), 1 = (1, 1).
  ...[5, 16, 2, 1].map(
    (knots): OpCase => ({
      name: `charFn (empirical characteristic function) with ${knots} knots over the last axis`,
      ops: ["charFn"],
      inputs: { x: { shape: [2, 3, 5] } },
      fn: ({ x }) => ops.charFn(x, knots > 8 ? 0.2 : 0.3, knots),
    }),
  ),
  // The weight gradient as an op of its own: its forward kernel and ONNX lowering (a dilated
  // convolution over the batch axis plus a crop) on the shapes where the crop matters.
  ...CONV.map(
    (c): OpCase => ({
      name: `conv2dWeightGrad forward for x [${c.x}] w [${c.w}] stride ${c.stride} padding ${c.padding}`,
      ops: ["conv2dWeightGrad"],
      inputs: {
        x: { shape: c.x },
        g: {
          shape: [
            c.x[0],
            c.w[0],
            convOut(c.x[2], c.w[2], c.stride[0], c.padding[0]),
            convOut(c.x[3], c.w[3], c.stride[1], c.padding[1]),
          ],
        },
      },
      fn: ({ x, g }) => conv2dWeightGrad(x, g, c),
      wrt: [],
    }),
  ),
];
