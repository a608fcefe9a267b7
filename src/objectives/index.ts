// Public face of src/objectives: JEPA losses, each returning a scalar or { loss, terms }.
export { type EppsPulleyOptions, eppsPulley, eppsPulleyKnots } from "./epps-pulley.ts";
export {
  type IjepaConfig,
  type IjepaParams,
  ijepaLoss,
  ijepaLossFn,
  ijepaPredictorConfig,
  initIjepa,
  type PredictorSize,
} from "./ijepa.ts";
export { gaussianInfoNce, type InfoNceOptions } from "./infonce.ts";
export {
  initJepaPredictor,
  type JepaPredictorConfig,
  type JepaPredictorParams,
  jepaPredictor,
  sincosPositions,
} from "./jepa-predictor.ts";
export {
  type Block,
  type BlockSize,
  blockSize,
  type MultiBlockConfig,
  type MultiBlockMasks,
  type MultiBlockSampler,
  minBlockTokens,
  multiBlockSampler,
} from "./multiblock.ts";
export {
  type MultiBlock3dConfig,
  type MultiBlock3dSampler,
  multiBlock3dSampler,
  type TubeBlock,
  type TubeMaskSpec,
  type TubeMasks,
  VJEPA_MASKS,
} from "./multiblock3d.ts";
export {
  nextFrameReconstructionLoss,
  type PixelDynamics,
  pixelLoss,
  type ReconstructionLossConfig,
} from "./reconstruction.ts";
export { type LeJepaOptions, lejepaLoss, type SigRegOptions, sampleSlices, sigreg } from "./sigreg.ts";
export { normalizeLast, smoothL1 } from "./smooth-l1.ts";
export { initTubeletViT, type TubeletViTConfig, tubeletGrid, tubeletViT } from "./tubelet-vit.ts";
export { covariancePenalty, timeSimilarity, VICREG_DEFAULTS, varianceHinge } from "./vicreg.ts";
export {
  initVjepa,
  maskKeys,
  type VjepaConfig,
  type VjepaParams,
  vjepaLoss,
  vjepaLossFn,
  vjepaPredictorConfig,
} from "./vjepa.ts";
export { type WhiteningOptions, whiteningPenalty } from "./whitening.ts";
export { type LatentDynamics, type WorldModelLossConfig, worldModelLoss } from "./world-model-loss.ts";
export { flowSmoothness, type McJepaLossConfig, mcJepaLoss, type MotionContentModel } from "./mc-jepa.ts";
