// Public face of src/train (browser-safe part): collapse monitors. The loop and checkpoints
// write files and live in ./node.ts.
export { type CollapseStats, collapseStats, covariance, symmetricEigenvalues } from "./collapse.ts";
export { ConfigError, type RunConfig, runConfigSchema, validateRunConfig } from "./config.ts";
export {
  buildWorldModelRun,
  getPreset,
  PRESETS,
  quickPreset,
  type WorldModelPreset,
  type WorldModelRunOptions,
} from "./presets.ts";
