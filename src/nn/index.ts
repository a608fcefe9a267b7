// Public face of src/nn (see DESIGN.md): layers as config + params + init(key, config) + apply.
export {
  type AdaLNBlockConfig,
  type AdaLNBlockParams,
  type AdaLNConfig,
  type AdaLNParams,
  adaLNBlock,
  adaLNModulate,
  adaLNModulation,
  gate,
  initAdaLN,
  initAdaLNBlock,
  modulate,
} from "./adaln.ts";
export {
  type AttentionConfig,
  type AttentionMask,
  type AttentionParams,
  attend,
  attention,
  type CrossAttentionConfig,
  type CrossAttentionParams,
  crossAttention,
  initAttention,
  initCrossAttention,
  MASKED_SCORE,
  maskScores,
} from "./attention.ts";
export {
  type ConvEncoderConfig,
  type ConvEncoderParams,
  convEncoder,
  initConvEncoder,
} from "./conv-encoder.ts";
export { type Conv2dConfig, type Conv2dParams, conv2d, initConv2d } from "./conv2d.ts";
export { type GruCellConfig, type GruCellParams, gruCell, initGruCell } from "./gru-cell.ts";
export {
  type ImpalaCnnConfig,
  type ImpalaCnnParams,
  type ImpalaStageParams,
  impalaCnn,
  initImpalaCnn,
  type ResidualBlockParams,
} from "./impala-cnn.ts";
export {
  initWeightBias,
  kaimingNormal,
  normalTensor,
  ones,
  torchUniform,
  truncNormal,
  uniformTensor,
  type WeightInit,
  xavierUniform,
  zeros,
} from "./init.ts";
export {
  initKeypointEncoder,
  type KeypointEncoderConfig,
  type KeypointEncoderParams,
  keypointEncoder,
  spatialSoftmax,
} from "./keypoint-encoder.ts";
export { initLayerNorm, type LayerNormConfig, type LayerNormParams, layerNorm } from "./layer-norm.ts";
export { initLinear, type LinearConfig, type LinearParams, linear } from "./linear.ts";
export { type Activation, activate, initMlp, type MlpConfig, type MlpParams, mlp } from "./mlp.ts";
export {
  gatherTokens,
  initPatchEmbed,
  initViT,
  initViTBlock,
  type PatchEmbedConfig,
  type PatchEmbedParams,
  patchEmbed,
  type ViTBlockConfig,
  type ViTBlockParams,
  type ViTConfig,
  type ViTOptions,
  type ViTParams,
  vit,
  vitBlock,
  vitTokens,
} from "./vit.ts";
