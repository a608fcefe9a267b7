// The ONNX ops the importer replays: one handler per op type over a node's context.
import { type HostTensor, hostTensor, sizeOf } from "./dtype.ts";
import { constant, type Tensor } from "./ir.ts";
import { decodeTensor, dtypeOf, isHost, OnnxImportError, type OnnxNode, type Value } from "./onnx-decode.ts";
import * as ops from "./ops.ts";

// ---------- the replay context of one node ----------
export class NodeContext {
  constructor(
    readonly node: OnnxNode,
    readonly opset: number,
    private readonly values: (name: string) => Value | undefined,
    private readonly toTensor: (v: HostTensor) => Tensor,
  ) {}

  get count(): number {
    return this.node.inputs.length;
  }
  has(i: number): boolean {
    return Boolean(this.node.inputs[i]);
  }
  value(i: number): Value {
    const name = this.node.inputs[i];
    const v = name ? this.values(name) : undefined;
    if (!v) throw new OnnxImportError(`input ${i} ("${name ?? ""}") is not produced by any earlier node`);
    return v;
  }
  tensor(i: number): Tensor {
    const v = this.value(i);
    return isHost(v) ? this.toTensor(v) : v;
  }
  /** A value that must be known at import (a shape, axes, indices): static shapes only. */
  host(i: number, what: string): HostTensor {
    const v = this.value(i);
    if (!isHost(v))
      throw new OnnxImportError(
        `${what} (input ${i}) depends on the input data; only static ${what} are supported`,
      );
    return v;
  }
  ints(i: number, what: string): number[] {
    return Array.from(this.host(i, what).data as ArrayLike<number | bigint>, Number);
  }
  // A present attribute whose value is 0 decodes without the field (proto3 defaults).
  int(name: string, fallback: number): number {
    const a = this.node.attrs[name];
    return a ? Number(a.i ?? 0) : fallback;
  }
  float(name: string, fallback: number): number {
    const a = this.node.attrs[name];
    return a ? (a.f ?? 0) : fallback;
  }
  intList(name: string): number[] | undefined {
    return this.node.attrs[name]?.ints?.map(Number);
  }
  string(name: string, fallback: string): string {
    const s = this.node.attrs[name]?.s;
    return s ? new TextDecoder().decode(s) : fallback;
  }
}

export type Handler = (c: NodeContext) => Value[];

const normAxis = (a: number, rank: number): number => (a < 0 ? a + rank : a);

function broadcast(a: readonly number[], b: readonly number[]): number[] {
  const rank = Math.max(a.length, b.length);
  return Array.from({ length: rank }, (_, i) => {
    const x = a[a.length - rank + i] ?? 1;
    const y = b[b.length - rank + i] ?? 1;
    if (x !== y && x !== 1 && y !== 1) throw new OnnxImportError(`shapes [${a}] and [${b}] do not broadcast`);
    return x === 1 ? y : x;
  });
}

/** The axes of a reduction or (un)squeeze: attribute before the opset that made it an input. */
function axesOf(c: NodeContext, inputFrom: number): number[] | undefined {
  if (c.opset >= inputFrom) return c.has(1) ? c.ints(1, "axes") : undefined;
  return c.intList("axes");
}

const unary =
  (f: (x: Tensor) => Tensor): Handler =>
  (c) => [f(c.tensor(0))];

function binary(f: (a: Tensor, b: Tensor) => Tensor, integer?: (a: number, b: number) => number): Handler {
  return (c) => {
    const a = c.value(0);
    const b = c.value(1);
    // Integer shape arithmetic (e.g. `dim // heads`) is exact on the host, with ONNX's truncation.
    if (integer && isHost(a) && isHost(b) && (a.dtype === "int64" || a.dtype === "int32")) {
      const shape = broadcast(a.shape, b.shape);
      const av = Array.from(a.data as ArrayLike<number | bigint>, Number);
      const bv = Array.from(b.data as ArrayLike<number | bigint>, Number);
      const out = Array.from({ length: sizeOf(shape) }, (_, i) =>
        integer(av[i % av.length], bv[i % bv.length]),
      );
      if (av.length !== 1 && bv.length !== 1 && av.length !== bv.length)
        throw new OnnxImportError("integer arithmetic on host values needs equal sizes or a scalar");
      return [hostTensor(shape, out, a.dtype)];
    }
    return [f(c.tensor(0), c.tensor(1))];
  };
}

function reduce(f: (x: Tensor, axes: number[], keep: boolean) => Tensor, axesInputFrom: number): Handler {
  return (c) => {
    const x = c.tensor(0);
    let axes = axesOf(c, axesInputFrom);
    if (!axes || axes.length === 0) {
      if (c.int("noop_with_empty_axes", 0)) return [x];
      axes = x.shape.map((_, i) => i);
    }
    return [
      f(
        x,
        axes.map((a) => normAxis(a, x.rank)),
        c.int("keepdims", 1) === 1,
      ),
    ];
  };
}

function matmul(a: Tensor, b: Tensor): Tensor {
  // numpy semantics: a 1-D operand gains an axis that is dropped from the result.
  const a2 = a.rank === 1 ? ops.reshape(a, [1, a.shape[0]]) : a;
  const b2 = b.rank === 1 ? ops.reshape(b, [b.shape[0], 1]) : b;
  let y = ops.matmul(a2, b2);
  if (a.rank === 1) y = ops.reshape(y, [...y.shape.slice(0, -2), y.shape[y.rank - 1]]);
  if (b.rank === 1) y = ops.reshape(y, y.shape.slice(0, -1));
  return y;
}

function conv(c: NodeContext): Value[] {
  const x = c.tensor(0);
  const w = c.tensor(1);
  if (x.rank !== 4) throw new OnnxImportError(`only 2-D convolutions are supported; input is [${x.shape}]`);
  const group = c.int("group", 1);
  if (group !== 1)
    throw new OnnxImportError(`group ${group} is not supported (grouped/depthwise convolution)`);
  if ((c.intList("dilations") ?? [1, 1]).some((d) => d !== 1))
    throw new OnnxImportError(`dilations [${c.intList("dilations")}] are not supported; only 1`);
  const autoPad = c.string("auto_pad", "NOTSET");
  if (autoPad !== "NOTSET" && autoPad !== "VALID")
    throw new OnnxImportError(`auto_pad ${autoPad} is not supported`);
  const [sh, sw] = c.intList("strides") ?? [1, 1];
  const [hb, wb, he, we] = autoPad === "VALID" ? [0, 0, 0, 0] : (c.intList("pads") ?? [0, 0, 0, 0]);
  const symmetric = hb === he && wb === we;
  const input = symmetric ? x : ops.pad(x, [0, 0, hb, wb], [0, 0, he, we]);
  return [
    ops.conv2d(input, w, {
      stride: [sh, sw],
      padding: symmetric ? [hb, wb] : [0, 0],
      bias: c.has(2) ? c.tensor(2) : undefined,
    }),
  ];
}

function gemm(c: NodeContext): Value[] {
  let a = c.tensor(0);
  let b = c.tensor(1);
  if (c.int("transA", 0)) a = ops.transpose(a);
  if (c.int("transB", 0)) b = ops.transpose(b);
  const alpha = c.float("alpha", 1);
  const beta = c.float("beta", 1);
  let y = ops.matmul(a, b);
  if (alpha !== 1) y = ops.mul(y, alpha);
  if (c.has(2)) y = ops.add(y, beta === 1 ? c.tensor(2) : ops.mul(c.tensor(2), beta));
  return [y];
}

function reshape(c: NodeContext): Value[] {
  const x = c.tensor(0);
  const target = c.ints(1, "shape");
  const allowZero = c.int("allowzero", 0) === 1;
  return [
    ops.reshape(
      x,
      target.map((d, i) => (d === 0 && !allowZero ? x.shape[i] : d)),
    ),
  ];
}

function slice(c: NodeContext): Value[] {
  let x = c.tensor(0);
  const starts = c.ints(1, "starts");
  const ends = c.ints(2, "ends");
  const axes = c.has(3) ? c.ints(3, "axes") : starts.map((_, i) => i);
  const steps = c.has(4) ? c.ints(4, "steps") : starts.map(() => 1);
  axes.forEach((axis0, k) => {
    const axis = normAxis(axis0, x.rank);
    const n = x.shape[axis];
    if (steps[k] !== 1)
      throw new OnnxImportError(`step ${steps[k]} on axis ${axis} is not supported; only 1`);
    const clamp = (v: number) => Math.min(n, Math.max(0, v < 0 ? v + n : v));
    const s = clamp(starts[k]);
    const e = clamp(ends[k]);
    if (e <= s)
      throw new OnnxImportError(`an empty slice [${starts[k]}, ${ends[k]}) of axis ${axis} (size ${n})`);
    if (s !== 0 || e !== n) x = ops.slice(x, axis, s, e);
  });
  return [x];
}

function unsqueeze(c: NodeContext): Value[] {
  const x = c.tensor(0);
  const axes = (axesOf(c, 13) ?? []).map((a) => normAxis(a, x.rank + (axesOf(c, 13)?.length ?? 0)));
  const shape = [...x.shape];
  for (const a of [...axes].sort((p, q) => p - q)) shape.splice(a, 0, 1);
  return [ops.reshape(x, shape)];
}

function squeeze(c: NodeContext): Value[] {
  const x = c.tensor(0);
  const axes = (axesOf(c, 13) ?? x.shape.flatMap((d, i) => (d === 1 ? [i] : []))).map((a) =>
    normAxis(a, x.rank),
  );
  for (const a of axes)
    if (x.shape[a] !== 1) throw new OnnxImportError(`cannot squeeze axis ${a} of [${x.shape}]`);
  return [
    ops.reshape(
      x,
      x.shape.filter((_, i) => !axes.includes(i)),
    ),
  ];
}

function shapeOf(c: NodeContext): Value[] {
  const shape = [...c.value(0).shape];
  const start = normAxis(c.int("start", 0), shape.length);
  const end = c.node.attrs.end ? normAxis(c.int("end", shape.length), shape.length) : shape.length;
  const dims = shape.slice(Math.max(0, start), Math.min(shape.length, end));
  return [hostTensor([dims.length], dims, "int64")];
}

function constantNode(c: NodeContext): Value[] {
  const a = c.node.attrs;
  if (a.value?.t) return [decodeTensor(a.value.t, `Constant ${c.node.name}`)];
  if (a.value_float) return [hostTensor([], [a.value_float.f ?? 0], "float32")];
  if (a.value_floats)
    return [hostTensor([a.value_floats.floats?.length ?? 0], a.value_floats.floats ?? [], "float32")];
  if (a.value_int) return [hostTensor([], [Number(a.value_int.i ?? 0)], "int64")];
  if (a.value_ints)
    return [hostTensor([a.value_ints.ints?.length ?? 0], (a.value_ints.ints ?? []).map(Number), "int64")];
  throw new OnnxImportError(`a Constant with attribute ${Object.keys(a).join(", ")} is not supported`);
}

function constantOfShape(c: NodeContext): Value[] {
  const shape = c.ints(0, "shape");
  const t = c.node.attrs.value?.t;
  const v = t ? decodeTensor(t, "ConstantOfShape value") : hostTensor([1], [0], "float32");
  const fill = Number((v.data as ArrayLike<number | bigint>)[0]);
  return [hostTensor(shape, new Array(sizeOf(shape)).fill(fill), v.dtype)];
}

function range(c: NodeContext): Value[] {
  const [start, limit, delta] = [0, 1, 2].map((i) => c.ints(i, "range bounds")[0]);
  const n = Math.max(0, Math.ceil((limit - start) / delta));
  return [
    hostTensor(
      [n],
      Array.from({ length: n }, (_, i) => start + i * delta),
      c.host(0, "range bounds").dtype,
    ),
  ];
}

function gather(c: NodeContext): Value[] {
  const x = c.tensor(0);
  const idx = c.value(1);
  const indices = isHost(idx) ? constant(idx) : idx;
  return [ops.gather(x, indices, normAxis(c.int("axis", 0), x.rank))];
}

function castNode(c: NodeContext): Value[] {
  const to = dtypeOf(c.int("to", 1), "Cast target");
  return [ops.cast(c.tensor(0), to)];
}

function layerNormalization(c: NodeContext): Value[] {
  const x = c.tensor(0);
  const axis = normAxis(c.int("axis", -1), x.rank);
  const gamma = c.tensor(1);
  const beta = c.has(2) ? c.tensor(2) : ops.zerosLike(gamma);
  return [ops.layerNorm(x, gamma, beta, { axis, eps: c.float("epsilon", 1e-5) })];
}

function batchNormalization(c: NodeContext): Value[] {
  const x = c.tensor(0);
  const perChannel = [x.shape[1], ...x.shape.slice(2).map(() => 1)];
  const [scale, bias, mean, variance] = [1, 2, 3, 4].map((i) => ops.reshape(c.tensor(i), perChannel));
  const a = ops.div(scale, ops.sqrt(ops.add(variance, c.float("epsilon", 1e-5))));
  return [ops.add(ops.mul(x, a), ops.sub(bias, ops.mul(mean, a)))];
}

function split(c: NodeContext): Value[] {
  const x = c.tensor(0);
  const axis = normAxis(c.int("axis", 0), x.rank);
  let sizes = c.opset >= 13 ? (c.has(1) ? c.ints(1, "split") : undefined) : c.intList("split");
  if (!sizes) {
    const parts = c.int("num_outputs", c.node.outputs.length);
    const each = Math.ceil(x.shape[axis] / parts);
    sizes = Array.from({ length: parts }, (_, i) => Math.min(each, x.shape[axis] - i * each));
  }
  return ops.split(x, axis, sizes);
}

function clip(c: NodeContext): Value[] {
  let x = c.tensor(0);
  if (c.has(1)) x = ops.maximum(x, c.tensor(1));
  if (c.has(2)) x = ops.minimum(x, c.tensor(2));
  return [x];
}

function pow(c: NodeContext): Value[] {
  const x = c.tensor(0);
  const e = c.value(1);
  // Constant exponents of 2 and 0.5 (LayerNorm and GELU decompositions) as exact, cheap ops.
  if (isHost(e) && e.data.length === 1) {
    const v = Number((e.data as ArrayLike<number | bigint>)[0]);
    if (v === 2) return [ops.mul(x, x)];
    if (v === 0.5) return [ops.sqrt(x)];
    if (v === 1) return [x];
  }
  return [ops.pow(x, ops.cast(c.tensor(1), x.dtype))];
}

export const HANDLERS: Record<string, Handler> = {
  Identity: (c) => [c.value(0)],
  Dropout: (c) => [c.value(0)],
  Constant: constantNode,
  ConstantOfShape: constantOfShape,
  Shape: shapeOf,
  Range: range,
  Cast: castNode,
  Add: binary(ops.add, (a, b) => a + b),
  Sub: binary(ops.sub, (a, b) => a - b),
  Mul: binary(ops.mul, (a, b) => a * b),
  Div: binary(ops.div, (a, b) => Math.trunc(a / b)),
  Pow: pow,
  Max: binary(ops.maximum, Math.max),
  Min: binary(ops.minimum, Math.min),
  Equal: binary(ops.equal),
  Where: (c) => [ops.where(c.tensor(0), c.tensor(1), c.tensor(2))],
  Relu: unary(ops.relu),
  Tanh: unary(ops.tanh),
  Sigmoid: unary(ops.sigmoid),
  Erf: unary(ops.erf),
  Sqrt: unary(ops.sqrt),
  Exp: unary(ops.exp),
  Log: unary(ops.log),
  Neg: unary(ops.neg),
  Abs: unary(ops.abs),
  Reciprocal: unary(ops.reciprocal),
  Gelu: (c) => [ops.gelu(c.tensor(0), c.string("approximate", "none") === "tanh" ? "tanh" : "none")],
  Clip: clip,
  MatMul: (c) => [matmul(c.tensor(0), c.tensor(1))],
  Gemm: gemm,
  Conv: conv,
  Reshape: reshape,
  Flatten: (c) => {
    const x = c.tensor(0);
    const axis = normAxis(c.int("axis", 1), x.rank);
    return [ops.reshape(x, [sizeOf(x.shape.slice(0, axis)), sizeOf(x.shape.slice(axis))])];
  },
  Transpose: (c) => [ops.transpose(c.tensor(0), c.intList("perm"))],
  Concat: (c) => {
    const xs = Array.from({ length: c.count }, (_, i) => c.tensor(i));
    return [ops.concat(xs, normAxis(c.int("axis", 0), xs[0].rank))];
  },
  Split: split,
  Slice: slice,
  Gather: gather,
  Unsqueeze: unsqueeze,
  Squeeze: squeeze,
  Expand: (c) => {
    const x = c.tensor(0);
    return [ops.broadcastTo(x, broadcast(x.shape, c.ints(1, "shape")))];
  },
  ReduceMean: reduce((x, a, k) => ops.mean(x, a, k), 18),
  ReduceSum: reduce((x, a, k) => ops.sum(x, a, k), 13),
  ReduceMax: reduce((x, a, k) => ops.max(x, a, k), 18),
  GlobalAveragePool: (c) => {
    const x = c.tensor(0);
    return [ops.mean(x, x.shape.map((_, i) => i).slice(2), true)];
  },
  Softmax: (c) => {
    const x = c.tensor(0);
    const axis = normAxis(c.int("axis", c.opset >= 13 ? -1 : 1), x.rank);
    if (c.opset < 13 && axis !== x.rank - 1)
      throw new OnnxImportError(
        `Softmax before opset 13 flattens from axis ${axis}; only the last axis is supported`,
      );
    return [ops.softmax(x, axis)];
  },
  LayerNormalization: layerNormalization,
  BatchNormalization: batchNormalization,
};

/** The ONNX op types (default domain) that `importOnnx` can replay. */
export function supportedOnnxOps(): string[] {
  return Object.keys(HANDLERS).sort();
}
