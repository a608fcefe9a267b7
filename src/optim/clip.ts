import { ops, type Tensor } from "../engine/index.ts";

/** Scales a flat gradient so its global L2 norm is at most `maxNorm`; returns it and the norm before. */
export function clipByGlobalNorm(grads: Tensor, maxNorm: number): { grads: Tensor; norm: Tensor } {
  const norm = ops.sqrt(ops.sum(ops.mul(grads, grads)));
  const scale = ops.minimum(ops.div(maxNorm, ops.add(norm, 1e-6)), 1);
  return { grads: ops.mul(grads, scale), norm };
}

/** The global L2 norm of a flat gradient. */
export function globalNorm(grads: Tensor): Tensor {
  return ops.sqrt(ops.sum(ops.mul(grads, grads)));
}
