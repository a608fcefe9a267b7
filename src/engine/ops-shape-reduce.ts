// Shape ops (reshape, transpose, slice, pad, concat, split, expand, gather with its
// scatter-add gradient) and reductions (sum, mean, max).

import { apply, apply1 } from "./apply.ts";
import { hostTensor, sizeOf } from "./dtype.ts";
import { constant, type Node, ShapeError, type Tensor, type TensorType } from "./ir.ts";
import { forEachBroadcast, ndarray, transposeData } from "./kernels.ts";
import { cast, div, equal, where } from "./ops-elementwise.ts";
import { defineOp, type Lowering, type NDArray } from "./registry.ts";
import { broadcastShapes, broadcastStrides, fmt, normAxes, normAxis, stridesOf } from "./shape.ts";

const same = (x: NDArray, shape: number[]): NDArray => ({ shape, dtype: x.dtype, data: x.data });

// ---------- reshape ----------
function resolveShape(x: readonly number[], target: readonly number[]): number[] {
  const n = sizeOf(x);
  const known = target.filter((d) => d !== -1);
  const free = target.length - known.length;
  const k = sizeOf(known);
  if (free > 1)
    throw new ShapeError(`reshape: target ${fmt(target)} has more than one -1; give all but one dimension`);
  const out = target.map((d) => (d === -1 ? n / k : d));
  if (sizeOf(out) !== n || out.some((d) => !Number.isInteger(d) || d < 0)) {
    throw new ShapeError(
      `reshape: cannot reshape ${fmt(x)} (${n} elements) to ${fmt(target)}; the target must hold ${n} elements`,
    );
  }
  return out;
}

defineOp({
  name: "reshape",
  infer: ([x], a) => [{ shape: resolveShape(x.shape, a.shape as number[]), dtype: x.dtype }],
  grad: (node, [g]) => [g ? reshape(g, node.inputs[0].shape) : null],
  lower(l, node, [x], outputs) {
    l.node("Reshape", [x, l.int64s(node.outputs[0].shape)], outputs);
  },
  evaluate: ([x], node) => [same(x, [...node.outputs[0].shape])],
});
/** Same data, new shape; one dimension may be -1. */
export function reshape(x: Tensor, shape: readonly number[]): Tensor {
  const resolved = resolveShape(x.shape, shape);
  if (resolved.length === x.rank && resolved.every((d, i) => d === x.shape[i])) return x;
  return apply1("reshape", [x], { shape: resolved });
}

// ---------- transpose ----------
defineOp({
  name: "transpose",
  infer([x], a) {
    const perm = a.perm as number[];
    const sorted = [...perm].sort((p, q) => p - q);
    if (perm.length !== x.shape.length || sorted.some((p, i) => p !== i)) {
      throw new ShapeError(
        `transpose: perm [${perm}] is not a permutation of the ${x.shape.length} axes of ${fmt(x.shape)}`,
      );
    }
    return [{ shape: perm.map((p) => x.shape[p]), dtype: x.dtype }];
  },
  grad(node, [g]) {
    if (!g) return [null];
    const perm = node.attrs.perm as number[];
    // (A B)^T = B^T A^T: the gradient of a swapped product is a product of swapped operands,
    // whose swaps ONNX Runtime folds into the product (a transpose of a result is a copy).
    if (swapsLastTwo(perm) && g.node.op === "matmul" && usedOnce(g)) {
      const [a, b] = g.node.inputs;
      return [apply1("matmul", [swapLast(b), swapLast(a)])];
    }
    return [
      transpose(
        g,
        perm.map((_, i) => perm.indexOf(i)),
      ),
    ];
  },
  lower(l, node, inputs, outputs) {
    l.node("Transpose", inputs, outputs, { perm: { ints: node.attrs.perm as number[] } });
  },
  evaluate: ([x], node) => [transposeData(x, node.attrs.perm as number[])],
});
const swapsLastTwo = (perm: readonly number[]): boolean =>
  perm.length >= 2 && perm.every((p, i) => (i < perm.length - 2 ? p === i : p === 2 * perm.length - 3 - i));

/** Whether no node of the graph but the one being differentiated reads t (it is fresh). */
function usedOnce(t: Tensor): boolean {
  return !t.graph.nodes.some((n) => n.inputs.includes(t));
}

/** Permutes axes (default: reverses them). */
export function transpose(x: Tensor, perm?: readonly number[]): Tensor {
  const p = perm ? perm.map((a) => normAxis("transpose", a, x.rank)) : x.shape.map((_, i) => x.rank - 1 - i);
  if (p.every((a, i) => a === i)) return x;
  if (x.node.op === "transpose") {
    // A transpose that undoes the one that made x gives x back.
    const inner = x.node.attrs.perm as number[];
    if (p.every((a, i) => inner[a] === i)) return x.node.inputs[0];
  }
  return apply1("transpose", [x], { perm: p });
}
/** Swaps the last two axes. */
export function swapLast(x: Tensor): Tensor {
  const p = x.shape.map((_, i) => i);
  [p[x.rank - 2], p[x.rank - 1]] = [p[x.rank - 1], p[x.rank - 2]];
  return transpose(x, p);
}

// ---------- slice and pad ----------
/** Copies a box of `x` (starts/ends per axis) into a new array, or the reverse for pad. */
function boxCopy(src: NDArray, dstShape: number[], offsets: number[], intoLarger: boolean): NDArray {
  const out = ndarray(dstShape, src.dtype);
  const small = intoLarger ? src.shape : dstShape;
  const large = intoLarger ? dstShape : src.shape;
  const ls = stridesOf(large);
  let base = 0;
  for (let d = 0; d < offsets.length; d++) base += offsets[d] * ls[d];
  const smallStrides = stridesOf(small);
  const n = sizeOf(small);
  for (let i = 0; i < n; i++) {
    let rem = i;
    let off = base;
    for (let d = 0; d < small.length; d++) {
      const idx = Math.floor(rem / smallStrides[d]);
      rem -= idx * smallStrides[d];
      off += idx * ls[d];
    }
    if (intoLarger) out.data[off] = src.data[i];
    else out.data[i] = src.data[off];
  }
  return out;
}

defineOp({
  name: "slice",
  infer([x], a) {
    const starts = a.starts as number[];
    const ends = a.ends as number[];
    return [{ shape: x.shape.map((_, d) => ends[d] - starts[d]), dtype: x.dtype }];
  },
  grad(node, [g]) {
    if (!g) return [null];
    const x = node.inputs[0];
    const starts = node.attrs.starts as number[];
    const ends = node.attrs.ends as number[];
    return [
      pad(
        g,
        starts,
        x.shape.map((d, i) => d - ends[i]),
      ),
    ];
  },
  lower(l, node, [x], outputs) {
    const starts = node.attrs.starts as number[];
    const ends = node.attrs.ends as number[];
    const axes = starts
      .map((_, i) => i)
      .filter((i) => starts[i] !== 0 || ends[i] !== node.inputs[0].shape[i]);
    l.node(
      "Slice",
      [x, l.int64s(axes.map((i) => starts[i])), l.int64s(axes.map((i) => ends[i])), l.int64s(axes)],
      outputs,
    );
  },
  evaluate: ([x], node) => [boxCopy(x, [...node.outputs[0].shape], node.attrs.starts as number[], false)],
});

/** x[..., start:end, ...] along one axis (negative indices count from the end). */
export function slice(x: Tensor, axis: number, start: number, end: number): Tensor {
  const a = normAxis("slice", axis, x.rank);
  const n = x.shape[a];
  const s = start < 0 ? start + n : start;
  const e = end < 0 ? end + n : Math.min(end, n);
  if (s < 0 || s > e || e > n) {
    throw new ShapeError(
      `slice: range ${start}:${end} is outside axis ${axis} of ${fmt(x.shape)} (size ${n})`,
    );
  }
  if (s === 0 && e === n) return x;
  const starts = x.shape.map((_, i) => (i === a ? s : 0));
  const ends = x.shape.map((d, i) => (i === a ? e : d));
  return apply1("slice", [x], { starts, ends });
}

defineOp({
  name: "pad",
  infer: ([x], a) => [
    {
      shape: x.shape.map((d, i) => d + (a.before as number[])[i] + (a.after as number[])[i]),
      dtype: x.dtype,
    },
  ],
  grad(node, [g]) {
    if (!g) return [null];
    const before = node.attrs.before as number[];
    const x = node.inputs[0];
    let out = g;
    for (let i = 0; i < x.rank; i++) out = slice(out, i, before[i], before[i] + x.shape[i]);
    return [out];
  },
  lower(l, node, [x], outputs) {
    const pads = [...(node.attrs.before as number[]), ...(node.attrs.after as number[])];
    l.node("Pad", [x, l.int64s(pads)], outputs, { mode: { s: "constant" } });
  },
  evaluate: ([x], node) => [boxCopy(x, [...node.outputs[0].shape], node.attrs.before as number[], true)],
});
/** Zero padding: `before[i]` and `after[i]` elements on each side of axis i. */
export function pad(x: Tensor, before: readonly number[], after: readonly number[]): Tensor {
  if (before.length !== x.rank || after.length !== x.rank) {
    throw new ShapeError(`pad: give ${x.rank} before/after sizes for ${fmt(x.shape)}`);
  }
  if (before.every((v) => v === 0) && after.every((v) => v === 0)) return x;
  return apply1("pad", [x], { before: [...before], after: [...after] });
}

// ---------- concat and split ----------
defineOp({
  name: "concat",
  infer(xs, a) {
    const axis = a.axis as number;
    const first = xs[0];
    for (const x of xs) {
      if (
        x.dtype !== first.dtype ||
        x.shape.length !== first.shape.length ||
        x.shape.some((d, i) => i !== axis && d !== first.shape[i])
      ) {
        throw new ShapeError(
          `concat: ${fmt(x.shape)} does not match ${fmt(first.shape)} outside axis ${axis}; all inputs must agree except along it`,
        );
      }
    }
    const shape = [...first.shape];
    shape[axis] = xs.reduce((s, x) => s + x.shape[axis], 0);
    return [{ shape, dtype: first.dtype }];
  },
  grad(node, [g]) {
    if (!g) return node.inputs.map(() => null);
    const axis = node.attrs.axis as number;
    let offset = 0;
    return node.inputs.map((x) => {
      const part = slice(g, axis, offset, offset + x.shape[axis]);
      offset += x.shape[axis];
      return part;
    });
  },
  lower(l, node, inputs, outputs) {
    l.node("Concat", inputs, outputs, { axis: { i: node.attrs.axis as number } });
  },
  evaluate(xs, node) {
    const axis = node.attrs.axis as number;
    const shape = [...node.outputs[0].shape];
    const out = ndarray(shape, xs[0].dtype);
    const outer = sizeOf(shape.slice(0, axis));
    const inner = sizeOf(shape.slice(axis + 1));
    let pos = 0;
    for (const x of xs) {
      const rows = x.shape[axis] * inner;
      for (let o = 0; o < outer; o++) {
        out.data.set(x.data.subarray(o * rows, (o + 1) * rows), o * shape[axis] * inner + pos);
      }
      pos += rows;
    }
    return [out];
  },
});
/** Joins tensors along an axis. */
export function concat(xs: readonly Tensor[], axis: number): Tensor {
  if (xs.length === 0) throw new ShapeError("concat: needs at least one tensor");
  if (xs.length === 1) return xs[0];
  return apply1("concat", [...xs], { axis: normAxis("concat", axis, xs[0].rank) });
}

defineOp({
  name: "split",
  infer([x], a) {
    const axis = a.axis as number;
    const sizes = a.sizes as number[];
    if (sizes.reduce((s, v) => s + v, 0) !== x.shape[axis]) {
      throw new ShapeError(
        `split: sizes [${sizes}] do not add up to ${x.shape[axis]}, axis ${axis} of ${fmt(x.shape)}`,
      );
    }
    return sizes.map((n) => ({ shape: x.shape.map((d, i) => (i === axis ? n : d)), dtype: x.dtype }));
  },
  grad(node, grads) {
    if (grads.every((g) => !g)) return [null];
    const parts = grads.map((g, i) => g ?? zerosLike(node.outputs[i]));
    return [concat(parts, node.attrs.axis as number)];
  },
  lower(l, node, [x], outputs) {
    l.node("Split", [x, l.int64s(node.attrs.sizes as number[])], outputs, {
      axis: { i: node.attrs.axis as number },
    });
  },
  evaluate([x], node) {
    const axis = node.attrs.axis as number;
    let start = 0;
    return node.outputs.map((o) => {
      const starts = x.shape.map((_, i) => (i === axis ? start : 0));
      start += o.shape[axis];
      return boxCopy(x, [...o.shape], starts, false);
    });
  },
});
/** Splits along an axis into parts of the given sizes. */
export function split(x: Tensor, axis: number, sizes: readonly number[]): Tensor[] {
  const a = normAxis("split", axis, x.rank);
  if (sizes.length === 1) return [x];
  return apply("split", [x], { axis: a, sizes: [...sizes] });
}

// ---------- expand ----------
defineOp({
  name: "expand",
  infer([x], a) {
    const shape = a.shape as number[];
    const out = broadcastShapes("broadcastTo", x.shape, shape);
    if (out.length !== shape.length || out.some((d, i) => d !== shape[i])) {
      throw new ShapeError(`broadcastTo: ${fmt(x.shape)} cannot be broadcast to ${fmt(shape)}`);
    }
    return [{ shape, dtype: x.dtype }];
  },
  grad: (node, [g]) => [g ? sumTo(g, node.inputs[0].shape) : null],
  lower(l, node, [x], outputs) {
    l.node("Expand", [x, l.int64s(node.attrs.shape as number[])], outputs);
  },
  evaluate([x], node) {
    const shape = [...node.outputs[0].shape];
    const out = ndarray(shape, x.dtype);
    forEachBroadcast(shape, [x.shape], (i, o) => {
      out.data[i] = x.data[o[0]];
    });
    return [out];
  },
});
/** Broadcasts x to a shape (numpy rules). */
export function broadcastTo(x: Tensor, shape: readonly number[]): Tensor {
  if (x.rank === shape.length && x.shape.every((d, i) => d === shape[i])) return x;
  return apply1("expand", [x], { shape: [...shape] });
}
/** Sums a tensor down to `shape` over the axes it was broadcast along. */
function sumTo(g: Tensor, shape: readonly number[]): Tensor {
  const lead = g.rank - shape.length;
  const axes = g.shape
    .map((_, i) => i)
    .filter((i) => i < lead || (shape[i - lead] === 1 && g.shape[i] !== 1));
  return reshape(axes.length ? sum(g, axes, true) : g, shape);
}

// ---------- reductions ----------
function inferReduce(x: TensorType, a: Record<string, unknown>): TensorType[] {
  const axes = a.axes as number[];
  const keep = a.keepdims as boolean;
  const shape = keep
    ? x.shape.map((d, i) => (axes.includes(i) ? 1 : d))
    : x.shape.filter((_, i) => !axes.includes(i));
  return [{ shape, dtype: x.dtype }];
}
const keptShape = (x: readonly number[], axes: readonly number[]): number[] =>
  x.map((d, i) => (axes.includes(i) ? 1 : d));

function reduceKernel(
  x: NDArray,
  axes: number[],
  outShape: number[],
  init: number,
  f: (acc: number, v: number) => number,
): NDArray {
  const kept = keptShape(x.shape, axes);
  const out = ndarray(outShape, x.dtype);
  out.data.fill(init);
  const strides = broadcastStrides(kept, x.shape);
  const rank = x.shape.length;
  const index = new Array<number>(rank).fill(0);
  let o = 0;
  for (let i = 0; i < x.data.length; i++) {
    out.data[o] = f(out.data[o], x.data[i]);
    for (let d = rank - 1; d >= 0; d--) {
      index[d]++;
      o += strides[d];
      if (index[d] < x.shape[d]) break;
      o -= strides[d] * x.shape[d];
      index[d] = 0;
    }
  }
  return out;
}

/**
 * A sum over leading axes (bias and norm-scale gradients: [B, T, C] -> [C]) lowered as two
 * products with a row of ones, [1, R1] @ [R1, R2*C] then [1, R2] @ [R2, C]: ONNX Runtime's
 * ReduceSum over leading axes is 2-4x slower than these GEMVs (onnxruntime-node only: see
 * EmitOptions.sumsAsProducts). Returns false where it does not apply.
 */
function lowerLeadingSum(l: Lowering, node: Node, x: string, output: string): boolean {
  const input = node.inputs[0];
  const axes = [...(node.attrs.axes as number[])].sort((a, b) => a - b);
  const prefix = axes.every((a, i) => a === i) && axes.length < input.rank;
  if (!prefix || (input.dtype !== "float32" && input.dtype !== "float64")) return false;
  const rows = sizeOf(input.shape.slice(0, axes.length));
  const cols = sizeOf(input.shape.slice(axes.length));
  if (!l.sumsAsProducts || rows < 256 || cols < 16) return false;
  // Two stages of about sqrt(rows) each (the largest divisor up to sqrt(rows); one stage if prime).
  let first = Math.floor(Math.sqrt(rows));
  while (rows % first !== 0) first--;
  const ones = (n: number): string => {
    const o = l.fresh("ones");
    l.node("Expand", [l.scalar(1, input.dtype), l.int64s([1, n])], [o]);
    return o;
  };
  let current = x;
  for (const n of first > 1 ? [first, rows / first] : [rows]) {
    const flat = l.fresh("rows");
    const partial = l.fresh("colsum");
    l.node("Reshape", [current, l.int64s([n, -1])], [flat]);
    l.node("MatMul", [ones(n), flat], [partial]);
    current = partial;
  }
  l.node("Reshape", [current, l.int64s(node.outputs[0].shape)], [output]);
  return true;
}

const REDUCE = {
  sum: { onnx: "ReduceSum", init: 0, f: (a: number, v: number) => a + v },
  mean: { onnx: "ReduceMean", init: 0, f: (a: number, v: number) => a + v },
  max: { onnx: "ReduceMax", init: Number.NEGATIVE_INFINITY, f: Math.max },
};
for (const [name, r] of Object.entries(REDUCE)) {
  defineOp({
    name: `reduce_${name}`,
    infer: ([x], a) => inferReduce(x, a),
    grad(node, [g]) {
      if (!g) return [null];
      const x = node.inputs[0];
      const axes = node.attrs.axes as number[];
      const kept = keptShape(x.shape, axes);
      const gk = broadcastTo(reshape(g, kept), x.shape);
      if (name === "sum") return [gk];
      const count = axes.reduce((s, a) => s * x.shape[a], 1);
      if (name === "mean") return [div(gk, count)];
      const mask = equal(x, broadcastTo(reshape(node.outputs[0], kept), x.shape));
      const ties = sum(cast(mask, x.dtype), axes, true);
      return [where(mask, div(gk, broadcastTo(ties, x.shape)), 0)];
    },
    lower(l, node, [x], outputs) {
      const keepdims = { i: node.attrs.keepdims ? 1 : 0 };
      const axes = node.attrs.axes as number[];
      if (name === "sum" && lowerLeadingSum(l, node, x, outputs[0])) return;
      // ReduceSum takes axes as an input from opset 13, ReduceMean/ReduceMax only from 18.
      if (r.onnx !== "ReduceSum" && l.opset < 18)
        l.node(r.onnx, [x], outputs, { keepdims, axes: { ints: axes } });
      else l.node(r.onnx, [x, l.int64s(axes)], outputs, { keepdims });
    },
    evaluate([x], node) {
      const axes = node.attrs.axes as number[];
      const out = reduceKernel(x, axes, [...node.outputs[0].shape], r.init, r.f);
      if (name === "mean") {
        const count = axes.reduce((s, a) => s * x.shape[a], 1);
        for (let i = 0; i < out.data.length; i++) out.data[i] /= count;
      }
      return [out];
    },
  });
}

function reduce(
  name: string,
  x: Tensor,
  axes: number | readonly number[] | undefined,
  keepdims: boolean,
): Tensor {
  const list = normAxes(name, axes, x.rank);
  if (list.length === 0) return x;
  return apply1(`reduce_${name}`, [x], { axes: list, keepdims });
}
/** Sum over axes (all by default). */
export const sum = (x: Tensor, axes?: number | readonly number[], keepdims = false): Tensor =>
  reduce("sum", x, axes, keepdims);
/** Mean over axes (all by default). */
export const mean = (x: Tensor, axes?: number | readonly number[], keepdims = false): Tensor =>
  reduce("mean", x, axes, keepdims);
/** Maximum over axes; the gradient is shared equally among ties. */
export const max = (x: Tensor, axes?: number | readonly number[], keepdims = false): Tensor =>
  reduce("max", x, axes, keepdims);

/** A tensor of zeros shaped like x (a broadcast 0-d constant). */
export function zerosLike(x: Tensor): Tensor {
  return broadcastTo(constant(hostTensor([], [0], x.dtype)), x.shape);
}
