// I-JEPA's regression loss: smooth L1 against layer-normalised target embeddings.
import { constant, hostTensor, ops, type Tensor } from "../engine/index.ts";

/** Huber / smooth-L1 with threshold beta, averaged: 0.5 d^2 / beta where |d| < beta, else |d| - beta / 2. */
export function smoothL1(pred: Tensor, target: Tensor, beta = 1): Tensor {
  const d = ops.abs(ops.sub(pred, target));
  const quadratic = ops.div(ops.mul(d.square(), 0.5), beta);
  return ops.mean(ops.where(ops.less(d, beta), quadratic, ops.sub(d, beta / 2)));
}

/** Layer norm over the last axis without affine parameters (I-JEPA normalises targets this way). */
export function normalizeLast(x: Tensor, eps = 1e-5): Tensor {
  const d = x.shape[x.rank - 1];
  const ones = constant(hostTensor([d], new Float32Array(d).fill(1), x.dtype));
  const zeros = constant(hostTensor([d], new Float32Array(d), x.dtype));
  return ops.layerNorm(x, ones, zeros, { eps });
}
