// The Epps-Pulley test statistic (Epps & Pulley 1983) as used by LeJEPA's SIGReg
// (Balestriero & LeCun 2025): the weighted squared distance between the empirical
// characteristic function of 1-D samples and that of N(0, 1),
//   EP = N * integral_0^tMax |phi_N(t) - e^{-t^2/2}|^2 e^{-t^2/2} dt,
// by the trapezoid rule on `knots` points, doubled because the integrand is even in t.
import { constant, hostTensor, ops, type Tensor } from "../engine/index.ts";

export interface EppsPulleyOptions {
  /** Quadrature points on [0, tMax] (LeJEPA: 17). */
  knots?: number;
  tMax?: number;
  /**
   * Compute cos/sin at every knot from cos/sin at the first by angle addition
   * (cos((k+1)a) = cos(ka)cos(a) - sin(ka)sin(a)): 2 trig calls instead of 2 per knot.
   */
  recurrence?: boolean;
  /** Use the fused charFn op (default unless `recurrence` is set). */
  fused?: boolean;
}

/** Knot positions t_k, and quadrature weights times the N(0,1) characteristic function. */
export function eppsPulleyKnots(knots = 17, tMax = 3): { t: number[]; weights: number[]; phi: number[] } {
  const dt = tMax / (knots - 1);
  const t = Array.from({ length: knots }, (_, k) => k * dt);
  const phi = t.map((v) => Math.exp((-v * v) / 2));
  // Trapezoid weights (dt/2 at the ends, dt inside), doubled for the symmetric integral.
  const weights = t.map((_, k) => (k === 0 || k === knots - 1 ? dt : 2 * dt) * phi[k]);
  return { t, weights, phi };
}

/** cos(t_k x) and sin(t_k x) for every knot: two [..., knots] tensors from x [...]. */
function knotTrig(x: Tensor, t: number[], recurrence: boolean): { cos: Tensor; sin: Tensor } {
  const dtype = x.dtype;
  if (!recurrence) {
    const xt = ops.mul(ops.reshape(x, [...x.shape, 1]), constant(hostTensor([t.length], t, dtype))); // [..., knots]
    return { cos: ops.cos(xt), sin: ops.sin(xt) };
  }
  const a = ops.mul(x, t[1]);
  const c1 = ops.cos(a);
  const s1 = ops.sin(a);
  const cs: Tensor[] = [ops.add(ops.mul(x, 0), 1), c1];
  const ss: Tensor[] = [ops.mul(x, 0), s1];
  for (let k = 2; k < t.length; k++) {
    cs.push(ops.sub(ops.mul(cs[k - 1], c1), ops.mul(ss[k - 1], s1)));
    ss.push(ops.add(ops.mul(ss[k - 1], c1), ops.mul(cs[k - 1], s1)));
  }
  const stack = (xs: Tensor[]) =>
    ops.concat(
      xs.map((v) => ops.reshape(v, [...x.shape, 1])),
      -1,
    );
  return { cos: stack(cs), sin: stack(ss) };
}

/**
 * Epps-Pulley statistic of each column of x [..., N, K] (N samples of K projections) against
 * N(0, 1): returns [..., K]. Zero in expectation only for Gaussian columns; grows with N.
 * `fused` (default) uses the engine's charFn op, whose backward reuses the forward's cos/sin
 * planes; otherwise the statistic is composed from cos/sin ops (optionally by recurrence).
 */
export function eppsPulley(x: Tensor, opts: EppsPulleyOptions = {}): Tensor {
  const { knots = 17, tMax = 3, recurrence = false, fused = !recurrence } = opts;
  const { t, weights, phi } = eppsPulleyKnots(knots, tMax);
  const n = x.shape[x.rank - 2];
  if (fused) {
    // Knot 0 (t = 0) adds nothing (cos 0 = 1 = phi(0), sin 0 = 0): only knots 1.. need the
    // samples, and their real and imaginary errors share one weighted sum.
    const perm = [...x.shape.keys()];
    [perm[x.rank - 2], perm[x.rank - 1]] = [perm[x.rank - 1], perm[x.rank - 2]];
    const cf = ops.charFn(ops.transpose(x, perm), t[1], knots - 1); // [..., K, 2(knots-1)]
    const zeros = new Array<number>(knots - 1).fill(0);
    const target = constant(hostTensor([2 * (knots - 1)], [...phi.slice(1), ...zeros], x.dtype));
    const inner = weights.slice(1).map((v) => v * n);
    const w = constant(hostTensor([2 * (knots - 1), 1], [...inner, ...inner], x.dtype));
    const err = ops.sub(cf, target).square(); // [..., K, 2(knots-1)]
    return ops.reshape(ops.matmul(err, w), err.shape.slice(0, -1)); // [..., K]
  }
  const { cos, sin } = knotTrig(x, t, recurrence); // [..., N, K, knots]
  const re = ops.sub(ops.mean(cos, -3), constant(hostTensor([knots], phi, x.dtype))); // [..., K, knots]
  const im = ops.mean(sin, -3);
  const err = ops.add(ops.mul(re, re), ops.mul(im, im)); // [..., K, knots]
  const w = constant(
    hostTensor(
      [knots, 1],
      weights.map((v) => v * n),
      x.dtype,
    ),
  );
  return ops.reshape(ops.matmul(err, w), err.shape.slice(0, -1)); // [..., K]
}
