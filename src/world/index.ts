// Public face of src/world: the action-conditioned world model and its training objective.
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
