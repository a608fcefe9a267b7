// The I-JEPA objective (Assran et al. 2023, "Self-Supervised Learning from Images with a
// Joint-Embedding Predictive Architecture"), for one batch of images and multi-block masks:
//   1. target encoder (an EMA of the context encoder, no gradient) on the whole image;
//      layer-normalise its outputs and keep the tokens of each of the M target blocks;
//   2. context encoder on the context tokens only;
//   3. the predictor, once per target block, from the context embeddings and mask tokens at
//      that block's positions (blocks do not see each other, as in the paper);
//   4. smooth-L1 between predictions and targets, averaged over blocks, tokens and channels.
// The EMA update itself (momentum 0.996 -> 1) lives in the training step (compileTrainStep's
// `ema` option over the "encoder" subtree), which passes the target encoder in as ctx.ema.
import {
  type HostTensor,
  type Key,
  type LossFn,
  ops,
  split,
  type Tensor,
  type TensorRecord,
} from "../engine/index.ts";
import { gatherTokens, initViT, type ViTConfig, type ViTParams, vit } from "../nn/index.ts";
import {
  initJepaPredictor,
  type JepaPredictorConfig,
  type JepaPredictorParams,
  jepaPredictor,
} from "./jepa-predictor.ts";
import { normalizeLast, smoothL1 } from "./smooth-l1.ts";

/** The predictor's own sizes; its input width and grid follow from the encoder. */
export interface PredictorSize {
  dim: number;
  depth: number;
  heads: number;
  mlpDim: number;
}

export interface IjepaConfig {
  encoder: ViTConfig;
  predictor: PredictorSize;
  /** Smooth-L1 threshold (default 1, PyTorch's and the paper's). */
  beta?: number;
}

/** Context encoder and predictor; the target encoder is the EMA of `encoder`. */
export type IjepaParams<T> = {
  encoder: ViTParams<T>;
  predictor: JepaPredictorParams<T>;
};

/** The predictor config of an I-JEPA model: encoder width in and out, the 2-D patch grid. */
export function ijepaPredictorConfig(config: IjepaConfig): JepaPredictorConfig {
  const g = config.encoder.imageSize / config.encoder.patchSize;
  return { ...config.predictor, embedDim: config.encoder.dim, grid: [g, g] };
}

/** Draws the context encoder (truncated-normal init, as I-JEPA) and the predictor. */
export function initIjepa(key: Key, config: IjepaConfig): IjepaParams<HostTensor> {
  const [kEncoder, kPredictor] = split(key, 2);
  return {
    encoder: initViT(kEncoder, { init: "trunc-normal", ...config.encoder }),
    predictor: initJepaPredictor(kPredictor, ijepaPredictorConfig(config)),
  };
}

/**
 * I-JEPA's loss for images [B, C, H, W], context indices [B, Kc] and target indices
 * [B, M, Kt] (from multiBlockSampler), with `target` the EMA encoder's parameters:
 * mean smooth-L1(predictor(context), LN(target(images))[targets]).
 */
export function ijepaLoss(
  params: IjepaParams<Tensor>,
  target: ViTParams<Tensor>,
  batch: TensorRecord,
  config: IjepaConfig,
): { loss: Tensor; terms: Record<string, Tensor> } {
  const { encoder, beta = 1 } = config;
  const { images, context, targets } = batch;
  if (!images || !context || !targets || targets.rank !== 3) {
    throw new Error(
      "ijepaLoss: the batch needs images [B, C, H, W], context [B, Kc] and targets [B, M, Kt] (multiBlockSampler)",
    );
  }
  const [b, m, kt] = targets.shape;
  const kc = context.shape[1];
  const d = encoder.dim;

  // 1. Targets: layer-normed EMA embeddings at each block's tokens, no gradient.
  const h = ops.stopGradient(normalizeLast(vit(target, images, encoder))); // [B, T, D]
  const y = gatherTokens(h, ops.reshape(targets, [b, m * kt])); // [B, M*Kt, D]
  const yBlocks = ops.reshape(ops.transpose(ops.reshape(y, [b, m, kt, d]), [1, 0, 2, 3]), [m * b, kt, d]);

  // 2. Context embeddings.
  const z = vit(params.encoder, images, encoder, { keep: context }); // [B, Kc, D]

  // 3. One predictor pass per target block: repeat the context M times, block-major.
  const zRep = ops.reshape(ops.broadcastTo(ops.reshape(z, [1, b, kc, d]), [m, b, kc, d]), [m * b, kc, d]);
  const contextRep = ops.reshape(ops.broadcastTo(ops.reshape(context, [1, b, kc]), [m, b, kc]), [m * b, kc]);
  const targetRep = ops.reshape(ops.transpose(targets, [1, 0, 2]), [m * b, kt]);
  const predicted = jepaPredictor(
    params.predictor,
    zRep,
    contextRep,
    targetRep,
    ijepaPredictorConfig(config),
  );

  // 4. Smooth-L1 regression.
  const loss = smoothL1(predicted, yBlocks, beta);
  return { loss, terms: { prediction: loss } };
}

/** The LossFn of a train step that keeps the EMA of "encoder" (compileTrainStep's `ema`). */
export function ijepaLossFn(config: IjepaConfig): LossFn {
  return (params, batch, ctx) => {
    if (!ctx.ema) {
      throw new Error(
        'ijepaLossFn: no target encoder; compile the step with ema: { of: "encoder", momentum }',
      );
    }
    return ijepaLoss(
      params as unknown as IjepaParams<Tensor>,
      ctx.ema as unknown as ViTParams<Tensor>,
      batch,
      config,
    );
  };
}
