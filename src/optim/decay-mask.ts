import { constant, hostTensor, type ParamLayout, type Tensor } from "../engine/index.ts";

/** Which parameters get weight decay: by default matrices and kernels (rank >= 2), not biases or norms. */
export type DecayFilter = (path: string, shape: readonly number[]) => boolean;
export const decayMatrices: DecayFilter = (_path, shape) => shape.length >= 2;

/** A constant [P] mask: 1 where the filter selects a parameter, 0 elsewhere. */
export function decayMask(layout: ParamLayout, filter: DecayFilter): Tensor {
  const mask = new Float32Array(layout.total);
  for (const e of layout.entries) if (filter(e.path, e.shape)) mask.fill(1, e.offset, e.offset + e.size);
  return constant(hostTensor([layout.total], mask, "float32"));
}
