// W3 world_model_step: the two-rooms world model (conv encoder, residual MLP predictor unrolled
// 16 steps, VICReg std/cov + time similarity + inverse dynamics) on 32 clips x 17 frames, AdamW.
import {
  compileTrainStep,
  hostTensor,
  keyFromSeed,
  normal,
  split,
  type Tensor,
  uniform,
} from "../../src/engine/index.ts";
import { nodeBackend } from "../../src/engine/node.ts";
import { worldModelLoss } from "../../src/objectives/index.ts";
import { adamw } from "../../src/optim/index.ts";
import {
  initWorldModel,
  latentDynamics,
  type WorldModelConfig,
  type WorldModelParams,
} from "../../src/world/index.ts";
import type { Workload } from "../timing.ts";

export const REFERENCE_WORLD_MODEL: WorldModelConfig = {
  observation: [2, 64, 64],
  actionDim: 2,
  embedDim: 128,
  encoder: { kind: "conv", channels: [16, 32, 32] },
  predictor: { kind: "mlp", hidden: 512, layers: 2 },
  inverseDynamicsHidden: 256,
};

export const worldModelStep: Workload = {
  name: "world_model_step",
  async setup() {
    const B = 32;
    const T = 17;
    const [kp, kf, ka] = split(keyFromSeed(0), 3);
    const params = initWorldModel(kp, REFERENCE_WORLD_MODEL);
    const observations = hostTensor([B, T, 2, 64, 64], uniform(kf, B * T * 2 * 64 * 64));
    const actions = hostTensor([B, T - 1, 2], normal(ka, B * (T - 1) * 2));
    const step = await compileTrainStep(
      (p, batch) =>
        worldModelLoss(latentDynamics(p as WorldModelParams<Tensor>, REFERENCE_WORLD_MODEL), batch, {
          regularizer: "vicreg",
        }),
      params,
      adamw({ lr: 1e-3, weightDecay: 1e-5, decayFilter: () => true }),
      { observations: { shape: [B, T, 2, 64, 64] }, actions: { shape: [B, T - 1, 2] } },
      { backend: nodeBackend() },
    );
    return { run: () => step.run({ observations, actions }), release: () => step.release() };
  },
};
