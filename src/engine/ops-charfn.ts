// The empirical characteristic function at the equispaced frequencies t_k = k dt (k = 1..T),
// fused with a hand-written backward: the core of the Epps-Pulley / SIGReg statistic. For
// x [..., N] it returns [..., 2T] = mean_n [cos(t_k x_n) ..., sin(t_k x_n) ...].
// Knots are factored as k = j R + r (r = 1..R, j = 0..J-1, R = ceil(sqrt T)), so by angle addition
//   cos(k a) = cos(jRa) cos(ra) - sin(jRa) sin(ra),  sin(k a) = sin(jRa) cos(ra) + cos(jRa) sin(ra):
//   1. a = dt x; one Cos call over (a, a - pi/2) gives cos(a) and sin(a), the only trig (ONNX
//      Runtime's Cos and Sin are scalar loops, ~3 ns an element, so a call per knot would dominate);
//   2. the base planes B = (cos(ra), sin(ra)) [..., 2R, N] and the outer planes
//      O = (cos(jRa), sin(jRa)) [..., 2J, N] by the Chebyshev recurrence c_{i+1} = 2 c_1 c_i - c_{i-1}
//      (the same for sines): about 2 sqrt(T) planes instead of the 2T of a full table;
//   3. the statistics are bilinear in O and B: M = O B^T [..., 2J, 2R] is one small batched
//      matmul, and a constant [4JR, 2T] matrix maps it to the cos and sin means;
//   4. the backward dx_n = sum_k alpha_k cos(t_k x_n) + beta_k sin(t_k x_n) is bilinear too:
//      dx = sum over rows of O * (W B), W [..., 2J, 2R] a constant linear map of the gradient.
// O and B are the op's second and third outputs; no [..., 2T, N] table is built.
import { apply } from "./apply.ts";
import { hostTensor } from "./dtype.ts";
import { constant, ShapeError, type Tensor } from "./ir.ts";
import { ndarray } from "./kernels.ts";
import { mul } from "./ops-elementwise.ts";
import { matmul } from "./ops-nn.ts";
import { reshape, sum } from "./ops-shape-reduce.ts";
import { defineOp } from "./registry.ts";

/** The factoring k = j R + r of knots 1..T: R base frequencies and J outer ones. */
function factoring(knots: number): { R: number; J: number } {
  const R = Math.ceil(Math.sqrt(knots));
  return { R, J: Math.ceil(knots / R) };
}

/**
 * For each knot k = jR + r (1-based, k <= T): the entries of M = O B^T that give its cosine and
 * sine, as [row, column, sign] triples. Rows of O and B are (cos, sin) pairs: O row 2j is
 * cos(jRa) and 2j + 1 is sin(jRa); B row 2(r - 1) is cos(ra) and 2(r - 1) + 1 is sin(ra).
 */
function knotTerms(knots: number): { cos: number[][]; sin: number[][] }[] {
  const { R } = factoring(knots);
  const terms: { cos: number[][]; sin: number[][] }[] = [];
  for (let k = 1; k <= knots; k++) {
    const j = Math.floor((k - 1) / R);
    const r = k - j * R; // 1..R
    const [oc, os, bc, bs] = [2 * j, 2 * j + 1, 2 * (r - 1), 2 * (r - 1) + 1];
    terms.push({
      cos: [
        [oc, bc, 1],
        [os, bs, -1],
      ],
      sin: [
        [os, bc, 1],
        [oc, bs, 1],
      ],
    });
  }
  return terms;
}

/** The [4JR, 2T] matrix taking flattened M (sums over samples) to the cos and sin means. */
function statsMatrix(knots: number, n: number): number[] {
  const { R, J } = factoring(knots);
  const cols = 2 * knots;
  const d = new Array<number>(4 * J * R * cols).fill(0);
  knotTerms(knots).forEach(({ cos, sin }, kk) => {
    for (const [row, col, sign] of cos) d[(row * 2 * R + col) * cols + kk] += sign / n;
    for (const [row, col, sign] of sin) d[(row * 2 * R + col) * cols + knots + kk] += sign / n;
  });
  return d;
}

/**
 * The [2T, 4JR] matrix taking the statistics' gradient g to W (flattened): with
 * alpha_k = t_k g_sin_k / N and beta_k = -t_k g_cos_k / N, dx = sum_k alpha_k cos_k + beta_k sin_k.
 */
function backwardMatrix(knots: number, dt: number, n: number): number[] {
  const { R, J } = factoring(knots);
  const cols = 4 * J * R;
  const e = new Array<number>(2 * knots * cols).fill(0);
  knotTerms(knots).forEach(({ cos, sin }, kk) => {
    const t = ((kk + 1) * dt) / n;
    // alpha (from g_sin, row knots + kk) multiplies cos_k; beta (from g_cos, row kk) multiplies sin_k.
    for (const [row, col, sign] of cos) e[(knots + kk) * cols + row * 2 * R + col] += sign * t;
    for (const [row, col, sign] of sin) e[kk * cols + row * 2 * R + col] -= sign * t;
  });
  return e;
}

defineOp({
  name: "charFn",
  infer([x], a) {
    const T = a.knots as number;
    if (x.shape.length < 1) throw new ShapeError("charFn: x needs at least one axis (the samples)");
    const { R, J } = factoring(T);
    const lead = x.shape.slice(0, -1);
    const n = x.shape[x.shape.length - 1];
    return [
      { shape: [...lead, 2 * T], dtype: x.dtype },
      { shape: [...lead, 2 * J, n], dtype: x.dtype },
      { shape: [...lead, 2 * R, n], dtype: x.dtype },
    ];
  },
  grad(node, [g], needs) {
    if (!g || !needs[0]) return [null];
    const x = node.inputs[0];
    const T = node.attrs.knots as number;
    const { R, J } = factoring(T);
    const [, outer, base] = node.outputs;
    const lead = x.shape.slice(0, -1);
    const e = constant(
      hostTensor(
        [2 * T, 4 * J * R],
        backwardMatrix(T, node.attrs.dt as number, x.shape[x.rank - 1]),
        x.dtype,
      ),
    );
    const w = reshape(matmul(reshape(g, [-1, 2 * T]), e), [...lead, 2 * J, 2 * R]);
    return [sum(mul(outer, matmul(w, base)), -2)]; // [..., N]
  },
  lower(l, node, [x], [stats, outer, base]) {
    const dt = node.attrs.dt as number;
    const T = node.attrs.knots as number;
    const { R, J } = factoring(T);
    const dtype = node.inputs[0].dtype;
    const shape = node.inputs[0].shape;
    const rank = shape.length;
    const lead = shape.slice(0, -1);
    const n = shape[rank - 1];
    const pairShape = l.int64s([...lead, 2, n]);
    // The pair (cos i a, sin i a) of every plane is one [..., 2, N] tensor, so the stacks
    // below concatenate R and J pieces, not 2R and 2J.
    const unitPair = l.constant(hostTensor([2, 1], [1, 0], dtype)); // (cos 0, sin 0)
    const theta = l.fresh("theta");
    const shifted = l.fresh("theta2");
    const first = l.fresh("pair");
    l.node("Mul", [x, l.scalar(dt, dtype)], [theta]);
    const thetaRow = l.fresh("theta1");
    l.node("Reshape", [theta, l.int64s([...lead, 1, n])], [thetaRow]);
    // sin(a) = cos(a - pi/2): one Cos call over both rows.
    l.node("Add", [thetaRow, l.constant(hostTensor([2, 1], [0, -Math.PI / 2], dtype))], [shifted]);
    l.node("Cos", [shifted], [first]);
    // pairs[i] = (cos(i b), sin(i b)) for i = 1..count by c_{i+1} = 2 c_1 c_i - c_{i-1} (sines alike).
    const recur = (p1: string, count: number): string[] => {
      const pairs = [p1];
      if (count < 2) return pairs;
      const c1 = l.fresh("cos");
      const twoCos = l.fresh("twocos");
      l.node("Slice", [p1, l.int64s([0]), l.int64s([1]), l.int64s([rank - 1])], [c1]);
      l.node("Add", [c1, c1], [twoCos]);
      for (let i = 1; i < count; i++) {
        const product = l.fresh("cheb");
        const next = l.fresh("pair");
        l.node("Mul", [twoCos, pairs[i - 1]], [product]);
        l.node("Sub", [product, i > 1 ? pairs[i - 2] : unitPair], [next]);
        pairs.push(next);
      }
      return pairs;
    };
    const b = recur(first, R); // r a for r = 1..R
    const o = J > 1 ? recur(b[R - 1], J - 1) : []; // j R a for j = 1..J-1
    const zeroth = l.fresh("pair0");
    l.node("Expand", [unitPair, pairShape], [zeroth]);
    l.node("Concat", b, [base], { axis: { i: rank - 1 } });
    l.node("Concat", [zeroth, ...o], [outer], { axis: { i: rank - 1 } });
    const baseT = l.fresh("baseT");
    const perm = [...Array(rank + 1).keys()];
    [perm[rank - 1], perm[rank]] = [perm[rank], perm[rank - 1]];
    l.node("Transpose", [base], [baseT], { perm: { ints: perm } });
    const m = l.fresh("m");
    l.node("MatMul", [outer, baseT], [m]); // [..., 2J, 2R]
    const flat = l.fresh("mflat");
    l.node("Reshape", [m, l.int64s([-1, 4 * J * R])], [flat]);
    const d = l.constant(hostTensor([4 * J * R, 2 * T], statsMatrix(T, n), dtype));
    const s = l.fresh("stats");
    l.node("MatMul", [flat, d], [s]);
    l.node("Reshape", [s, l.int64s([...lead, 2 * T])], [stats]);
  },
  evaluate([x], node) {
    const dt = node.attrs.dt as number;
    const T = node.attrs.knots as number;
    const { R, J } = factoring(T);
    const n = x.shape[x.shape.length - 1];
    const rows = x.data.length / n;
    const stats = ndarray([...node.outputs[0].shape], x.dtype);
    const outer = ndarray([...node.outputs[1].shape], x.dtype);
    const base = ndarray([...node.outputs[2].shape], x.dtype);
    for (let r = 0; r < rows; r++) {
      for (let i = 0; i < n; i++) {
        const v = x.data[r * n + i];
        for (let k = 1; k <= T; k++) {
          stats.data[r * 2 * T + k - 1] += Math.cos(k * dt * v) / n;
          stats.data[r * 2 * T + T + k - 1] += Math.sin(k * dt * v) / n;
        }
        for (let j = 0; j < J; j++) {
          outer.data[(r * 2 * J + 2 * j) * n + i] = Math.cos(j * R * dt * v);
          outer.data[(r * 2 * J + 2 * j + 1) * n + i] = Math.sin(j * R * dt * v);
        }
        for (let q = 1; q <= R; q++) {
          base.data[(r * 2 * R + 2 * (q - 1)) * n + i] = Math.cos(q * dt * v);
          base.data[(r * 2 * R + 2 * (q - 1) + 1) * n + i] = Math.sin(q * dt * v);
        }
      }
    }
    return [stats, outer, base];
  },
});

/**
 * Empirical characteristic function of samples x [..., N] at t_k = k dt for k = 1..knots:
 * [..., 2 knots], the real parts mean_n cos(t_k x_n) then the imaginary parts.
 */
export function charFn(x: Tensor, dt: number, knots: number): Tensor {
  if (!(knots >= 1) || !Number.isInteger(knots))
    throw new ShapeError(`charFn: knots must be a positive integer, got ${knots}`);
  return apply("charFn", [x], { dt, knots })[0];
}
