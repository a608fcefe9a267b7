// The VICReg family of anti-collapse terms (Bardes, Ponce & LeCun 2022) as used by PLDM and
// EB-JEPA world models: variance hinge, covariance decorrelation, and temporal smoothness.
import { constant, hostTensor, ops, type Tensor } from "../engine/index.ts";

/** Unbiased per-dimension variance of z [N, D] over N: [D]. */
function variance(z: Tensor): Tensor {
  const n = z.shape[0];
  const centered = ops.sub(z, ops.mean(z, 0, true));
  return ops.div(ops.sum(centered.square(), 0), n - 1);
}

/** Variance hinge mean(relu(target - sqrt(var(z) + eps))) of z [N, D]: keeps every dimension spread. */
export function varianceHinge(z: Tensor, opts: { target?: number; eps?: number } = {}): Tensor {
  const { target = 1, eps = 1e-4 } = opts;
  return ops.mean(ops.relu(ops.sub(target, ops.sqrt(ops.add(variance(z), eps)))));
}

/** Covariance penalty sum(offdiag(cov(z))^2) / D of z [N, D] (unbiased covariance): decorrelates dimensions. */
export function covariancePenalty(z: Tensor): Tensor {
  const [n, d] = z.shape;
  const centered = ops.sub(z, ops.mean(z, 0, true));
  const cov = ops.div(ops.matmul(ops.transpose(centered), centered), n - 1); // [D, D]
  const offDiagonal = new Float32Array(d * d).fill(1);
  for (let i = 0; i < d; i++) offDiagonal[i * d + i] = 0;
  const off = ops.mul(cov, constant(hostTensor([d, d], offDiagonal, z.dtype)));
  return ops.div(ops.sum(off.square()), d);
}

/** Time similarity mean((z_{t+1} - z_t)^2) of a sequence z [B, T, D]: consecutive embeddings stay close. */
export function timeSimilarity(z: Tensor): Tensor {
  const t = z.shape[1];
  return ops.mean(ops.sub(ops.slice(z, 1, 1, t), ops.slice(z, 1, 0, t - 1)).square());
}

/** Coefficients of the PLDM / EB-JEPA two-rooms objective (also the reference workload's). */
export const VICREG_DEFAULTS = {
  variance: 16,
  covariance: 8,
  timeSimilarity: 12,
  inverseDynamics: 1,
} as const;
