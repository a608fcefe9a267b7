// Layer normalisation over the last axis, with or without a learned affine transform.
import { constant, type HostTensor, hostTensor, type Key, ops, type Tensor } from "../engine/index.ts";
import { ones, zeros } from "./init.ts";

/** A layer norm over the last axis of size `dim`. */
export interface LayerNormConfig {
  dim: number;
  /** Learned gamma and beta (default true); without them gamma = 1 and beta = 0. */
  affine?: boolean;
  /** Added to the variance (default 1e-5, as nn.LayerNorm; DiT's AdaLN uses 1e-6). */
  eps?: number;
}

/** gamma [dim] and beta [dim] when affine; empty otherwise. */
export type LayerNormParams<T> = {
  gamma?: T;
  beta?: T;
};

/** gamma = 1, beta = 0 (nn.LayerNorm's initialisation); the key is unused but kept for a uniform signature. */
export function initLayerNorm(_key: Key, config: LayerNormConfig): LayerNormParams<HostTensor> {
  const { dim, affine = true } = config;
  return affine ? { gamma: ones([dim]), beta: zeros([dim]) } : {};
}

/** A constant [dim] of `value` with x's dtype. */
function filled(value: number, dim: number, like: Tensor): Tensor {
  return constant(hostTensor([dim], new Array<number>(dim).fill(value), like.dtype));
}

/** (x - mean) / sqrt(var + eps) * gamma + beta over the last axis: x [..., D] -> [..., D]. */
export function layerNorm(params: LayerNormParams<Tensor>, x: Tensor, config: LayerNormConfig): Tensor {
  const { dim, eps = 1e-5 } = config;
  const d = x.shape[x.rank - 1];
  if (d !== dim) {
    throw new Error(`layerNorm: input [${x.shape}] has last axis ${d} but the layer normalises ${dim}`);
  }
  const gamma = params.gamma ?? filled(1, dim, x);
  const beta = params.beta ?? filled(0, dim, x);
  return ops.layerNorm(x, gamma, beta, { axis: -1, eps });
}
