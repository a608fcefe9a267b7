// The training objective of the two-rooms world model (after PLDM and EB-JEPA):
//   1. encode every frame of a clip:                 z [B, L, D]
//   2. roll the predictor out from z_0 over L-1 actions (autoregressive, V-JEPA 2-AC style)
//      and regress each prediction on the encoded frame: mean of ||z^_t - z_t||^2
//   3. anti-collapse on all embeddings: VICReg variance + covariance, or SIGReg (LeJEPA)
//   4. time similarity of consecutive embeddings, and inverse dynamics (a_t from z_t, z_{t+1})
import { ops, type Tensor } from "../engine/index.ts";
import { sigreg } from "./sigreg.ts";
import { covariancePenalty, timeSimilarity, VICREG_DEFAULTS, varianceHinge } from "./vicreg.ts";

/** What the objective needs from a world model (src/world provides it), as traced functions. */
export interface LatentDynamics {
  embedDim: number;
  /** Observations [B, L, ...frame] -> embeddings [B, L, D]. */
  embed(observations: Tensor): Tensor;
  /** z0 [B, D], actions [B, H, A] -> predicted embeddings [B, H, D]. */
  rollout(z0: Tensor, actions: Tensor): Tensor;
  /** (z_t, z_{t+1}) [..., D] -> predicted a_t [..., A], when the model has that head. */
  inverseDynamics?(z: Tensor, next: Tensor): Tensor;
}

export interface WorldModelLossConfig {
  /** "vicreg": variance + covariance terms; "sigreg": SIGReg on the embeddings (needs `slices`). */
  regularizer: "vicreg" | "sigreg";
  variance?: number;
  covariance?: number;
  sigreg?: number;
  timeSimilarity?: number;
  inverseDynamics?: number;
  /** Prediction loss: "l2" (mean squared error) or "l1". */
  distance?: "l1" | "l2";
  /**
   * When the batch holds runs of this many clips from one episode (sampleClips'
   * clipsPerEpisode), the anti-collapse term (variance + covariance, or SIGReg) sees the
   * embeddings minus their run's mean. What an episode holds fixed (two-rooms' wall and door)
   * then has no variance to offer, so the embedding must spread by what moves; without this
   * a world model can satisfy the regulariser with the layout alone (Sobal et al. 2022's
   * spurious correlation). Default 1: off.
   */
  clipsPerEpisode?: number;
  /**
   * With clipsPerEpisode > 1: the last `layoutDims` embedding dimensions are regularised
   * without the run's mean removed, so they carry what an episode fixes (the wall and door a
   * predictor needs to stop the agent at walls) while the others carry what moves. Default 0.
   */
  layoutDims?: number;
  /**
   * Weight of the layout dims' spread within a run (mean squared deviation from the run's
   * mean): makes them constant over an episode, so they can only carry the layout, not copy the
   * moving agent. Default 0.
   */
  layoutInvariance?: number;
}

/**
 * Loss and named terms for a batch { observations [B, L, C, H, W], actions [B, L-1, A],
 * slices [D, K] when the regularizer is SIGReg }.
 */
export function worldModelLoss(
  model: LatentDynamics,
  batch: Record<string, Tensor>,
  loss: WorldModelLossConfig,
): { loss: Tensor; terms: Record<string, Tensor> } {
  const {
    regularizer,
    variance = VICREG_DEFAULTS.variance,
    covariance = VICREG_DEFAULTS.covariance,
    sigreg: sigregWeight = 1,
    timeSimilarity: timeWeight = VICREG_DEFAULTS.timeSimilarity,
    inverseDynamics: idmWeight = VICREG_DEFAULTS.inverseDynamics,
    distance = "l2",
    clipsPerEpisode: k = 1,
    layoutDims = 0,
    layoutInvariance = 0,
  } = loss;
  const { observations, actions } = batch;
  const [b, l] = observations.shape;
  const d = model.embedDim;
  const z = model.embed(observations); // [B, L, D]
  const predicted = model.rollout(ops.reshape(ops.slice(z, 1, 0, 1), [b, d]), actions); // [B, L-1, D]
  const diff = ops.sub(predicted, ops.slice(z, 1, 1, l));
  const prediction = distance === "l2" ? ops.mean(diff.square()) : ops.mean(ops.abs(diff));
  const terms: Record<string, Tensor> = { prediction };
  let total: Tensor = prediction;
  if (b % k !== 0) throw new Error(`worldModelLoss: clipsPerEpisode ${k} must divide the batch ${b}`);
  const runs = ops.reshape(z, [b / k, k * l, d]);
  if (!Number.isInteger(layoutDims) || layoutDims < 0 || layoutDims >= d)
    throw new Error(
      `worldModelLoss: layoutDims ${layoutDims} must be an integer in 0..${d - 1} (embedDim ${d})`,
    );
  let regularised = runs;
  if (k > 1) {
    const centred = ops.sub(runs, ops.mean(runs, [1], true));
    regularised =
      layoutDims === 0
        ? centred
        : ops.concat([ops.slice(centred, 2, 0, d - layoutDims), ops.slice(runs, 2, d - layoutDims, d)], 2);
  }
  if (layoutInvariance > 0 && layoutDims > 0 && k > 1) {
    const layout = ops.slice(runs, 2, d - layoutDims, d);
    terms.layout_invariance = ops.mean(ops.sub(layout, ops.mean(layout, [1], true)).square());
    total = ops.add(total, ops.mul(terms.layout_invariance, layoutInvariance));
  }
  const flat = ops.reshape(regularised, [b * l, d]);
  if (regularizer === "vicreg") {
    terms.variance = varianceHinge(flat);
    terms.covariance = covariancePenalty(flat);
    total = ops.add(total, ops.add(ops.mul(terms.variance, variance), ops.mul(terms.covariance, covariance)));
  } else {
    if (!batch.slices) throw new Error("worldModelLoss: the sigreg regularizer needs batch.slices [D, K]");
    terms.sigreg = sigreg(ops.reshape(flat, [1, b * l, d]), batch.slices);
    total = ops.add(total, ops.mul(terms.sigreg, sigregWeight));
  }
  if (timeWeight > 0) {
    terms.time_similarity = timeSimilarity(z);
    total = ops.add(total, ops.mul(terms.time_similarity, timeWeight));
  }
  if (idmWeight > 0 && model.inverseDynamics) {
    const guess = model.inverseDynamics(ops.slice(z, 1, 0, l - 1), ops.slice(z, 1, 1, l));
    terms.inverse_dynamics = ops.mean(ops.sub(guess, actions).square());
    total = ops.add(total, ops.mul(terms.inverse_dynamics, idmWeight));
  }
  return { loss: total, terms };
}
