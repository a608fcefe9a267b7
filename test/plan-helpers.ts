// Shared by the planning tests: a run folder holding an untrained world model's checkpoint,
// which loadTrainedWorldModel (and so `jepa plan` / `jepa eval --model`) accepts.
import { join } from "node:path";
import { type HostTensor, keyFromSeed, layoutOf, packTree, type Tree } from "../src/engine/index.ts";
import { saveCheckpoint } from "../src/train/node.ts";
import { initWorldModel, type WorldModelConfig } from "../src/world/index.ts";

/** A tiny push-t world model (16 px frames) for planning tests. */
export const TINY_PUSH_T_MODEL: WorldModelConfig = {
  observation: [3, 16, 16],
  actionDim: 2,
  embedDim: 8,
  encoder: { kind: "conv", channels: [4, 8] },
  predictor: { kind: "mlp", hidden: 16, layers: 2 },
};

/** A tiny two-rooms world model (32 px frames) for planning and P4 tests. */
export const TINY_TWO_ROOMS_MODEL: WorldModelConfig = {
  observation: [2, 32, 32],
  actionDim: 2,
  embedDim: 16,
  encoder: { kind: "conv", channels: [8, 8] },
  predictor: { kind: "mlp", hidden: 32, layers: 2 },
};

/** Writes `dir/name/checkpoints/step-000000002` for a fresh model on `env` (16 px frames); returns `dir/name`. */
export function saveUntrainedRun(dir: string, name: string, env: string, model: WorldModelConfig): string {
  const params = initWorldModel(keyFromSeed(0), model) as unknown as Tree<HostTensor>;
  const layout = layoutOf(params);
  const config = {
    name,
    env: { name: env, options: { size: model.observation[1] } },
    data: { episodes: 4, steps: 8, seed: 1, policy: "explore" },
    model,
    loss: { regularizer: "vicreg" },
    train: {
      steps: 2,
      batch: 2,
      clipLength: 3,
      lr: 1e-3,
      warmupSteps: 1,
      weightDecay: 0,
      seed: 0,
      ...(env === "push-t" ? { actionScale: 1 / 512 } : {}),
    },
  };
  const state = { step: 2, params: packTree(params, layout), slots: {} };
  saveCheckpoint(join(dir, name, "checkpoints"), state, layout, { config });
  return join(dir, name);
}
