// W4 cem_plan: one CEM planning call in latent space with the reference predictor
// z [B,128], a [B,2] -> z + fc2(gelu_tanh(fc1(cat[z, a]))) (hidden 512): 300 samples,
// horizon 5, 30 iterations, 30 elites, actions clamped to +-2.45, std = elites' unbiased std
// + 1e-3, cost = squared distance of the final latent to a goal latent; mean[0] read back.
// The whole loop runs as one fused graph (src/planners/fused-cem.ts). The shared start's
// fc1 is written z0 @ W1z + a @ W1a (the same product), so z0 @ W1z is computed once for the
// population; later steps take fc1 on cat[z, a] as one product, as the reference does.
import {
  compile,
  constant,
  hostTensor,
  keyFromSeed,
  normal,
  ops,
  split,
  type Tensor,
} from "../../src/engine/index.ts";
import { nodeBackend } from "../../src/engine/node.ts";
import { cem, compileFusedCem, compileRolloutCost, type LatentStep } from "../../src/planners/index.ts";
import type { Workload } from "../timing.ts";

const D = 128;
const A = 2;
const HIDDEN = 512;

/** The reference Predictor with PyTorch's default Linear init (uniform +-1/sqrt(fan_in)), seeded. */
export function referencePredictor(seed = 0): LatentStep {
  const [k1, k2, k3, k4] = split(keyFromSeed(seed), 4);
  const uniformInit = (key: readonly [number, number], n: number, fanIn: number) =>
    Float32Array.from(normal(key, n), (v) => Math.max(-1, Math.min(1, v / 2)) / Math.sqrt(fanIn));
  const w1 = uniformInit(k1, (D + A) * HIDDEN, D + A); // [D+A, HIDDEN]
  const b1 = uniformInit(k2, HIDDEN, D + A);
  const w2 = uniformInit(k3, HIDDEN * D, HIDDEN);
  const b2 = uniformInit(k4, D, HIDDEN);
  // One set of weight constants per traced graph, shared by every unrolled step.
  const perGraph = new WeakMap<object, Tensor[]>();
  const weights = (graph: object): Tensor[] => {
    let w = perGraph.get(graph);
    if (!w) {
      w = [
        constant(hostTensor([D + A, HIDDEN], w1)),
        constant(hostTensor([D, HIDDEN], w1.subarray(0, D * HIDDEN))),
        constant(hostTensor([A, HIDDEN], w1.subarray(D * HIDDEN))),
        constant(hostTensor([HIDDEN], b1)),
        constant(hostTensor([HIDDEN, D], w2)),
        constant(hostTensor([D], b2)),
      ];
      perGraph.set(graph, w);
    }
    return w;
  };
  return (z: Tensor, a: Tensor) => {
    const [w1t, w1z, w1a, bias1, w2t, bias2] = weights(z.graph);
    // fc1(cat[z, a]) [N, 512]. For a shared start z [1, D]: a @ W1a + (z @ W1z + b1), the bias
    // added to the one row. Otherwise one product with K = D + A: cheaper than a second
    // product with K = A plus an add over [N, 512].
    const h =
      z.shape[0] === 1
        ? ops.add(ops.matmul(a, w1a), ops.add(ops.matmul(z, w1z), bias1))
        : ops.add(ops.matmul(ops.concat([z, a], 1), w1t), bias1);
    return ops.add(z, ops.add(ops.matmul(ops.gelu(h, "tanh"), w2t), bias2));
  };
}

const settings = {
  population: 300,
  horizon: 5,
  actionDim: A,
  iterations: 30,
  elites: 30,
  low: -2.45,
  high: 2.45,
};

function latents(): { z0: Float32Array; goal: Float32Array } {
  const [k1, k2] = split(keyFromSeed(1), 2);
  return { z0: Float32Array.from(normal(k1, D)), goal: Float32Array.from(normal(k2, D)) };
}

/** cem_plan with the fused graph (one runtime call per plan). */
export const cemPlan: Workload = {
  name: "cem_plan",
  async setup() {
    const fused = await compileFusedCem(referencePredictor(), {
      ...settings,
      latentShape: [D],
      backend: nodeBackend(),
      sharedStart: true,
    });
    const { z0, goal } = latents();
    const key = keyFromSeed(0);
    return {
      run: async () => (await fused.plan(key, z0, goal)).mean[0],
      release: () => fused.release(),
    };
  },
};

/** cem_plan with the host CEM loop over the compiled rollout cost (one runtime call per iteration). */
export const cemPlanUnfused: Workload = {
  name: "cem_plan_unfused",
  referenceName: "cem_plan",
  async setup() {
    const rollout = await compileRolloutCost(referencePredictor(), {
      ...settings,
      latentShape: [D],
      backend: nodeBackend(),
      sharedStart: true,
    });
    const { z0, goal } = latents();
    const cost = rollout.costFor(z0, goal);
    const key = keyFromSeed(0);
    return {
      run: async () => (await cem(key, cost, settings)).mean[0],
      release: () => rollout.release(),
    };
  },
};

/**
 * The floor under cem_plan: only its matrix products (30 iterations x 5 steps of
 * [300, 128] x [128, 512] and [300, 512] x [512, 128], 11.8 GFLOP), chained in one graph with
 * nothing else. No CEM of this predictor in float32 can run faster on this machine, so
 * PyTorch's cem_plan time over this one bounds the reachable ratio.
 */
export const cemPlanMatmulFloor: Workload = {
  name: "cem_plan_matmul_floor",
  // Timed beside PyTorch's whole cem_plan: the ratio column is the most any cem_plan could reach.
  referenceName: "cem_plan",
  async setup() {
    const [k1, k2] = split(keyFromSeed(2), 2);
    const w1 = hostTensor(
      [D, HIDDEN],
      Float32Array.from(normal(k1, D * HIDDEN), (v) => v * 0.05),
    );
    const w2 = hostTensor(
      [HIDDEN, D],
      Float32Array.from(normal(k2, HIDDEN * D), (v) => v * 0.05),
    );
    const products = settings.iterations * settings.horizon;
    const graph = await compile(
      (i) => {
        const [a, b] = [constant(w1), constant(w2)];
        let z = i.z;
        for (let k = 0; k < products; k++) z = ops.add(z, ops.matmul(ops.matmul(z, a), b));
        return z;
      },
      { z: { shape: [settings.population, D] } },
      nodeBackend(),
    );
    const z = hostTensor(
      [settings.population, D],
      Float32Array.from(normal(keyFromSeed(3), settings.population * D)),
    );
    return {
      run: async () => (await graph.run({ z })).output.data[0],
      release: () => graph.release(),
    };
  },
};
