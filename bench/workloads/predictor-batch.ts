// W2 predictor_batch: MLP 160 -> 512 -> ReLU -> 128 on a population of 300, result read back.
import { compile, hostTensor, keyFromSeed, normal, ops, split } from "../../src/engine/index.ts";
import { nodeBackend } from "../../src/engine/node.ts";
import type { Workload } from "../timing.ts";

export const predictorBatch: Workload = {
  name: "predictor_batch",
  repsScale: 20,
  async setup() {
    const [k1, k2, k3] = split(keyFromSeed(0), 3);
    const w1 = hostTensor(
      [160, 512],
      normal(k1, 160 * 512).map((v) => v / Math.sqrt(160)),
    );
    const w2 = hostTensor(
      [512, 128],
      normal(k2, 512 * 128).map((v) => v / Math.sqrt(512)),
    );
    const b1 = hostTensor([512], new Float32Array(512));
    const b2 = hostTensor([128], new Float32Array(128));
    const x = hostTensor([300, 160], normal(k3, 300 * 160));
    const mlp = await compile(
      (i) => ops.sum(ops.add(ops.matmul(ops.relu(ops.add(ops.matmul(i.x, i.w1), i.b1)), i.w2), i.b2)),
      {
        x: { shape: [300, 160] },
        w1: { shape: [160, 512] },
        b1: { shape: [512] },
        w2: { shape: [512, 128] },
        b2: { shape: [128] },
      },
      nodeBackend(),
    );
    const feeds = { x, w1, b1, w2, b2 };
    return {
      run: async () => Number((await mlp.run(feeds)).output.data[0]),
      release: () => mlp.release(),
    };
  },
};
