// Multi-head attention (Vaswani et al. 2017) with optional causal and block-causal masks:
// softmax(q k^T / sqrt(d_head) + mask) v, heads concatenated, then an output projection.
import { constant, type HostTensor, hostTensor, type Key, ops, split, type Tensor } from "../engine/index.ts";
import type { WeightInit } from "./init.ts";
import { initLinear, type LinearParams, linear } from "./linear.ts";

/**
 * Which keys a query may see. "causal": token i sees tokens <= i. "block-causal": tokens come
 * in frames of `tokensPerFrame`, and a token sees every token of its own and earlier frames
 * (V-JEPA 2-AC, world-model predictors over frame sequences).
 */
export type AttentionMask = "none" | "causal" | { kind: "block-causal"; tokensPerFrame: number };

/** Added to masked scores: exp underflows to exactly 0, and unlike -Infinity it never makes NaN. */
export const MASKED_SCORE = -1e9;

/** Multi-head self-attention over tokens of width `dim`. */
export interface AttentionConfig {
  dim: number;
  heads: number;
  /** Biases on the qkv and output projections (default true, as the reference ViT). */
  bias?: boolean;
  init?: WeightInit;
}

/** qkv.w [D, 3D] holds [wq | wk | wv] along its columns; proj.w [D, D]. */
export type AttentionParams<T> = {
  qkv: LinearParams<T>;
  proj: LinearParams<T>;
};

/** Draws self-attention parameters (PyTorch nn.Linear defaults unless config.init says otherwise). */
export function initAttention(key: Key, config: AttentionConfig): AttentionParams<HostTensor> {
  const { dim, bias = true, init = "torch" } = config;
  const [kq, kp] = split(key);
  return {
    qkv: initLinear(kq, { inDim: dim, outDim: 3 * dim, bias, init }),
    proj: initLinear(kp, { inDim: dim, outDim: dim, bias, init }),
  };
}

/** The additive mask [Tq, Tk] as numbers (0 where allowed, MASKED_SCORE elsewhere), or null for "none". */
export function maskScores(mask: AttentionMask, tq: number, tk: number): Float64Array | null {
  if (mask === "none") return null;
  const frame = mask === "causal" ? 1 : mask.tokensPerFrame;
  if (tq !== tk) {
    const name = mask === "causal" ? "causal" : "block-causal";
    throw new Error(`attention: a ${name} mask needs as many queries as keys, got ${tq} and ${tk}`);
  }
  if (!Number.isInteger(frame) || frame < 1 || tk % frame !== 0) {
    throw new Error(
      `attention: ${tk} tokens do not split into frames of ${frame}; pass a tokensPerFrame that divides ${tk}`,
    );
  }
  const out = new Float64Array(tq * tk);
  for (let i = 0; i < tq; i++) {
    const lastVisible = (Math.floor(i / frame) + 1) * frame; // exclusive
    for (let j = lastVisible; j < tk; j++) out[i * tk + j] = MASKED_SCORE;
  }
  return out;
}

/** [B, T, H*Dh] -> [B, H, T, Dh] */
const heads = (x: Tensor, h: number): Tensor => {
  const [b, t, d] = x.shape;
  return ops.transpose(ops.reshape(x, [b, t, h, d / h]), [0, 2, 1, 3]);
};

/**
 * Scaled dot-product attention of q [B, Tq, D] over k, v [B, Tk, D] with `numHeads` heads:
 * returns the heads concatenated, [B, Tq, D] (before any output projection).
 */
export function attend(
  q: Tensor,
  k: Tensor,
  v: Tensor,
  numHeads: number,
  opts: { mask?: AttentionMask } = {},
): Tensor {
  const d = q.shape[2];
  if (d % numHeads !== 0) {
    throw new Error(`attention: width ${d} does not split into ${numHeads} heads; pick heads dividing ${d}`);
  }
  return attendHeads(heads(q, numHeads), heads(k, numHeads), heads(v, numHeads), opts);
}

/** Attention over head-major q [B, H, Tq, Dh] and k, v [B, H, Tk, Dh]: returns [B, Tq, H Dh]. */
function attendHeads(q: Tensor, k: Tensor, v: Tensor, opts: { mask?: AttentionMask } = {}): Tensor {
  const { mask = "none" } = opts;
  const [b, h, tq, dh] = q.shape;
  const tk = k.shape[2];
  // q scaled before the product (the smaller tensor); k^T as a swap ONNX Runtime folds into the product.
  let scores = ops.matmul(ops.mul(q, 1 / Math.sqrt(dh)), ops.swapLast(k)); // [B, H, Tq, Tk]
  const bias = maskScores(mask, tq, tk);
  if (bias) scores = ops.add(scores, constant(hostTensor([tq, tk], bias, q.dtype)));
  const out = ops.matmul(ops.softmax(scores, -1), v); // [B, H, Tq, Dh]
  return ops.reshape(ops.transpose(out, [0, 2, 1, 3]), [b, tq, h * dh]);
}

/** Multi-head self-attention: x [B, T, D] -> [B, T, D]. */
export function attention(
  params: AttentionParams<Tensor>,
  x: Tensor,
  config: AttentionConfig,
  opts: { mask?: AttentionMask } = {},
): Tensor {
  const { mask = "none" } = opts;
  const { dim, heads: numHeads } = config;
  if (x.rank !== 3 || x.shape[2] !== dim) {
    throw new Error(`attention: input [${x.shape}] must be [B, T, ${dim}]`);
  }
  if (dim % numHeads !== 0) {
    throw new Error(
      `attention: width ${dim} does not split into ${numHeads} heads; pick heads dividing ${dim}`,
    );
  }
  // q, k and v head-major from one reshape + transpose of the projection, and k^T as a swap
  // folded into the product: the ViT step graph has 32 transposes instead of 48.
  const [b, t] = x.shape;
  const dh = dim / numHeads;
  const qkv = ops.transpose(ops.reshape(linear(params.qkv, x), [b, t, 3, numHeads, dh]), [2, 0, 3, 1, 4]);
  const [q, k, v] = ops.split(qkv, 0, [1, 1, 1]).map((h) => ops.reshape(h, [b, numHeads, t, dh]));
  return linear(params.proj, attendHeads(q, k, v, { mask }));
}

/** Multi-head cross-attention of queries of width `dim` over a context of width `contextDim`. */
export interface CrossAttentionConfig {
  dim: number;
  /** Width of the context tokens (default dim). */
  contextDim?: number;
  heads: number;
  bias?: boolean;
  init?: WeightInit;
}

/** q.w [D, D]; kv.w [Dc, 2D] holds [wk | wv]; proj.w [D, D]. */
export type CrossAttentionParams<T> = {
  q: LinearParams<T>;
  kv: LinearParams<T>;
  proj: LinearParams<T>;
};

/** Draws cross-attention parameters. */
export function initCrossAttention(key: Key, config: CrossAttentionConfig): CrossAttentionParams<HostTensor> {
  const { dim, contextDim = dim, bias = true, init = "torch" } = config;
  const [kq, kkv, kp] = split(key, 3);
  return {
    q: initLinear(kq, { inDim: dim, outDim: dim, bias, init }),
    kv: initLinear(kkv, { inDim: contextDim, outDim: 2 * dim, bias, init }),
    proj: initLinear(kp, { inDim: dim, outDim: dim, bias, init }),
  };
}

/** Cross-attention: x [B, Tq, D] attends over context [B, Tk, Dc] -> [B, Tq, D]. */
export function crossAttention(
  params: CrossAttentionParams<Tensor>,
  x: Tensor,
  context: Tensor,
  config: CrossAttentionConfig,
): Tensor {
  const { dim, heads: numHeads } = config;
  const [k, v] = ops.split(linear(params.kv, context), 2, [dim, dim]);
  return linear(params.proj, attend(linear(params.q, x), k, v, numHeads));
}
