// The empirical characteristic function at fixed frequencies, fused with a hand-written
// backward: the core of the Epps-Pulley / SIGReg statistic. For x [..., N] and frequencies
// t [T] it returns [..., 2T] = mean_n [cos(t x_n), sin(t x_n)]. The backward reuses the
// forward's trig table: dx_n = (1/N) table[n, :] @ [t * g_sin ; -t * g_cos], one batched
// matmul instead of recomputing sin and cos over the whole [..., N, T] grid.

import { apply } from "./apply.ts";
import { hostTensor } from "./dtype.ts";
import { constant, ShapeError, type Tensor } from "./ir.ts";
import { ndarray } from "./kernels.ts";
import { concat, div, matmul, mul, neg, reshape, slice } from "./ops.ts";
import { defineOp } from "./registry.ts";

defineOp({
  name: "charFn",
  infer([x], a) {
    const t = a.t as number[];
    if (x.shape.length < 1) throw new ShapeError("charFn: x needs at least one axis (the samples)");
    const lead = x.shape.slice(0, -1);
    const n = x.shape[x.shape.length - 1];
    return [
      { shape: [...lead, 2 * t.length], dtype: x.dtype },
      { shape: [...lead, n, 2 * t.length], dtype: x.dtype },
    ];
  },
  grad(node, [g], needs) {
    if (!g || !needs[0]) return [null];
    const x = node.inputs[0];
    const t = node.attrs.t as number[];
    const T = t.length;
    const n = x.shape[x.rank - 1];
    const table = node.outputs[1]; // [..., N, 2T]
    const freq = constant(hostTensor([T], t, x.dtype));
    const gCos = slice(g, -1, 0, T);
    const gSin = slice(g, -1, T, 2 * T);
    const coef = concat([mul(gSin, freq), neg(mul(gCos, freq))], -1); // [..., 2T]
    const dx = matmul(table, reshape(coef, [...coef.shape, 1])); // [..., N, 1]
    return [div(reshape(dx, [...x.shape.slice(0, -1), n]), n)];
  },
  lower(l, node, [x], [stats, table]) {
    const dt = node.inputs[0].dtype;
    const t = node.attrs.t as number[];
    const col = l.fresh("x_col");
    const xt = l.fresh("xt");
    const c = l.fresh("cos");
    const s = l.fresh("sin");
    const rank = node.inputs[0].shape.length;
    l.node("Unsqueeze", [x, l.int64s([rank])], [col]);
    l.node("Mul", [col, l.constant(hostTensor([t.length], t, dt))], [xt]);
    l.node("Cos", [xt], [c]);
    l.node("Sin", [xt], [s]);
    l.node("Concat", [c, s], [table], { axis: { i: rank } });
    l.node("ReduceMean", [table, l.int64s([rank - 1])], [stats], { keepdims: { i: 0 } });
  },
  evaluate([x], node) {
    const t = node.attrs.t as number[];
    const T = t.length;
    const n = x.shape[x.shape.length - 1];
    const rows = x.data.length / n;
    const stats = ndarray([...node.outputs[0].shape], x.dtype);
    const table = ndarray([...node.outputs[1].shape], x.dtype);
    for (let r = 0; r < rows; r++) {
      for (let i = 0; i < n; i++) {
        const v = x.data[r * n + i];
        const base = (r * n + i) * 2 * T;
        for (let k = 0; k < T; k++) {
          const c = Math.cos(t[k] * v);
          const s = Math.sin(t[k] * v);
          table.data[base + k] = c;
          table.data[base + T + k] = s;
          stats.data[r * 2 * T + k] += c / n;
          stats.data[r * 2 * T + T + k] += s / n;
        }
      }
    }
    return [stats, table];
  },
});

/**
 * Empirical characteristic function of samples x [..., N] at frequencies t: [..., 2T] holding
 * the real parts mean_n cos(t_k x_n) then the imaginary parts mean_n sin(t_k x_n).
 */
export function charFn(x: Tensor, t: readonly number[]): Tensor {
  return apply("charFn", [x], { t: [...t] })[0];
}
