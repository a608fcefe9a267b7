// Public face of src/objectives: JEPA losses, each returning a scalar or { loss, terms }.
export { type EppsPulleyOptions, eppsPulley, eppsPulleyKnots } from "./epps-pulley.ts";
export { gaussianInfoNce, type InfoNceOptions } from "./infonce.ts";
export { type LeJepaOptions, lejepaLoss, type SigRegOptions, sampleSlices, sigreg } from "./sigreg.ts";
export { normalizeLast, smoothL1 } from "./smooth-l1.ts";
export { covariancePenalty, timeSimilarity, VICREG_DEFAULTS, varianceHinge } from "./vicreg.ts";
export { type WhiteningOptions, whiteningPenalty } from "./whitening.ts";
export { type LatentDynamics, type WorldModelLossConfig, worldModelLoss } from "./world-model-loss.ts";
export { nextFrameReconstructionLoss, type PixelDynamics, pixelLoss, type ReconstructionLossConfig } from "./reconstruction.ts";
