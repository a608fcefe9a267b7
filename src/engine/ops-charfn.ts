// The empirical characteristic function at the equispaced frequencies t_k = k dt (k = 1..T),
// fused with a hand-written backward: the core of the Epps-Pulley / SIGReg statistic. For
// x [..., N] it returns [..., 2T] = mean_n [cos(t_k x_n) ..., sin(t_k x_n) ...].
//   1. theta = dt x; cos(theta) and sin(theta): the only trig calls (ONNX Runtime's Cos and
//      Sin are scalar loops, ~3 ns an element, so one call per knot would dominate);
//   2. the other knots by the Chebyshev recurrence: c_{k+1} = 2 c_1 c_k - c_{k-1}, and the
//      same for s_k (sin((k+1)a) = 2 cos(a) sin(ka) - sin((k-1)a)); error grows like k eps;
//   3. the planes are stacked into a table [..., 2T, N] (a second output): one ReduceMean gives
//      the statistics, and the backward dx_n = (1/N) sum_k t_k (g_sin_k c_k(n) - g_cos_k s_k(n))
//      is one batched matmul [..., 1, 2T] @ [..., 2T, N] over it: no trig at all.
import { apply } from "./apply.ts";
import { ShapeError, type Tensor } from "./ir.ts";
import { ndarray } from "./kernels.ts";
import { hostTensor } from "./dtype.ts";
import { constant } from "./ir.ts";
import { div, mul, neg } from "./ops-elementwise.ts";
import { matmul } from "./ops-nn.ts";
import { concat, reshape, slice } from "./ops-shape-reduce.ts";
import { defineOp } from "./registry.ts";

defineOp({
  name: "charFn",
  infer([x], a) {
    const T = a.knots as number;
    if (x.shape.length < 1) throw new ShapeError("charFn: x needs at least one axis (the samples)");
    const lead = x.shape.slice(0, -1);
    const n = x.shape[x.shape.length - 1];
    return [
      { shape: [...lead, 2 * T], dtype: x.dtype },
      { shape: [...lead, 2 * T, n], dtype: x.dtype },
    ];
  },
  grad(node, [g], needs) {
    if (!g || !needs[0]) return [null];
    const x = node.inputs[0];
    const T = node.attrs.knots as number;
    const dt = node.attrs.dt as number;
    const n = x.shape[x.rank - 1];
    const freq = constant(
      hostTensor(
        [T],
        Array.from({ length: T }, (_, k) => (k + 1) * dt),
        x.dtype,
      ),
    );
    const gCos = slice(g, -1, 0, T);
    const gSin = slice(g, -1, T, 2 * T);
    const coef = concat([mul(gSin, freq), neg(mul(gCos, freq))], -1); // [..., 2T]
    const lead = x.shape.slice(0, -1);
    const dx = matmul(reshape(coef, [...lead, 1, 2 * T]), node.outputs[1]); // [..., 1, N]
    return [div(reshape(dx, x.shape), n)];
  },
  lower(l, node, [x], [stats, table]) {
    const dt = node.attrs.dt as number;
    const T = node.attrs.knots as number;
    const dtype = node.inputs[0].dtype;
    const rank = node.inputs[0].shape.length;
    const planes = Array.from({ length: 2 * T }, () => l.fresh("plane"));
    const cos = planes.slice(0, T);
    const sin = planes.slice(T);
    const theta = l.fresh("theta");
    const twoCos = l.fresh("twocos");
    l.node("Mul", [x, l.scalar(dt, dtype)], [theta]);
    l.node("Cos", [theta], [cos[0]]);
    l.node("Sin", [theta], [sin[0]]);
    l.node("Add", [cos[0], cos[0]], [twoCos]);
    for (let k = 1; k < T; k++) {
      for (const [plane, first] of [
        [cos, l.scalar(1, dtype)],
        [sin, undefined],
      ] as const) {
        const product = l.fresh("cheb");
        l.node("Mul", [twoCos, plane[k - 1]], [product]);
        if (k === 1) {
          if (first) l.node("Sub", [product, first], [plane[k]]);
          else l.node("Identity", [product], [plane[k]]);
        } else {
          l.node("Sub", [product, plane[k - 2]], [plane[k]]);
        }
      }
    }
    const shape = node.inputs[0].shape;
    const column = l.int64s([...shape.slice(0, -1), 1, shape[rank - 1]]);
    const rows = planes.map((p) => {
      const r = l.fresh("plane1");
      l.node("Reshape", [p, column], [r]);
      return r;
    });
    l.node("Concat", rows, [table], { axis: { i: rank - 1 } });
    l.node("ReduceMean", [table, l.int64s([rank])], [stats], { keepdims: { i: 0 } });
  },
  evaluate([x], node) {
    const dt = node.attrs.dt as number;
    const T = node.attrs.knots as number;
    const n = x.shape[x.shape.length - 1];
    const rows = x.data.length / n;
    const stats = ndarray([...node.outputs[0].shape], x.dtype);
    const table = ndarray([...node.outputs[1].shape], x.dtype);
    for (let r = 0; r < rows; r++) {
      for (let i = 0; i < n; i++) {
        const v = x.data[r * n + i];
        for (let k = 1; k <= T; k++) {
          const c = Math.cos(k * dt * v);
          const s = Math.sin(k * dt * v);
          table.data[(r * 2 * T + k - 1) * n + i] = c;
          table.data[(r * 2 * T + T + k - 1) * n + i] = s;
          stats.data[r * 2 * T + k - 1] += c / n;
          stats.data[r * 2 * T + T + k - 1] += s / n;
        }
      }
    }
    return [stats, table];
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
