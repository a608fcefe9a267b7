// Public face of src/world: the action-conditioned world model and its training objective.

export {
  decode,
  type GenerativeConfig,
  type GenerativeParams,
  initGenerativeModel,
  initPixelDecoder,
  type PixelDecoderConfig,
  type PixelDecoderParams,
  pixelDynamics,
} from "./generative.ts";
export {
  contextLength,
  type EncoderConfig,
  encode,
  encodeClip,
  initWorldModel,
  inverseDynamics,
  latentDynamics,
  type PredictorConfig,
  predict,
  rollout,
  type WorldModelConfig,
  type WorldModelParams,
} from "./world-model.ts";
export {
  type EmbeddingCache,
  embeddingCache,
  type FrameAdapter,
  type FrozenEncoder,
  type FrozenWorldConfig,
  type FrozenWorldParams,
  frozenEncoder,
  frozenStep,
  frozenWorldLoss,
  IMAGENET_NORMALISATION,
  initFrozenWorld,
  resizeMatrix,
} from "./frozen-encoder.ts";
export {
  featureStride,
  initMcJepa,
  type McJepaConfig,
  type McJepaParams,
  mcContent,
  mcFeatures,
  mcFlow,
  mcJepaModel,
  mcProject,
  upsampleFlow,
  warp,
} from "./mc-jepa.ts";
