// SIGReg (LeJEPA, Balestriero & LeCun 2025): push embeddings toward an isotropic Gaussian by
// testing K random 1-D projections with the Epps-Pulley statistic. Fresh unit slices are
// drawn on the host every step (from a key) and fed in, so the graph stays deterministic.
import { type HostTensor, hostTensor, type Key, normal, ops, type Tensor } from "../engine/index.ts";
import { type EppsPulleyOptions, eppsPulley } from "./epps-pulley.ts";

export interface SigRegOptions extends EppsPulleyOptions {
  /** Pool the views into one sample of V*N (default false: one statistic per view). */
  pooled?: boolean;
}

/** K random unit directions in R^D as the columns of a [D, K] matrix. */
export function sampleSlices(key: Key, dim: number, numSlices: number): HostTensor<"float32"> {
  const a = normal(key, dim * numSlices);
  for (let k = 0; k < numSlices; k++) {
    let norm = 0;
    for (let d = 0; d < dim; d++) norm += a[d * numSlices + k] ** 2;
    norm = Math.sqrt(norm);
    for (let d = 0; d < dim; d++) a[d * numSlices + k] /= norm;
  }
  return hostTensor([dim, numSlices], a, "float32");
}

/**
 * SIGReg of embeddings z [V, N, D] (V views of N samples) along slices [D, K]: the mean over
 * views and slices of the Epps-Pulley statistic of z @ slices. A scalar.
 */
export function sigreg(z: Tensor, slices: Tensor, opts: SigRegOptions = {}): Tensor {
  const { pooled = false, ...ep } = opts;
  if (z.rank !== 3)
    throw new Error(`sigreg: z must be [V, N, D] but has shape [${z.shape}]; add a view axis`);
  if (slices.shape[0] !== z.shape[2]) {
    throw new Error(
      `sigreg: slices [${slices.shape}] must have ${z.shape[2]} rows, the embedding size of z [${z.shape}]`,
    );
  }
  let projected = ops.matmul(z, slices); // [V, N, K]
  if (pooled) projected = ops.reshape(projected, [1, -1, slices.shape[1]]); // [1, V*N, K]
  return ops.mean(eppsPulley(projected, ep));
}

export interface LeJepaOptions extends SigRegOptions {
  /** Weight of SIGReg against invariance (LeJEPA default 0.05; P3 uses 1e-3). */
  lambda?: number;
}

/**
 * The LeJEPA loss on embeddings z [V, N, D] of V views: (1 - lambda) * invariance + lambda * SIGReg,
 * invariance = mean squared distance of each view's embedding to the mean over views. No EMA
 * teacher and no stop-gradient.
 */
export function lejepaLoss(
  z: Tensor,
  slices: Tensor,
  opts: LeJepaOptions = {},
): { loss: Tensor; terms: Record<string, Tensor> } {
  const { lambda = 0.05, ...rest } = opts;
  const center = ops.mean(z, 0, true); // [1, N, D]
  const invariance = ops.mean(ops.sub(center, z).square());
  const reg = sigreg(z, slices, rest);
  const loss = ops.add(ops.mul(invariance, 1 - lambda), ops.mul(reg, lambda));
  return { loss, terms: { invariance, sigreg: reg } };
}
