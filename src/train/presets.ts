// Named training presets: everything a run needs (data, model, objective, optimizer, steps),
// sized to train in minutes on 2 cores. A preset is plain data; `buildWorldModelRun` wires it.
import { type HostTensor, hostTensor, keyFromSeed, type Tensor } from "../engine/index.ts";
import { sampleClips, type TrajectoryDataset } from "../data/index.ts";
import { type WorldModelLossConfig, worldModelLoss } from "../objectives/index.ts";
import { adamw, warmupCosine } from "../optim/index.ts";
import { initWorldModel, latentDynamics, type WorldModelConfig, type WorldModelParams } from "../world/index.ts";
import type { TrainSpec } from "./trainer.ts";

export interface WorldModelPreset {
  name: string;
  description: string;
  env: { name: string; options: Record<string, unknown> };
  data: { episodes: number; steps: number; seed: number; policy: string };
  model: WorldModelConfig;
  loss: WorldModelLossConfig;
  train: { steps: number; batch: number; clipLength: number; lr: number; warmupSteps: number; weightDecay: number; seed: number };
}

export const PRESETS: Record<string, WorldModelPreset> = {
  "two-rooms-vicreg": {
    name: "two-rooms-vicreg",
    description: "P1 two-rooms world model: conv encoder, residual MLP predictor, VICReg + time similarity + inverse dynamics (PLDM / EB-JEPA)",
    env: { name: "two-rooms", options: {} },
    data: { episodes: 1000, steps: 16, seed: 1, policy: "explore" },
    model: {
      observation: [2, 64, 64],
      actionDim: 2,
      embedDim: 64,
      encoder: { kind: "conv", channels: [16, 32, 32] },
      predictor: { kind: "mlp", hidden: 256, layers: 2 },
      inverseDynamicsHidden: 128,
    },
    loss: { regularizer: "vicreg" },
    train: { steps: 1500, batch: 32, clipLength: 17, lr: 1e-3, warmupSteps: 50, weightDecay: 1e-5, seed: 0 },
  },
};

/** A preset shrunk for tests and `--quick` runs (same code path, fewer of everything). */
export function quickPreset(p: WorldModelPreset): WorldModelPreset {
  return {
    ...p,
    name: `${p.name}-quick`,
    data: { ...p.data, episodes: 48 },
    train: { ...p.train, steps: 30, batch: 8, clipLength: 9, warmupSteps: 5 },
  };
}

export function getPreset(name: string): WorldModelPreset {
  const p = PRESETS[name];
  if (!p) throw new Error(`unknown preset "${name}"; choose one of ${Object.keys(PRESETS).join(", ")}`);
  return p;
}

/** The TrainSpec of a world-model preset over a dataset (batches are a pure function of the step). */
export function buildWorldModelRun(preset: WorldModelPreset, data: TrajectoryDataset): TrainSpec {
  const { model, loss, train } = preset;
  const { batch: B, clipLength: L } = train;
  const [c, h, w] = model.observation;
  return {
    params: initWorldModel(keyFromSeed(train.seed), model) as unknown as TrainSpec["params"],
    loss: (p, batch) => worldModelLoss(latentDynamics(p as unknown as WorldModelParams<Tensor>, model), batch, loss),
    optimizer: adamw({
      lr: warmupCosine({ peak: train.lr, warmupSteps: train.warmupSteps, totalSteps: train.steps }),
      weightDecay: train.weightDecay,
    }),
    batchSpec: { observations: { shape: [B, L, c, h, w] }, actions: { shape: [B, L - 1, model.actionDim] } },
    batch(step): Record<string, HostTensor> {
      const clips = sampleClips(data, { seed: train.seed + 7, step, batch: B, length: L });
      return {
        observations: hostTensor([B, L, c, h, w], clips.observations),
        actions: hostTensor([B, L - 1, model.actionDim], clips.actions),
      };
    },
  };
}
