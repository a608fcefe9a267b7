// V-JEPA's video encoder: a ViT over tubelets (Bardes et al. 2024; ViViT's tubelet embedding).
// A clip [B, T, C, H, W] is cut into tubelets of `tubelet` frames x P x P pixels, each
// projected to D; a conv3d with kernel = stride = (tubelet, P, P) equals a patch embedding
// of the tubelet's frames stacked as channels, which is how it is computed here. Tokens are
// ordered (tubelet, row, column), the order of multiblock3d.ts.
import { type HostTensor, type Key, ops, split, type Tensor } from "../engine/index.ts";
import {
  gatherTokens,
  initViT,
  layerNorm,
  normalTensor,
  patchEmbed,
  type ViTConfig,
  type ViTParams,
  vitBlock,
} from "../nn/index.ts";

/** A ViT over clips of `frames` frames in tubelets of `tubelet` frames. */
export interface TubeletViTConfig extends ViTConfig {
  frames: number;
  /** Frames per tubelet (default 2, as V-JEPA). */
  tubelet?: number;
}

/** Tubelets per clip and tokens per tubelet: the sampler's duration and grid. */
export function tubeletGrid(config: TubeletViTConfig): {
  duration: number;
  gridHeight: number;
  gridWidth: number;
} {
  const { frames, tubelet = 2, imageSize, patchSize } = config;
  if (frames % tubelet !== 0) {
    throw new Error(`tubeletViT: ${frames} frames do not split into tubelets of ${tubelet}; use a multiple`);
  }
  const g = imageSize / patchSize;
  return { duration: frames / tubelet, gridHeight: g, gridWidth: g };
}

/** Draws the encoder: a ViT whose patch embedding sees tubelet * C channels, with positions for every tubelet. */
export function initTubeletViT(key: Key, config: TubeletViTConfig): ViTParams<HostTensor> {
  const { tubelet = 2, channels, dim, posStd = 0.02 } = config;
  const { duration, gridHeight, gridWidth } = tubeletGrid(config);
  const [kViT, kPos] = split(key, 2);
  const params = initViT(kViT, { ...config, channels: tubelet * channels });
  return { ...params, pos: normalTensor(kPos, [1, duration * gridHeight * gridWidth, dim], posStd) };
}

/** Clips [B, T, C, H, W] -> tokens [B, T/tubelet * gh * gw, D] (or [B, K, D] with `keep` [B, K]). */
export function tubeletViT(
  params: ViTParams<Tensor>,
  video: Tensor,
  config: TubeletViTConfig,
  opts: { keep?: Tensor } = {},
): Tensor {
  const { tubelet = 2, channels, imageSize, dim } = config;
  const { duration, gridHeight, gridWidth } = tubeletGrid(config);
  const [b, t, c, h, w] = video.shape;
  if (video.rank !== 5 || t !== config.frames || c !== channels || h !== imageSize || w !== imageSize) {
    throw new Error(
      `tubeletViT: clips [${video.shape}] must be [B, ${config.frames}, ${channels}, ${imageSize}, ${imageSize}]`,
    );
  }
  const stacked = ops.reshape(video, [b * duration, tubelet * c, h, w]); // frames of a tubelet as channels
  const patches = patchEmbed(params.patch, stacked, { ...config, channels: tubelet * c }); // [B*Tt, N, D]
  let x = ops.add(ops.reshape(patches, [b, duration * gridHeight * gridWidth, dim]), params.pos);
  if (opts.keep) x = gatherTokens(x, opts.keep);
  for (const block of params.blocks) x = vitBlock(block, x, config);
  return layerNorm(params.norm, x, { dim });
}
