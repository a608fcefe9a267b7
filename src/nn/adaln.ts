// AdaLN-zero conditioning (Peebles & Xie 2023, DiT): a conditioning vector c regresses the
// shift, scale and gate of each layer norm, through a projection initialised to zero so that
// every conditioned block starts as the identity.
//   [shift, scale, gate, ...] = silu(c) @ w + b
//   y = LN(x, no affine) * (1 + scale) + shift
import { type HostTensor, type Key, ops, split, type Tensor } from "../engine/index.ts";
import { type AttentionMask, type AttentionParams, attention, initAttention } from "./attention.ts";
import { zeros } from "./init.ts";
import { layerNorm } from "./layer-norm.ts";
import type { LinearParams } from "./linear.ts";
import { linear } from "./linear.ts";
import { initMlp, type MlpConfig, type MlpParams, mlp } from "./mlp.ts";

/** The conditioning projection: condDim -> chunks * dim. */
export interface AdaLNConfig {
  dim: number;
  condDim: number;
  /** How many [B, dim] vectors to regress (default 6: shift, scale, gate for attention and MLP). */
  chunks?: number;
  /** A bias on the projection (default true, as DiT). */
  bias?: boolean;
}

/** proj.w [condDim, chunks * dim], proj.b [chunks * dim]: all zeros at init. */
export type AdaLNParams<T> = {
  proj: LinearParams<T>;
};

/** The zero initialisation that makes the conditioned block start as the identity. */
export function initAdaLN(_key: Key, config: AdaLNConfig): AdaLNParams<HostTensor> {
  const { dim, condDim, chunks = 6, bias = true } = config;
  const w = zeros([condDim, chunks * dim]);
  return { proj: bias ? { w, b: zeros([chunks * dim]) } : { w } };
}

/** c [B, condDim] -> `chunks` tensors [B, dim] (in the order shift, scale, gate, ...). */
export function adaLNModulation(params: AdaLNParams<Tensor>, c: Tensor, config: AdaLNConfig): Tensor[] {
  const { dim, chunks = 6 } = config;
  return ops.split(linear(params.proj, ops.silu(c)), -1, new Array<number>(chunks).fill(dim));
}

/** [B, D] -> [B, 1, ..., 1, D] so it broadcasts over the token axes of x. */
const perSample = (v: Tensor, x: Tensor): Tensor =>
  ops.reshape(v, [v.shape[0], ...new Array<number>(x.rank - 2).fill(1), v.shape[1]]);

/** x * (1 + scale) + shift, with x [B, ..., D] and shift, scale [B, D]. */
export function modulate(x: Tensor, shift: Tensor, scale: Tensor): Tensor {
  return ops.add(ops.mul(x, ops.add(perSample(scale, x), 1)), perSample(shift, x));
}

/** x * gate, with x [B, ..., D] and gate [B, D]. */
export function gate(x: Tensor, g: Tensor): Tensor {
  return ops.mul(x, perSample(g, x));
}

/** LN(x) without affine (eps 1e-6, as DiT), modulated by shift and scale: x [B, ..., D] -> same. */
export function adaLNModulate(x: Tensor, shift: Tensor, scale: Tensor, opts: { eps?: number } = {}): Tensor {
  const { eps = 1e-6 } = opts;
  const dim = x.shape[x.rank - 1];
  return modulate(layerNorm({}, x, { dim, affine: false, eps }), shift, scale);
}

// ---------- a DiT block ----------

/** A transformer block conditioned by AdaLN-zero. */
export interface AdaLNBlockConfig {
  dim: number;
  heads: number;
  mlpDim: number;
  condDim: number;
}

/** The zero-initialised modulation, attention and MLP. */
export type AdaLNBlockParams<T> = {
  adaLN: AdaLNParams<T>;
  attn: AttentionParams<T>;
  mlp: MlpParams<T>;
};

const blockMlp = (c: AdaLNBlockConfig): MlpConfig => ({
  inDim: c.dim,
  hidden: [c.mlpDim],
  outDim: c.dim,
  activation: "gelu-tanh",
});

/** Draws a DiT block (AdaLN projection at zero, the rest with PyTorch defaults). */
export function initAdaLNBlock(key: Key, config: AdaLNBlockConfig): AdaLNBlockParams<HostTensor> {
  const { dim, heads, condDim } = config;
  const [k1, k2, k3] = split(key, 3);
  return {
    adaLN: initAdaLN(k1, { dim, condDim }),
    attn: initAttention(k2, { dim, heads }),
    mlp: initMlp(k3, blockMlp(config)),
  };
}

/**
 * h [B, T, D] conditioned on c [B, condDim]:
 * h + gate1 * attn(modulate(LN(h))), then h + gate2 * MLP(modulate(LN(h))).
 */
export function adaLNBlock(
  params: AdaLNBlockParams<Tensor>,
  h: Tensor,
  c: Tensor,
  config: AdaLNBlockConfig,
  opts: { mask?: AttentionMask } = {},
): Tensor {
  const { dim, heads, condDim } = config;
  const [shift1, scale1, gate1, shift2, scale2, gate2] = adaLNModulation(params.adaLN, c, { dim, condDim });
  const a = attention(params.attn, adaLNModulate(h, shift1, scale1), { dim, heads }, opts);
  h = ops.add(h, gate(a, gate1));
  return ops.add(h, gate(mlp(params.mlp, adaLNModulate(h, shift2, scale2), blockMlp(config)), gate2));
}
