// W1 vit_step: ViT encoder (64x64x3, patch 8, dim 128, depth 4, 4 heads, MLP 512, tanh-GELU,
// pre-LN) forward + backward on batch 64 against an MSE target, then an Adam step; loss read back.
import {
  compileTrainStep,
  hostTensor,
  keyFromSeed,
  normal,
  ops,
  split,
  type Tensor,
  uniform,
} from "../../src/engine/index.ts";
import { nodeBackend } from "../../src/engine/node.ts";
import { initViT, type ViTConfig, type ViTParams, vit } from "../../src/nn/index.ts";
import { adamw } from "../../src/optim/index.ts";
import type { Workload } from "../timing.ts";

export const VIT_REFERENCE: ViTConfig = {
  imageSize: 64,
  patchSize: 8,
  channels: 3,
  dim: 128,
  depth: 4,
  heads: 4,
  mlpDim: 512,
};

export const vitStep: Workload = {
  name: "vit_step",
  async setup() {
    const [kp, kx, kt] = split(keyFromSeed(0), 3);
    const params = initViT(kp, VIT_REFERENCE);
    const x = hostTensor([64, 3, 64, 64], uniform(kx, 64 * 3 * 64 * 64));
    const target = hostTensor([64, 64, 128], normal(kt, 64 * 64 * 128));
    const step = await compileTrainStep(
      (p, b) => ({
        loss: ops.mean(ops.sub(vit(p as ViTParams<Tensor>, b.x, VIT_REFERENCE), b.target).square()),
      }),
      params,
      adamw({ lr: 1e-3, weightDecay: 0 }),
      { x: { shape: [64, 3, 64, 64] }, target: { shape: [64, 64, 128] } },
      { backend: nodeBackend() },
    );
    return { run: () => step.run({ x, target }), release: () => step.release() };
  },
};
