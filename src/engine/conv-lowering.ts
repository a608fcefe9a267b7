// Patch-matrix (im2col + MatMul) lowerings for the convolution ops of ops-conv.ts.
// ONNX Runtime's CPU Conv takes its fast (NCHWc) path only for constant weights, and its generic
// kernels are worst on the weight gradient: lowered as a dilated Conv over the batch axis it was
// about half of a conv encoder's training step (world_model_step). Here the weight gradient is
// one batched MatMul over patch matrices, and the patch matrices come from a grouped Conv whose
// constant one-hot kernel copies tap (a, b) of channel c to output channel c*KH*KW + a*KW + b:
// a constant weight, so ONNX Runtime builds the patches with its own multithreaded im2col, where
// slices and a concat (tried, with and without a space-to-depth step, channels first and last)
// were slower than the dilated Conv. Measured on world_model_step (README, Benchmarks):
// - conv2dWeightGrad: one-hot patches + batched MatMul, the bulk of the gain;
// - conv2d: in a training graph (one that also takes the weight gradient of the same input) a
//   MatMul on those shared patches, at least as fast as ONNX Conv there; alone, ONNX Conv is
//   ~2x faster than patches + MatMul, so inference graphs keep it;
// - convTranspose2d (the input gradient): ONNX ConvTranspose stays fastest of those tried (a
//   channels-last phase-decomposed GEMM; MatMul + Col2Im).
import { hostTensor } from "./dtype.ts";
import type { Graph, Node } from "./ir.ts";
import type { Lowering } from "./registry.ts";

/**
 * How the conv ops lower to ONNX. "auto" (the default): weight gradients through patch
 * matrices, and conv2d too where its graph takes that weight gradient (sharing the patches);
 * other convolutions and transposed convolutions as ONNX Conv/ConvTranspose. "patches": every
 * conv2d through patch matrices.
 * "native": Conv, ConvTranspose and a dilated Conv for the weight gradient.
 */
export type ConvLowering = "auto" | "patches" | "native";
let mode: ConvLowering = "auto";

/** Sets the conv lowering for graphs emitted from now on; returns the previous setting. */
export function setConvLowering(next: ConvLowering): ConvLowering {
  const prev = mode;
  mode = next;
  return prev;
}

/** The conv lowering in force. */
export function convLowering(): ConvLowering {
  return mode;
}

// Per graph (and its node count, as graphs only grow): the conv inputs that also have a weight
// gradient, keyed by tensor id and geometry.
const weightGradInputs = new WeakMap<Graph, { size: number; keys: Set<string> }>();
const gradKey = (id: number, kernel: unknown, stride: unknown, padding: unknown): string =>
  `${id}|${kernel}|${stride}|${padding}`;

/**
 * Whether conv2d `node` lowers through patch matrices: always under "patches"; under "auto"
 * when its graph also takes the weight gradient of the same input (a training graph), where the
 * patches are built anyway and the MatMul beats ONNX Runtime's generic Conv.
 */
export function convThroughPatches(node: Node): boolean {
  if (mode !== "auto") return mode === "patches";
  const x = node.inputs[0];
  const graph = x.graph;
  let entry = weightGradInputs.get(graph);
  if (!entry || entry.size !== graph.nodes.length) {
    const keys = new Set<string>();
    for (const n of graph.nodes) {
      if (n.op === "conv2dWeightGrad")
        keys.add(gradKey(n.inputs[0].id, n.attrs.kernel, n.attrs.stride, n.attrs.padding));
    }
    entry = { size: graph.nodes.length, keys };
    weightGradInputs.set(graph, entry);
  }
  const kernel = node.inputs[1].shape.slice(2);
  return entry.keys.has(gradKey(x.id, kernel, node.attrs.stride, node.attrs.padding));
}

/** The geometry of a convolution of x [N, C, H, W] to [N, O, HO, WO]. */
export interface ConvGeometry {
  N: number;
  C: number;
  O: number;
  KH: number;
  KW: number;
  stride: number[];
  padding: number[];
  HO: number;
  WO: number;
}

export function convGeometry(
  x: readonly number[],
  out: readonly number[],
  kernel: readonly number[],
  stride: readonly number[],
  padding: readonly number[],
): ConvGeometry {
  return {
    N: x[0],
    C: x[1],
    O: out[1],
    KH: kernel[0],
    KW: kernel[1],
    stride: [...stride],
    padding: [...padding],
    HO: out[2],
    WO: out[3],
  };
}

// Patch matrices are shared between the lowerings of one graph (the forward conv and the weight
// gradient of the same input), keyed by the Lowering being emitted.
const memos = new WeakMap<Lowering, Map<string, string>>();
function memo(l: Lowering, key: string, build: () => string): string {
  let m = memos.get(l);
  if (!m) {
    m = new Map();
    memos.set(l, m);
  }
  let name = m.get(key);
  if (name === undefined) {
    name = build();
    m.set(key, name);
  }
  return name;
}

function emit(l: Lowering, op: string, inputs: string[], attrs = {}, hint = op.toLowerCase()): string {
  const out = l.fresh(hint);
  l.node(op, inputs, [out], attrs);
  return out;
}
const reshape = (l: Lowering, x: string, shape: readonly number[]): string =>
  emit(l, "Reshape", [x, l.int64s(shape)], {}, "rs");
const transpose = (l: Lowering, x: string, perm: readonly number[]): string =>
  emit(l, "Transpose", [x], { perm: { ints: [...perm] } }, "tr");

/**
 * The patches of x per sample, [N, C*KH*KW, HO*WO], rows ordered (channel, kernel row, kernel
 * column) like a weight [O, C, KH, KW] flattened to [O, C*KH*KW].
 */
export function patchMatrix(l: Lowering, x: string, g: ConvGeometry): string {
  const { N, C, KH, KW, stride, padding, HO, WO } = g;
  return memo(l, `patches|${x}|${KH},${KW}|${stride}|${padding}`, () => {
    const T = KH * KW;
    const onehot = memo(l, `onehot|${C}|${KH}|${KW}`, () => {
      const data = new Float32Array(C * T * T);
      for (let c = 0; c < C; c++) for (let t = 0; t < T; t++) data[(c * T + t) * T + t] = 1;
      return l.constant(hostTensor([C * T, 1, KH, KW], data, "float32"));
    });
    const [ph, pw] = padding;
    const p = emit(
      l,
      "Conv",
      [x, onehot],
      {
        group: { i: C },
        kernel_shape: { ints: [KH, KW] },
        strides: { ints: stride },
        pads: { ints: [ph, pw, ph, pw] },
      },
      "patches",
    );
    return reshape(l, p, [N, C * T, HO * WO]);
  });
}

/**
 * dW [O, C, KH, KW] = sum over samples of P[n] @ G[n]^T (P [C*KH*KW, HO*WO] streams as the
 * large operand, the output gradient G[n] [O, HO*WO] is the small packed one), then one sum.
 */
export function lowerWeightGradPatches(
  l: Lowering,
  g: ConvGeometry,
  x: string,
  gy: string,
  out: string,
): void {
  const { N, C, O, KH, KW, HO, WO } = g;
  const p = patchMatrix(l, x, g);
  const gt = transpose(l, reshape(l, gy, [N, O, HO * WO]), [0, 2, 1]); // fused into the MatMul
  const per = emit(l, "MatMul", [p, gt], {}, "dwn"); // [N, C*KH*KW, O]
  const dwt = emit(l, "ReduceSum", [per, l.int64s([0])], { keepdims: { i: 0 } }, "dwt");
  l.node("Reshape", [transpose(l, dwt, [1, 0]), l.int64s([O, C, KH, KW])], [out]);
}

/** conv2d as W [O, C*KH*KW] @ P[n] per sample (+ bias), on the patches its weight gradient shares. */
export function lowerConvPatches(l: Lowering, g: ConvGeometry, [x, w, bias]: string[], out: string): void {
  const { N, C, O, KH, KW, HO, WO } = g;
  const p = patchMatrix(l, x, g);
  let y = emit(l, "MatMul", [reshape(l, w, [O, C * KH * KW]), p], {}, "conv"); // [N, O, HO*WO]
  if (bias) y = emit(l, "Add", [y, reshape(l, bias, [O, 1])], {}, "convb");
  l.node("Reshape", [y, l.int64s([N, O, HO, WO])], [out]);
}
