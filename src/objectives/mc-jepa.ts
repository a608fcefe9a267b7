// The MC-JEPA objective (Bardes, Ponce & LeCun 2023): self-supervised optical flow and
// VICReg content learning on one shared encoder.
//   1. encode frames t and t+1: F_t, F_t+1 [B, C, h, w]; predict the flow f = Flow(F_t, F_t+1)
//   2. photometric: |I_t - warp(I_t+1, f)|, with f upsampled to the image
//   3. feature reconstruction: ||F_t - warp(F_t+1, f / stride)||^2, with VICReg's variance
//      hinge on the feature vectors so the features cannot collapse to make it trivial
//   4. smoothness: |df/dx| + |df/dy|
//   5. content: VICReg (invariance, variance, covariance) on projections of two augmented views
import { ops, type Tensor } from "../engine/index.ts";
import { covariancePenalty, varianceHinge } from "./vicreg.ts";

/** What the objective needs from an MC-JEPA model (src/world/mc-jepa.ts provides it). */
export interface MotionContentModel {
  /** Feature stride s of the encoder (image pixels per feature cell). */
  stride: number;
  /** Frames [B, C, H, W] -> features [B, C', H/s, W/s]. */
  features(frames: Tensor): Tensor;
  /** Features of t and t+1 -> flow [B, 2, H/s, W/s] in image pixels. */
  flow(from: Tensor, to: Tensor): Tensor;
  /** Features [B, C', h, w] -> content projection [B, P]. */
  project(features: Tensor): Tensor;
  /** Backward warping: image [B, C, H, W] sampled at grid + flow [B, 2, H, W]. */
  warp(image: Tensor, flow: Tensor): Tensor;
  upsampleFlow(flow: Tensor, factor: number): Tensor;
}

export interface McJepaLossConfig {
  photometric?: number;
  feature?: number;
  smoothness?: number;
  /** Scales the whole VICReg content loss (its terms keep VICReg's 25 / 25 / 1 ratios). */
  content?: number;
  invariance?: number;
  variance?: number;
  covariance?: number;
}

/** Mean absolute difference of neighbouring flow vectors along x and y, flow [B, 2, h, w]. */
export function flowSmoothness(flow: Tensor): Tensor {
  const [, , h, w] = flow.shape;
  const dx = ops.sub(ops.slice(flow, 3, 1, w), ops.slice(flow, 3, 0, w - 1));
  const dy = ops.sub(ops.slice(flow, 2, 1, h), ops.slice(flow, 2, 0, h - 1));
  return ops.add(ops.mean(ops.abs(dx)), ops.mean(ops.abs(dy)));
}

/**
 * Loss and named terms for a batch { frames [B, 2, C, H, W] (consecutive pairs), viewA and
 * viewB [B, C, H, W] (two augmentations of the same frames) }.
 */
export function mcJepaLoss(
  model: MotionContentModel,
  batch: Record<string, Tensor>,
  config: McJepaLossConfig = {},
): { loss: Tensor; terms: Record<string, Tensor> } {
  const {
    photometric: wPhoto = 1,
    feature: wFeature = 0.1,
    smoothness: wSmooth = 0.05,
    content: wContent = 0.02,
    invariance = 25,
    variance = 25,
    covariance = 1,
  } = config;
  const { frames, viewA, viewB } = batch;
  const [b, , c, h, w] = frames.shape;
  const first = ops.reshape(ops.slice(frames, 1, 0, 1), [b, c, h, w]);
  const second = ops.reshape(ops.slice(frames, 1, 1, 2), [b, c, h, w]);

  // 1-4. motion
  const both = model.features(ops.concat([first, second], 0)); // [2B, C', h', w']
  const [fh, fw] = both.shape.slice(2);
  const featuresT = ops.slice(both, 0, 0, b);
  const featuresNext = ops.slice(both, 0, b, 2 * b);
  const flow = model.flow(featuresT, featuresNext); // [B, 2, h', w']
  const photometric = ops.mean(
    ops.abs(ops.sub(first, model.warp(second, model.upsampleFlow(flow, model.stride)))),
  );
  const feature = ops.mean(
    ops.sub(featuresT, model.warp(featuresNext, ops.div(flow, model.stride))).square(),
  );
  const vectors = ops.reshape(ops.transpose(both, [0, 2, 3, 1]), [2 * b * fh * fw, both.shape[1]]);
  const featureVariance = varianceHinge(vectors);
  const smoothness = flowSmoothness(flow);

  // 5. content
  const za = model.project(model.features(viewA));
  const zb = model.project(model.features(viewB));
  const contentInvariance = ops.mean(ops.sub(za, zb).square());
  const contentVariance = ops.add(varianceHinge(za), varianceHinge(zb));
  const contentCovariance = ops.add(covariancePenalty(za), covariancePenalty(zb));
  const content = ops.add(
    ops.add(ops.mul(contentInvariance, invariance), ops.mul(contentVariance, variance)),
    ops.mul(contentCovariance, covariance),
  );

  let loss = ops.mul(photometric, wPhoto);
  loss = ops.add(loss, ops.mul(ops.add(feature, featureVariance), wFeature));
  loss = ops.add(loss, ops.mul(smoothness, wSmooth));
  loss = ops.add(loss, ops.mul(content, wContent));
  return {
    loss,
    terms: {
      photometric,
      feature,
      feature_variance: featureVariance,
      smoothness,
      content_invariance: contentInvariance,
      content_variance: contentVariance,
      content_covariance: contentCovariance,
    },
  };
}
