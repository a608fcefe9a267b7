// The V-JEPA objective (Bardes et al. 2024, "Revisiting Feature Prediction for Learning
// Visual Representations from Video"), for a batch of clips and 3-D multi-block masks:
//   1. target encoder (the EMA of the context encoder, no gradient) on the whole clip;
//      layer-normalise its tubelet embeddings;
//   2. for each mask kind (short-range, long-range): the context encoder on that kind's
//      context tokens, the predictor from them to the kind's target positions, and the
//      L1 distance to the layer-normed targets there;
//   3. the loss is the mean over kinds.
// As for I-JEPA, the EMA update (0.996 -> 1) is in the training step; ctx.ema is the target.
import {
  type HostTensor,
  type Key,
  type LossFn,
  ops,
  split,
  type Tensor,
  type TensorRecord,
} from "../engine/index.ts";
import { gatherTokens, type ViTParams } from "../nn/index.ts";
import type { PredictorSize } from "./ijepa.ts";
import {
  initJepaPredictor,
  type JepaPredictorConfig,
  type JepaPredictorParams,
  jepaPredictor,
} from "./jepa-predictor.ts";
import { normalizeLast } from "./smooth-l1.ts";
import { initTubeletViT, type TubeletViTConfig, tubeletGrid, tubeletViT } from "./tubelet-vit.ts";

export interface VjepaConfig {
  encoder: TubeletViTConfig;
  predictor: PredictorSize;
  /** Names of the mask kinds in the batch (multiBlock3dSampler's `masks[i].name`). */
  maskNames: string[];
}

export type VjepaParams<T> = {
  encoder: ViTParams<T>;
  predictor: JepaPredictorParams<T>;
};

/** The predictor config of a V-JEPA model: encoder width in and out, the 3-D tubelet grid. */
export function vjepaPredictorConfig(config: VjepaConfig): JepaPredictorConfig {
  const { duration, gridHeight, gridWidth } = tubeletGrid(config.encoder);
  return { ...config.predictor, embedDim: config.encoder.dim, grid: [duration, gridHeight, gridWidth] };
}

/** Draws the context encoder (truncated-normal init) and the predictor. */
export function initVjepa(key: Key, config: VjepaConfig): VjepaParams<HostTensor> {
  const [kEncoder, kPredictor] = split(key, 2);
  return {
    encoder: initTubeletViT(kEncoder, { init: "trunc-normal", ...config.encoder }),
    predictor: initJepaPredictor(kPredictor, vjepaPredictorConfig(config)),
  };
}

/** The batch keys of mask kind `name`: context [B, Kc] and targets [B, Kt]. */
export const maskKeys = (name: string) => ({ context: `context_${name}`, targets: `targets_${name}` });

/**
 * V-JEPA's loss for clips `video` [B, T, C, H, W] and, per mask kind, `context_<name>` [B, Kc]
 * and `targets_<name>` [B, Kt]: the mean over kinds of mean |predictor(context) - LN(target(video))[targets]|.
 */
export function vjepaLoss(
  params: VjepaParams<Tensor>,
  target: ViTParams<Tensor>,
  batch: TensorRecord,
  config: VjepaConfig,
): { loss: Tensor; terms: Record<string, Tensor> } {
  const { encoder, maskNames } = config;
  const { video } = batch;
  if (!video) throw new Error("vjepaLoss: the batch needs video [B, T, C, H, W]");
  const predictorConfig = vjepaPredictorConfig(config);

  // 1. Targets for every token, no gradient.
  const h = ops.stopGradient(normalizeLast(tubeletViT(target, video, encoder))); // [B, Tt*N, D]

  // 2. One context pass and one predictor pass per mask kind.
  const terms: Record<string, Tensor> = {};
  let total: Tensor | undefined;
  for (const name of maskNames) {
    const keys = maskKeys(name);
    const context = batch[keys.context];
    const targets = batch[keys.targets];
    if (!context || !targets) {
      throw new Error(`vjepaLoss: the batch lacks ${keys.context} or ${keys.targets} of mask kind "${name}"`);
    }
    const z = tubeletViT(params.encoder, video, encoder, { keep: context }); // [B, Kc, D]
    const predicted = jepaPredictor(params.predictor, z, context, targets, predictorConfig); // [B, Kt, D]
    const l1 = ops.mean(ops.abs(ops.sub(predicted, gatherTokens(h, targets))));
    terms[`prediction_${name}`] = l1;
    total = total ? ops.add(total, l1) : l1;
  }
  if (!total) throw new Error("vjepaLoss: config.maskNames is empty; name at least one mask kind");

  // 3. Mean over kinds.
  return { loss: ops.div(total, maskNames.length), terms };
}

/** The LossFn of a train step that keeps the EMA of "encoder" (compileTrainStep's `ema`). */
export function vjepaLossFn(config: VjepaConfig): LossFn {
  return (params, batch, ctx) => {
    if (!ctx.ema) {
      throw new Error(
        'vjepaLossFn: no target encoder; compile the step with ema: { of: "encoder", momentum }',
      );
    }
    return vjepaLoss(
      params as unknown as VjepaParams<Tensor>,
      ctx.ema as unknown as ViTParams<Tensor>,
      batch,
      config,
    );
  };
}
