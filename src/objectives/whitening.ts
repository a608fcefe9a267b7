// A whitening regulariser, the second-moment-only alternative to SIGReg (P3 baseline): push the
// covariance of the embeddings to the identity, ||Cov(z) - I||_F^2, with no constraint on
// higher moments. Matches SIGReg's isotropy target but not its Gaussianity.
import { constant, hostTensor, ops, type Tensor } from "../engine/index.ts";

export interface WhiteningOptions {
  /** Pool the views into one sample of V*N (default true); otherwise average per view. */
  pooled?: boolean;
}

/**
 * Whitening penalty of embeddings z [V, N, D]: ||Cov(z) - I||_F^2 with the biased covariance
 * over the N (or V*N pooled) samples; averaged over views when not pooled. A scalar.
 */
export function whiteningPenalty(z: Tensor, opts: WhiteningOptions = {}): Tensor {
  const { pooled = true } = opts;
  if (z.rank !== 3)
    throw new Error(`whiteningPenalty: z must be [V, N, D] but has shape [${z.shape}]; add a view axis`);
  const [, , d] = z.shape;
  const x = pooled ? ops.reshape(z, [1, -1, d]) : z; // [V', M, D]
  const centred = ops.sub(x, ops.mean(x, 1, true));
  const cov = ops.div(ops.matmul(ops.swapLast(centred), centred), x.shape[1]); // [V', D, D]
  const eye = Float32Array.from({ length: d * d }, (_, i) => (i % (d + 1) === 0 ? 1 : 0));
  const diff = ops.sub(cov, constant(hostTensor([d, d], eye, "float32")));
  return ops.mean(ops.sum(diff.square(), [1, 2]));
}
