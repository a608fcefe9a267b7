// A Vision Transformer encoder (Dosovitskiy et al. 2021) in the pre-LN form of the reference
// workload (../shared/reference/workloads.py): patch embedding, learned positions, blocks of
// LN -> attention -> residual and LN -> MLP(GELU tanh) -> residual, and a final LN.
import { constant, type HostTensor, hostTensor, type Key, ops, split, type Tensor } from "../engine/index.ts";
import { type AttentionMask, type AttentionParams, attention, initAttention } from "./attention.ts";
import { type Conv2dParams, conv2d, initConv2d } from "./conv2d.ts";
import { normalTensor, type WeightInit } from "./init.ts";
import { initLayerNorm, type LayerNormParams, layerNorm } from "./layer-norm.ts";
import { initMlp, type MlpConfig, type MlpParams, mlp } from "./mlp.ts";

// ---------- patch embedding ----------

/** Cuts images into non-overlapping patches and projects each to `dim`. */
export interface PatchEmbedConfig {
  imageSize: number;
  patchSize: number;
  channels: number;
  dim: number;
  init?: WeightInit;
}

/** A convolution with kernel = stride = patchSize: w [D, C, P, P], b [D]. */
export type PatchEmbedParams<T> = Conv2dParams<T>;

/** Draws a patch embedding (nn.Conv2d defaults unless config.init says otherwise). */
export function initPatchEmbed(key: Key, config: PatchEmbedConfig): PatchEmbedParams<HostTensor> {
  const { patchSize, channels, dim, init = "torch" } = config;
  return initConv2d(key, {
    inChannels: channels,
    outChannels: dim,
    kernelSize: patchSize,
    stride: patchSize,
    init,
  });
}

/**
 * Images [B, C, H, W] -> patch tokens [B, (H/P)*(W/P), D] in row-major patch order
 * (PyTorch's `conv(x).flatten(2).transpose(1, 2)`). `impl` picks a strided convolution or the
 * equivalent reshape + matmul; both compute the same function.
 */
export function patchEmbed(
  params: PatchEmbedParams<Tensor>,
  x: Tensor,
  config: PatchEmbedConfig,
  opts: { impl?: "conv" | "matmul" } = {},
): Tensor {
  const { impl = "conv" } = opts;
  const { imageSize, patchSize: p, channels: c, dim } = config;
  const [b, xc, h, w] = x.shape;
  if (x.rank !== 4 || xc !== c || h !== imageSize || w !== imageSize) {
    throw new Error(`patchEmbed: images [${x.shape}] must be [B, ${c}, ${imageSize}, ${imageSize}]`);
  }
  const g = imageSize / p;
  if (!Number.isInteger(g)) {
    throw new Error(`patchEmbed: patch size ${p} does not divide image size ${imageSize}`);
  }
  if (impl === "conv") {
    const y = conv2d(params, x, { inChannels: c, outChannels: dim, kernelSize: p, stride: p });
    return ops.swapLast(ops.reshape(y, [b, dim, g * g])); // [B, T, D]
  }
  const patches = ops.reshape(
    ops.transpose(ops.reshape(x, [b, c, g, p, g, p]), [0, 2, 4, 1, 3, 5]), // [B, gh, gw, C, P, P]
    [b, g * g, c * p * p],
  );
  const y = ops.matmul(patches, ops.swapLast(ops.reshape(params.w, [dim, c * p * p])));
  return params.b ? ops.add(y, params.b) : y;
}

// ---------- token selection ----------

/**
 * Keeps the tokens at `indices` of h [B, T, D]: indices [K] (the same for every sample) or
 * [B, K] (one set per sample, as I-JEPA's context masks) -> [B, K, D].
 */
export function gatherTokens(h: Tensor, indices: Tensor): Tensor {
  const [b, t, d] = h.shape;
  if (indices.rank === 1) return ops.gather(h, indices, 1);
  if (indices.rank !== 2 || indices.shape[0] !== b) {
    throw new Error(
      `gatherTokens: indices [${indices.shape}] must be [K] or [${b}, K] for tokens [${h.shape}]`,
    );
  }
  const k = indices.shape[1];
  const rowStart = hostTensor(
    [b, 1],
    Array.from({ length: b }, (_, i) => i * t),
    indices.dtype,
  );
  const flat = ops.add(indices, constant(rowStart)); // [B, K] indices into the B*T rows
  return ops.reshape(ops.gather(ops.reshape(h, [b * t, d]), flat, 0), [b, k, d]);
}

// ---------- transformer block ----------

/** One pre-LN transformer block. */
export interface ViTBlockConfig {
  dim: number;
  heads: number;
  mlpDim: number;
  init?: WeightInit;
}

/** The reference Block: ln1, attention (qkv + proj), ln2, MLP (fc1, fc2). */
export type ViTBlockParams<T> = {
  norm1: LayerNormParams<T>;
  attn: AttentionParams<T>;
  norm2: LayerNormParams<T>;
  mlp: MlpParams<T>;
};

const blockMlp = (c: ViTBlockConfig): MlpConfig => ({
  inDim: c.dim,
  hidden: [c.mlpDim],
  outDim: c.dim,
  activation: "gelu-tanh",
  init: c.init,
});

/** Draws one block. */
export function initViTBlock(key: Key, config: ViTBlockConfig): ViTBlockParams<HostTensor> {
  const { dim, heads, init = "torch" } = config;
  const [k1, k2, k3, k4] = split(key, 4);
  return {
    norm1: initLayerNorm(k1, { dim }),
    attn: initAttention(k2, { dim, heads, init }),
    norm2: initLayerNorm(k3, { dim }),
    mlp: initMlp(k4, blockMlp(config)),
  };
}

/** h + attn(LN(h)), then h + MLP(LN(h)): [B, T, D] -> [B, T, D]. */
export function vitBlock(
  params: ViTBlockParams<Tensor>,
  h: Tensor,
  config: ViTBlockConfig,
  opts: { mask?: AttentionMask } = {},
): Tensor {
  const { dim, heads } = config;
  h = ops.add(h, attention(params.attn, layerNorm(params.norm1, h, { dim }), { dim, heads }, opts));
  return ops.add(h, mlp(params.mlp, layerNorm(params.norm2, h, { dim }), blockMlp(config)));
}

// ---------- encoder ----------

/** The encoder; the reference workload is img 64, patch 8, dim 128, depth 4, heads 4, mlp 512, ch 3. */
export interface ViTConfig {
  imageSize: number;
  patchSize: number;
  channels: number;
  dim: number;
  depth: number;
  heads: number;
  mlpDim: number;
  /** Linear and patch weights (default "torch", as the reference; "trunc-normal" for I-JEPA). */
  init?: WeightInit;
  /** Standard deviation of the positional embedding's normal init (default 0.02, as the reference). */
  posStd?: number;
}

/** patch, pos [1, T, D], blocks, and the final norm. */
export type ViTParams<T> = {
  patch: PatchEmbedParams<T>;
  pos: T;
  blocks: ViTBlockParams<T>[];
  norm: LayerNormParams<T>;
};

/** Tokens per image: (imageSize / patchSize)^2. */
export const vitTokens = (config: ViTConfig): number => (config.imageSize / config.patchSize) ** 2;

/** Draws a ViT encoder's parameters. */
export function initViT(key: Key, config: ViTConfig): ViTParams<HostTensor> {
  const { dim, depth, posStd = 0.02 } = config;
  const [kPatch, kPos, kNorm, ...kBlocks] = split(key, depth + 3);
  return {
    patch: initPatchEmbed(kPatch, config),
    pos: normalTensor(kPos, [1, vitTokens(config), dim], posStd),
    blocks: kBlocks.map((k) => initViTBlock(k, config)),
    norm: initLayerNorm(kNorm, { dim }),
  };
}

/** Options of a ViT forward pass. */
export interface ViTOptions {
  /** Token indices [K] or [B, K] kept after the positional embedding (I-JEPA's context). */
  keep?: Tensor;
  mask?: AttentionMask;
  patchImpl?: "conv" | "matmul";
}

/** Images [B, C, H, W] -> tokens [B, T, D] (or [B, K, D] with `keep`). */
export function vit(params: ViTParams<Tensor>, x: Tensor, config: ViTConfig, opts: ViTOptions = {}): Tensor {
  const { keep, mask = "none", patchImpl = "conv" } = opts;
  let h = ops.add(patchEmbed(params.patch, x, config, { impl: patchImpl }), params.pos);
  if (keep) h = gatherTokens(h, keep);
  for (const block of params.blocks) h = vitBlock(block, h, config, { mask });
  return layerNorm(params.norm, h, { dim: config.dim });
}
