// Op cases for unary math, binary arithmetic with broadcasting, comparisons, where and cast.
import { ops, type Tensor } from "../src/engine/index.ts";
import type { InputDef, OpCase } from "./engine-op-harness.ts";

const x23: InputDef = { shape: [2, 3] };

// Unary ops with a gradient, each with the input range where it is smooth.
const UNARY: [string, (x: Tensor) => Tensor, InputDef["kind"]][] = [
  ["neg", ops.neg, "normal"],
  ["exp", ops.exp, "normal"],
  ["log", ops.log, "positive"],
  ["sqrt", ops.sqrt, "positive"],
  ["tanh", ops.tanh, "normal"],
  ["erf", ops.erf, "normal"],
  ["sin", ops.sin, "normal"],
  ["cos", ops.cos, "normal"],
  ["abs", ops.abs, "apart"],
  ["relu", ops.relu, "apart"],
  ["sigmoid", ops.sigmoid, "normal"],
  ["reciprocal", ops.reciprocal, "apart"],
];

// Broadcasting shape pairs: same, trailing vector, both sides broadcast, 0-d scalar, lower rank on the left.
const SHAPES: [number[], number[]][] = [
  [
    [2, 3],
    [2, 3],
  ],
  [[2, 3], [3]],
  [
    [2, 1, 4],
    [3, 1],
  ],
  [[], [2, 3]],
  [
    [4, 1],
    [1, 5],
  ],
];

const BINARY: [string, (a: Tensor, b: Tensor) => Tensor, InputDef["kind"], InputDef["kind"]][] = [
  ["add", ops.add, "normal", "normal"],
  ["sub", ops.sub, "normal", "normal"],
  ["mul", ops.mul, "normal", "normal"],
  ["div", ops.div, "normal", "apart"],
  ["pow", ops.pow, "positive", "normal"],
  ["maximum", ops.maximum, "normal", "normal"],
  ["minimum", ops.minimum, "normal", "normal"],
];

export const elementwiseCases: OpCase[] = [
  ...UNARY.map(
    ([name, f, kind]): OpCase => ({
      name: `${name} [2,3]`,
      ops: [name],
      inputs: { x: { ...x23, kind } },
      fn: ({ x }) => f(x),
    }),
  ),
  {
    name: "erf at large |x| (both series branches)",
    ops: ["erf"],
    inputs: { x: { shape: [6], values: [-3.1, -2.6, -0.4, 0.7, 2.4, 3.3] } },
    fn: ({ x }) => ops.erf(x),
  },
  {
    name: "silu = x * sigmoid(x)",
    ops: ["sigmoid", "mul"],
    inputs: { x: x23 },
    fn: ({ x }) => ops.silu(x),
  },
  {
    name: "sign and floor (no gradient)",
    ops: ["sign", "floor"],
    inputs: { x: { shape: [2, 4], values: [-2.5, -1, -0.25, 0, 0.25, 1, 1.5, 3.75] } },
    fn: ({ x }) => [ops.sign(x), ops.floor(x)],
    wrt: [],
  },
  {
    name: "sign and floor pass no gradient",
    ops: ["sign", "floor", "mul"],
    inputs: { x: { ...x23, kind: "apart" } },
    // x * sign(x) + floor(x) = |x| + const away from 0 and the integers: the gradient is sign(x).
    fn: ({ x }) => ops.add(ops.mul(x, ops.sign(x)), ops.floor(x)),
  },
  ...BINARY.flatMap(([name, f, ka, kb]) =>
    SHAPES.map(
      ([sa, sb]): OpCase => ({
        name: `${name} [${sa}] with [${sb}]`,
        ops: [name],
        inputs: { a: { shape: sa, kind: ka }, b: { shape: sb, kind: kb } },
        fn: ({ a, b }) => f(a, b),
      }),
    ),
  ),
  {
    name: "binary ops with a number operand",
    ops: ["add", "sub", "mul", "div", "pow"],
    inputs: { x: { shape: [3, 2], kind: "positive" } },
    fn: ({ x }) => [
      ops.add(x, 2),
      ops.sub(1, x),
      ops.mul(x, -3),
      ops.div(2, x),
      ops.pow(x, 3),
      ops.pow(2, x),
    ],
  },
  {
    name: "comparisons and logic",
    ops: ["less", "lessEqual", "greater", "greaterEqual", "equal", "and", "or"],
    inputs: { a: { shape: [3, 4], kind: "integers" }, b: { shape: [4], kind: "integers" } },
    fn: ({ a, b }) => [
      ops.less(a, b),
      ops.lessEqual(a, b),
      ops.greater(a, b),
      ops.greaterEqual(a, b),
      ops.equal(a, b),
      ops.logicalAnd(ops.greater(a, 0), ops.less(b, 1)),
      ops.logicalOr(ops.greater(a, 0), ops.less(b, 1)),
    ],
    wrt: [],
  },
  {
    name: "where with broadcast condition and branches",
    ops: ["where", "greater"],
    inputs: { c: { shape: [3, 1] }, a: { shape: [3, 4] }, b: { shape: [4] } },
    fn: ({ c, a, b }) => ops.where(ops.greater(c, 0), a, b),
    wrt: ["a", "b"],
  },
  {
    name: "where with a number branch",
    ops: ["where", "lessEqual"],
    inputs: { a: { shape: [2, 5] } },
    fn: ({ a }) => [ops.where(ops.lessEqual(a, 0.2), a, 0), ops.where(ops.lessEqual(a, -0.1), 1, a)],
  },
  {
    name: "cast between float types carries the gradient",
    ops: ["cast", "mul"],
    inputs: { x: x23 },
    fn: ({ x }) => {
      const other = x.dtype === "float64" ? "float32" : "float64";
      return ops.cast(ops.mul(ops.cast(x, other), ops.cast(x, other)), x.dtype);
    },
  },
  {
    name: "cast to int32, int64, bool and uint8",
    ops: ["cast"],
    inputs: { x: { shape: [8], values: [-2.75, -1.5, -0.5, 0, 0.5, 1.25, 2.5, 7.9] } },
    fn: ({ x }) => [
      ops.cast(x, "int32"),
      ops.cast(x, "int64"),
      ops.cast(x, "bool"),
      ops.cast(ops.abs(x), "uint8"),
      ops.cast(ops.cast(x, "int32"), x.dtype),
    ],
    wrt: [],
  },
  {
    name: "stopGradient is the identity forward",
    ops: ["stopGradient"],
    inputs: { x: x23 },
    fn: ({ x }) => ops.stopGradient(ops.exp(x)),
    wrt: [],
  },
];
