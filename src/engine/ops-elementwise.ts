// Elementwise ops: unary math, binary arithmetic with numpy broadcasting, comparisons,
// where, cast and stop-gradient.

import { apply1 } from "./apply.ts";
import type { DType } from "./dtype.ts";
import { hostTensor, isFloat, sizeOf } from "./dtype.ts";
import { constant, ShapeError, Tensor, type TensorType } from "./ir.ts";
import { forEachBroadcast, mapBinary, mapUnary } from "./kernels.ts";
import { reshape, sum } from "./ops-shape-reduce.ts";
import { defineOp } from "./registry.ts";
import { broadcastShapes, fmt, sameShape } from "./shape.ts";

/** A number becomes a 0-d constant of the other operand's dtype. */
export function lift(x: Tensor | number, like: Tensor): Tensor {
  if (x instanceof Tensor) return x;
  return constant(hostTensor([], [x], like.dtype));
}

/** Sums a broadcast gradient back to the shape of the input it flows to. */
export function unbroadcast(g: Tensor, shape: readonly number[]): Tensor {
  if (sameShape(g.shape, shape)) return g;
  const lead = g.rank - shape.length;
  const axes: number[] = [];
  for (let i = 0; i < g.rank; i++) {
    if (i < lead || (shape[i - lead] === 1 && g.shape[i] !== 1)) axes.push(i);
  }
  const reduced = axes.length ? sum(g, axes, true) : g;
  return reshape(reduced, shape);
}

// ---------- unary ----------
interface UnaryDef {
  onnx: string;
  f: (v: number) => number;
  /** Gradient of the input from x, y = f(x) and the upstream gradient g. */
  grad?: (x: Tensor, y: Tensor, g: Tensor) => Tensor;
  floatOnly?: boolean;
}

const erfApprox = (x: number): number => {
  // Abramowitz-Stegun 7.1.26 refined by a series/continued fraction: accurate to ~1e-15.
  const t = Math.abs(x);
  if (t < 2.5) {
    let sumTerm = t;
    let term = t;
    const t2 = t * t;
    for (let n = 1; n < 200; n++) {
      term *= -t2 / n;
      const add = term / (2 * n + 1);
      sumTerm += add;
      if (Math.abs(add) < 1e-17 * Math.abs(sumTerm)) break;
    }
    return Math.sign(x) * (2 / Math.sqrt(Math.PI)) * sumTerm;
  }
  // erfc continued fraction (Lentz) for large |x|.
  let f = t;
  let c = t;
  let d = 0;
  for (let n = 1; n < 300; n++) {
    const an = n / 2;
    d = t + an * d;
    d = 1 / d;
    c = t + an / c;
    const delta = c * d;
    f *= delta;
    if (Math.abs(delta - 1) < 1e-16) break;
  }
  const erfc = Math.exp(-t * t) / Math.sqrt(Math.PI) / f;
  return Math.sign(x) * (1 - erfc);
};
export const erfValue = erfApprox;

const UNARY: Record<string, UnaryDef> = {
  neg: { onnx: "Neg", f: (v) => -v, grad: (_x, _y, g) => neg(g) },
  exp: { onnx: "Exp", f: Math.exp, grad: (_x, y, g) => mul(g, y), floatOnly: true },
  log: { onnx: "Log", f: Math.log, grad: (x, _y, g) => div(g, x), floatOnly: true },
  sqrt: { onnx: "Sqrt", f: Math.sqrt, grad: (_x, y, g) => div(mul(g, 0.5), y), floatOnly: true },
  tanh: { onnx: "Tanh", f: Math.tanh, grad: (_x, y, g) => mul(g, sub(1, mul(y, y))), floatOnly: true },
  erf: {
    onnx: "Erf",
    f: erfApprox,
    grad: (x, _y, g) => mul(g, mul(exp(neg(mul(x, x))), 2 / Math.sqrt(Math.PI))),
    floatOnly: true,
  },
  sin: { onnx: "Sin", f: Math.sin, grad: (x, _y, g) => mul(g, cos(x)), floatOnly: true },
  cos: { onnx: "Cos", f: Math.cos, grad: (x, _y, g) => neg(mul(g, sin(x))), floatOnly: true },
  abs: { onnx: "Abs", f: Math.abs, grad: (x, _y, g) => mul(g, sign(x)) },
  sign: { onnx: "Sign", f: Math.sign },
  // The 0/1 mask as Cast(Greater(y, 0)): ORT's Greater and Cast are vectorised, Sign is not
  // (6.3 vs 10.1 ms for g * mask on 4.5 M floats, .tmp/relu-grad-bench.ts); Where with a
  // broadcast 0 is slower still (25 ms).
  relu: {
    onnx: "Relu",
    f: (v) => Math.max(v, 0),
    grad: (_x, y, g) => mul(g, cast(greater(y, 0), y.dtype)),
  },
  sigmoid: {
    onnx: "Sigmoid",
    f: (v) => 1 / (1 + Math.exp(-v)),
    grad: (_x, y, g) => mul(g, mul(y, sub(1, y))),
    floatOnly: true,
  },
  reciprocal: {
    onnx: "Reciprocal",
    f: (v) => 1 / v,
    grad: (_x, y, g) => neg(mul(g, mul(y, y))),
    floatOnly: true,
  },
  floor: { onnx: "Floor", f: Math.floor, floatOnly: true },
};

for (const [name, u] of Object.entries(UNARY)) {
  defineOp({
    name,
    infer([x]) {
      if (u.floatOnly && !isFloat(x.dtype)) {
        throw new ShapeError(
          `${name}: needs a float tensor but got ${x.dtype}; cast it first with .cast("float32")`,
        );
      }
      return [x];
    },
    grad: u.grad ? (node, [g]) => [g ? u.grad!(node.inputs[0], node.outputs[0], g) : null] : () => [null],
    lower(l, _node, inputs, outputs) {
      l.node(u.onnx, inputs, outputs);
    },
    evaluate([x]) {
      return [mapUnary(x, u.f)];
    },
  });
}

const unary = (name: string) => (x: Tensor) => apply1(name, [x]);
/** -x */
export const neg = unary("neg");
/** e^x */
export const exp = unary("exp");
/** Natural logarithm. */
export const log = unary("log");
export const sqrt = unary("sqrt");
export const tanh = unary("tanh");
/** The Gauss error function. */
export const erf = unary("erf");
export const sin = unary("sin");
export const cos = unary("cos");
export const abs = unary("abs");
export const sign = unary("sign");
/** max(x, 0) */
export const relu = unary("relu");
/** 1 / (1 + e^-x) */
export const sigmoid = unary("sigmoid");
/** 1 / x */
export const reciprocal = unary("reciprocal");
export const floor = unary("floor");
/** x * sigmoid(x) (SiLU / swish). */
export const silu = (x: Tensor): Tensor => mul(x, sigmoid(x));

// ---------- binary ----------
interface BinaryDef {
  onnx: string;
  f: (a: number, b: number) => number;
  grad: (a: Tensor, b: Tensor, y: Tensor, g: Tensor, needs: boolean[]) => [Tensor | null, Tensor | null];
}

const BINARY: Record<string, BinaryDef> = {
  add: { onnx: "Add", f: (a, b) => a + b, grad: (_a, _b, _y, g) => [g, g] },
  sub: { onnx: "Sub", f: (a, b) => a - b, grad: (_a, _b, _y, g, n) => [g, n[1] ? neg(g) : null] },
  mul: {
    onnx: "Mul",
    f: (a, b) => a * b,
    grad: (a, b, _y, g, n) => [n[0] ? mul(g, b) : null, n[1] ? mul(g, a) : null],
  },
  div: {
    onnx: "Div",
    f: (a, b) => a / b,
    grad: (_a, b, y, g, n) => [n[0] ? div(g, b) : null, n[1] ? neg(div(mul(g, y), b)) : null],
  },
  pow: {
    onnx: "Pow",
    f: (a, b) => a ** b,
    grad: (a, b, y, g, n) => [
      n[0] ? mul(g, mul(b, pow(a, sub(b, 1)))) : null,
      n[1] ? mul(g, mul(y, log(a))) : null,
    ],
  },
  maximum: {
    onnx: "Max",
    f: Math.max,
    grad: (a, b, _y, g, n) => [
      n[0] ? where(greaterEqual(a, b), g, 0) : null,
      n[1] ? where(less(a, b), g, 0) : null,
    ],
  },
  minimum: {
    onnx: "Min",
    f: Math.min,
    grad: (a, b, _y, g, n) => [
      n[0] ? where(lessEqual(a, b), g, 0) : null,
      n[1] ? where(greater(a, b), g, 0) : null,
    ],
  },
};

function inferBinary(name: string, a: TensorType, b: TensorType, out?: DType): TensorType {
  if (a.dtype !== b.dtype) {
    throw new ShapeError(
      `${name}: dtypes differ (${a.dtype}${fmt(a.shape)} vs ${b.dtype}${fmt(b.shape)}); cast one with .cast("${a.dtype}")`,
    );
  }
  return { shape: broadcastShapes(name, a.shape, b.shape), dtype: out ?? a.dtype };
}

for (const [name, d] of Object.entries(BINARY)) {
  defineOp({
    name,
    infer: ([a, b]) => [inferBinary(name, a, b)],
    grad(node, [g], needs) {
      if (!g) return [null, null];
      const [a, b] = node.inputs;
      const [ga, gb] = d.grad(a, b, node.outputs[0], g, needs);
      return [
        ga && needs[0] ? unbroadcast(ga, a.shape) : null,
        gb && needs[1] ? unbroadcast(gb, b.shape) : null,
      ];
    },
    lower(l, _node, inputs, outputs) {
      l.node(d.onnx, inputs, outputs);
    },
    evaluate([a, b], node) {
      return [mapBinary(a, b, [...node.outputs[0].shape], a.dtype, d.f)];
    },
  });
}

const binary = (name: string) => (a: Tensor | number, b: Tensor | number) => {
  if (!(a instanceof Tensor) && !(b instanceof Tensor))
    throw new Error(`${name}: at least one operand must be a tensor`);
  const ta = a instanceof Tensor ? a : lift(a, b as Tensor);
  const tb = b instanceof Tensor ? b : lift(b, ta);
  return apply1(name, [ta, tb]);
};
/** a + b with broadcasting. */
export const add = binary("add");
export const sub = binary("sub");
export const mul = binary("mul");
export const div = binary("div");
export const pow = binary("pow");
export const maximum = binary("maximum");
export const minimum = binary("minimum");

// ---------- comparisons and logic (no gradient) ----------
const COMPARE: Record<string, { onnx: string; f: (a: number, b: number) => boolean }> = {
  less: { onnx: "Less", f: (a, b) => a < b },
  lessEqual: { onnx: "LessOrEqual", f: (a, b) => a <= b },
  greater: { onnx: "Greater", f: (a, b) => a > b },
  greaterEqual: { onnx: "GreaterOrEqual", f: (a, b) => a >= b },
  equal: { onnx: "Equal", f: (a, b) => a === b },
  and: { onnx: "And", f: (a, b) => Boolean(a && b) },
  or: { onnx: "Or", f: (a, b) => Boolean(a || b) },
};
const LOGICAL = new Set(["and", "or"]);
for (const [name, c] of Object.entries(COMPARE)) {
  defineOp({
    name,
    infer([a, b]) {
      // ONNX And/Or take bool only and Less/Greater/... no bool: caught here, not in the runtime.
      if (name !== "equal" && LOGICAL.has(name) !== (a.dtype === "bool")) {
        const want = LOGICAL.has(name) ? "bool tensors; compare first" : "numbers; cast bool inputs first";
        throw new ShapeError(`${name}: got ${a.dtype}${fmt(a.shape)} but it takes ${want}`);
      }
      return [inferBinary(name, a, b, "bool")];
    },
    grad: () => [null, null],
    lower(l, _node, inputs, outputs) {
      l.node(c.onnx, inputs, outputs);
    },
    evaluate([a, b], node) {
      return [mapBinary(a, b, [...node.outputs[0].shape], "bool", (x, y) => (c.f(x, y) ? 1 : 0))];
    },
  });
}
export const less = binary("less");
export const lessEqual = binary("lessEqual");
export const greater = binary("greater");
export const greaterEqual = binary("greaterEqual");
export const equal = binary("equal");
export const logicalAnd = binary("and");
export const logicalOr = binary("or");

defineOp({
  name: "where",
  infer([c, a, b]) {
    if (c.dtype !== "bool")
      throw new ShapeError(`where: the condition must be bool, got ${c.dtype}; compare first`);
    const ab = inferBinary("where", a, b);
    return [{ shape: broadcastShapes("where", c.shape, ab.shape), dtype: a.dtype }];
  },
  grad(node, [g], needs) {
    if (!g) return [null, null, null];
    const [c, a, b] = node.inputs;
    return [
      null,
      needs[1] ? unbroadcast(where(c, g, 0), a.shape) : null,
      needs[2] ? unbroadcast(where(c, 0, g), b.shape) : null,
    ];
  },
  lower(l, _node, inputs, outputs) {
    l.node("Where", inputs, outputs);
  },
  evaluate([c, a, b], node) {
    const shape = [...node.outputs[0].shape];
    const out = new Float64Array(sizeOf(shape));
    forEachBroadcast(shape, [c.shape, a.shape, b.shape], (i, o) => {
      out[i] = c.data[o[0]] ? a.data[o[1]] : b.data[o[2]];
    });
    return [{ shape, dtype: a.dtype, data: out }];
  },
});

/** Elementwise select: cond ? a : b, with broadcasting. */
export function where(cond: Tensor, a: Tensor | number, b: Tensor | number): Tensor {
  const like = a instanceof Tensor ? a : b instanceof Tensor ? b : null;
  if (!like) throw new Error("where: a or b must be a tensor");
  return apply1("where", [cond, lift(a, like), lift(b, like)]);
}

// ---------- cast and stop-gradient ----------
const ONNX_DTYPE: Record<DType, number> = { float32: 1, uint8: 2, int32: 6, int64: 7, bool: 9, float64: 11 };
export const onnxDType = (d: DType): number => ONNX_DTYPE[d];

defineOp({
  name: "cast",
  infer: ([x], attrs) => [{ shape: x.shape, dtype: attrs.dtype as DType }],
  grad(node, [g]) {
    const x = node.inputs[0];
    return [g && isFloat(x.dtype) ? cast(g, x.dtype) : null];
  },
  lower(l, node, inputs, outputs) {
    l.node("Cast", inputs, outputs, { to: { i: ONNX_DTYPE[node.attrs.dtype as DType] } });
  },
  evaluate([x], node) {
    const to = node.attrs.dtype as DType;
    const f = to === "bool" ? (v: number) => (v ? 1 : 0) : isFloat(to) ? (v: number) => v : Math.trunc;
    return [mapUnary(x, f, to)];
  },
});
/** Converts to another dtype (gradient flows between float types). */
export function cast(x: Tensor, dtype: DType): Tensor {
  return x.dtype === dtype ? x : apply1("cast", [x], { dtype });
}

defineOp({
  name: "stopGradient",
  infer: ([x]) => [x],
  grad: () => [null],
  lower(l, _node, inputs, outputs) {
    l.node("Identity", inputs, outputs);
  },
  evaluate: ([x]) => [x],
});
/** Identity in the forward pass; blocks gradients (JEPA's stop-gradient on targets). */
export function stopGradient(x: Tensor): Tensor {
  return apply1("stopGradient", [x]);
}
