// The generative baseline's objective (P6): predict the next frames in pixels.
//   1. encode the first frame of each clip:          z_0 [B, D]
//   2. roll the predictor out over the L-1 actions:   z^_1..z^_{L-1} [B, L-1, D]
//   3. decode every prediction to a frame and regress it on the true frame:
//      mean over pixels of (o^_t - o_t)^2 (or |.|)
// No anti-collapse term: reconstruction itself keeps the embeddings informative.
import { ops, type Tensor } from "../engine/index.ts";

/** What the objective needs from a generative world model (src/world/generative.ts provides it). */
export interface PixelDynamics {
  embedDim: number;
  /** Observations [B, L, C, H, W] -> embeddings [B, L, D]. */
  embed(observations: Tensor): Tensor;
  /** z0 [B, D], actions [B, H, A] -> predicted embeddings [B, H, D]. */
  rollout(z0: Tensor, actions: Tensor): Tensor;
  /** Embeddings [N, D] -> frames [N, C, H, W]. */
  decode(z: Tensor): Tensor;
}

/** Pixel loss of predicted frames against targets of the same shape: mean squared (or absolute) error. */
export function pixelLoss(predicted: Tensor, target: Tensor, distance: "l1" | "l2" = "l2"): Tensor {
  const diff = ops.sub(predicted, target);
  return distance === "l2" ? ops.mean(diff.square()) : ops.mean(ops.abs(diff));
}

export interface ReconstructionLossConfig {
  distance?: "l1" | "l2";
}

/** Loss and terms for a batch { observations [B, L, C, H, W], actions [B, L-1, A] }. */
export function nextFrameReconstructionLoss(
  model: PixelDynamics,
  batch: Record<string, Tensor>,
  config: ReconstructionLossConfig = {},
): { loss: Tensor; terms: Record<string, Tensor> } {
  const { distance = "l2" } = config;
  const { observations, actions } = batch;
  const [b, l, ...frame] = observations.shape;
  const d = model.embedDim;
  const z0 = ops.reshape(model.embed(ops.slice(observations, 1, 0, 1)), [b, d]);
  const predicted = model.rollout(z0, actions); // [B, L-1, D]
  const decoded = model.decode(ops.reshape(predicted, [b * (l - 1), d])); // [B*(L-1), C, H, W]
  const target = ops.reshape(ops.slice(observations, 1, 1, l), [b * (l - 1), ...frame]);
  const reconstruction = pixelLoss(decoded, target, distance);
  return { loss: reconstruction, terms: { reconstruction } };
}
