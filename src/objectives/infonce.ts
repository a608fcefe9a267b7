// InfoNCE with a Gaussian kernel (P3 baseline in place of SIGReg): the two views of each pair
// are positives, every other sample of the other view a negative, and similarity is
// -||a - b||^2 / (2 tau^2), the log of a Gaussian kernel. Contrastive learning of this kind
// also identifies latents up to an isometry (Zimmermann et al. 2021).
import { constant, hostTensor, ops, type Tensor } from "../engine/index.ts";

export interface InfoNceOptions {
  /** Kernel width tau (default 1: the scale of unit-variance latents). */
  temperature?: number;
}

/** Mean over rows of -log softmax(logits)_ii for square logits [N, N], stable by max-shift. */
function diagonalCrossEntropy(logits: Tensor): Tensor {
  const n = logits.shape[0];
  const shift = ops.stopGradient(ops.max(logits, 1, true)); // [N, 1]
  const logSumExp = ops.add(ops.log(ops.sum(ops.exp(ops.sub(logits, shift)), 1, true)), shift); // [N, 1]
  const eye = Float32Array.from({ length: n * n }, (_, i) => (i % (n + 1) === 0 ? 1 : 0));
  const positive = ops.sum(ops.mul(logits, constant(hostTensor([n, n], eye, "float32"))), 1, true); // [N, 1]
  return ops.mean(ops.sub(logSumExp, positive));
}

/**
 * Symmetric Gaussian-kernel InfoNCE of two views z [2, N, D]:
 * logits_ij = -||z0_i - z1_j||^2 / (2 tau^2), cross-entropy of the diagonal, both directions.
 */
export function gaussianInfoNce(z: Tensor, opts: InfoNceOptions = {}): Tensor {
  const { temperature = 1 } = opts;
  if (z.rank !== 3 || z.shape[0] !== 2)
    throw new Error(`gaussianInfoNce: z must be [2, N, D] (two views) but has shape [${z.shape}]`);
  const a = ops.reshape(ops.slice(z, 0, 0, 1), [z.shape[1], z.shape[2]]); // [N, D]
  const b = ops.reshape(ops.slice(z, 0, 1, 2), [z.shape[1], z.shape[2]]);
  const aa = ops.sum(a.square(), 1, true); // [N, 1]
  const bb = ops.reshape(ops.sum(b.square(), 1), [1, -1]); // [1, N]
  const dist = ops.sub(ops.add(aa, bb), ops.mul(ops.matmul(a, ops.swapLast(b)), 2)); // [N, N]
  const logits = ops.mul(dist, -1 / (2 * temperature * temperature));
  return ops.mul(ops.add(diagonalCrossEntropy(logits), diagonalCrossEntropy(ops.swapLast(logits))), 0.5);
}
