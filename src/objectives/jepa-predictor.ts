// The narrow ViT predictor of I-JEPA and V-JEPA (Assran et al. 2023, section 3): context
// embeddings are projected to the predictor's width and given their positions; one learned
// mask token per target position, plus that position's embedding, is appended; transformer
// blocks mix them; the outputs at the mask tokens are projected back to the encoder's width.
// Positions are fixed sine-cosine embeddings over the token grid (2-D for images, 3-D for
// tubelets), as in both papers.
import { constant, type HostTensor, hostTensor, type Key, ops, split, type Tensor } from "../engine/index.ts";
import {
  initLayerNorm,
  initLinear,
  initViTBlock,
  type LayerNormParams,
  type LinearParams,
  layerNorm,
  linear,
  truncNormal,
  type ViTBlockConfig,
  type ViTBlockParams,
  vitBlock,
} from "../nn/index.ts";

/**
 * Fixed sine-cosine position embeddings of a row-major token grid (any rank) -> [T, D]:
 * each axis gets 2 * floor(D / (2 * axes)) channels, sin(p w_i) then cos(p w_i) with
 * w_i = 10000^(-i / half); leftover channels are zero.
 */
export function sincosPositions(grid: readonly number[], dim: number): HostTensor {
  const tokens = grid.reduce((a, b) => a * b, 1);
  const half = Math.floor(dim / (2 * grid.length));
  const out = new Float32Array(tokens * dim);
  for (let t = 0; t < tokens; t++) {
    let rest = t;
    for (let axis = grid.length - 1; axis >= 0; axis--) {
      const p = rest % grid[axis];
      rest = Math.floor(rest / grid[axis]);
      const base = t * dim + axis * 2 * half;
      for (let i = 0; i < half; i++) {
        const angle = p * 10000 ** (-i / half);
        out[base + i] = Math.sin(angle);
        out[base + half + i] = Math.cos(angle);
      }
    }
  }
  return hostTensor([tokens, dim], out);
}

/** A predictor narrower than its encoder (I-JEPA: 384 wide for a 1280-wide ViT-H). */
export interface JepaPredictorConfig {
  /** The encoder's width D: inputs and outputs are [.., D]. */
  embedDim: number;
  /** The predictor's own width, depth, heads and MLP width. */
  dim: number;
  depth: number;
  heads: number;
  mlpDim: number;
  /** The encoder's token grid: [gh, gw] for images, [duration, gh, gw] for video. */
  grid: number[];
}

export type JepaPredictorParams<T> = {
  embed: LinearParams<T>;
  maskToken: T;
  blocks: ViTBlockParams<T>[];
  norm: LayerNormParams<T>;
  proj: LinearParams<T>;
};

const blockConfig = (c: JepaPredictorConfig): ViTBlockConfig => ({
  dim: c.dim,
  heads: c.heads,
  mlpDim: c.mlpDim,
  init: "trunc-normal",
});

/** Draws a predictor (truncated-normal weights and mask token, std 0.02, as I-JEPA). */
export function initJepaPredictor(key: Key, config: JepaPredictorConfig): JepaPredictorParams<HostTensor> {
  const { embedDim, dim, depth } = config;
  const [kEmbed, kMask, kNorm, kProj, ...kBlocks] = split(key, depth + 4);
  return {
    embed: initLinear(kEmbed, { inDim: embedDim, outDim: dim, init: "trunc-normal" }),
    maskToken: truncNormal(kMask, [1, 1, dim], 0.02),
    blocks: kBlocks.map((k) => initViTBlock(k, blockConfig(config))),
    norm: initLayerNorm(kNorm, { dim }),
    proj: initLinear(kProj, { inDim: dim, outDim: embedDim, init: "trunc-normal" }),
  };
}

/**
 * Predicts target embeddings [B, Kt, D] from context embeddings [B, Kc, D] at grid positions
 * `contextIndices` [B, Kc], for the positions `targetIndices` [B, Kt] (int32 or int64).
 */
export function jepaPredictor(
  params: JepaPredictorParams<Tensor>,
  context: Tensor,
  contextIndices: Tensor,
  targetIndices: Tensor,
  config: JepaPredictorConfig,
): Tensor {
  const { dim, grid } = config;
  const [b, kc] = context.shape;
  const kt = targetIndices.shape[1];
  if (contextIndices.shape[0] !== b || contextIndices.shape[1] !== kc || targetIndices.shape[0] !== b) {
    throw new Error(
      `jepaPredictor: context [${context.shape}] needs contextIndices [${b}, ${kc}] and targetIndices [${b}, Kt]; got [${contextIndices.shape}] and [${targetIndices.shape}]`,
    );
  }
  const pos = constant(sincosPositions(grid, dim)); // [T, Dp]
  const x = ops.add(linear(params.embed, context), ops.gather(pos, contextIndices, 0)); // [B, Kc, Dp]
  const masks = ops.add(params.maskToken, ops.gather(pos, targetIndices, 0)); // [B, Kt, Dp]
  let h = ops.concat([x, masks], 1); // [B, Kc+Kt, Dp]
  for (const block of params.blocks) h = vitBlock(block, h, blockConfig(config));
  h = layerNorm(params.norm, ops.slice(h, 1, kc, kc + kt), { dim });
  return linear(params.proj, h); // [B, Kt, D]
}
