// Public face of src/train (browser-safe part): collapse monitors. The loop and checkpoints
// write files and live in ./node.ts.
export { type CollapseStats, collapseStats, covariance, symmetricEigenvalues } from "./collapse.ts";
export { ConfigError, type RunConfig, runConfigSchema, validateRunConfig } from "./config.ts";
export {
  buildWorldModelRun,
  getPreset,
  PRESETS,
  quickPreset,
  type PresetPlanSettings,
  type WorldModelPreset,
  type WorldModelRunOptions,
} from "./presets.ts";
export {
  buildIjepaRun,
  compileIjepaEmbedder,
  getIjepaPreset,
  IJEPA_PRESETS,
  type IjepaPreset,
  quickIjepaPreset,
} from "./preset-ijepa.ts";
export {
  buildVjepaRun,
  getVjepaPreset,
  quickVjepaPreset,
  VJEPA_PRESETS,
  type VjepaPreset,
} from "./preset-vjepa.ts";
