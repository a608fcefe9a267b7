// Named training presets: everything a run needs (data, model, objective, optimizer, steps),
// sized to train in minutes on 2 cores. A preset is plain data; `buildWorldModelRun` wires it.

import { sampleClips, type TrajectoryDataset } from "../data/index.ts";
import {
  type Backend,
  type Compiled,
  compile,
  foldIn,
  type HostTensor,
  hostTensor,
  keyFromSeed,
  layoutOf,
  packTree,
  type Tensor,
  type Tree,
  unpackSymbolic,
} from "../engine/index.ts";
import { sampleSlices, type WorldModelLossConfig, worldModelLoss } from "../objectives/index.ts";
import { adamw, warmupCosine } from "../optim/index.ts";
import {
  encode,
  initWorldModel,
  latentDynamics,
  type WorldModelConfig,
  type WorldModelParams,
} from "../world/index.ts";
import type { TrainSpec } from "./trainer.ts";

/**
 * How a preset's model plans best (P1 settings; any left out take P1_DEFAULTS). `accumulate`
 * is the latent cost: the final predicted embedding's distance to the goal, or the sum over
 * the horizon.
 */
export interface PresetPlanSettings {
  planner?: "cem" | "mppi" | "icem";
  horizon?: number;
  population?: number;
  iterations?: number;
  elites?: number;
  executeSteps?: number;
  temperature?: number;
  noiseStd?: number;
  /** Longest step the planner proposes (P1 px; default 2.45, the environment's clip). */
  maxStep?: number;
  accumulate?: "final" | "sum";
}

export interface WorldModelPreset {
  name: string;
  description: string;
  env: { name: string; options: Record<string, unknown> };
  data: { episodes: number; steps: number; seed: number; policy: string };
  model: WorldModelConfig;
  /** The objective; `numSlices` is K, the SIGReg directions drawn per step (regularizer "sigreg"). */
  loss: WorldModelLossConfig & { numSlices?: number };
  train: {
    steps: number;
    batch: number;
    clipLength: number;
    lr: number;
    warmupSteps: number;
    weightDecay: number;
    seed: number;
    /** Actions are multiplied by this before the model sees them (push-t's are arena units). */
    actionScale?: number;
    /** Runs of this many clips per episode in a batch (see WorldModelLossConfig.clipsPerEpisode). */
    clipsPerEpisode?: number;
  };
  /** Planning settings for this model (jepa demo and the default of jepa plan / eval p1). */
  plan?: PresetPlanSettings;
}

export const PRESETS: Record<string, WorldModelPreset> = {
  "two-rooms-vicreg": {
    name: "two-rooms-vicreg",
    description:
      "P1 two-rooms world model: conv encoder on 2x-pooled frames, residual MLP predictor, VICReg + time similarity + a linear inverse-dynamics head (after PLDM / EB-JEPA); planned with MPPI on the summed latent distance",
    env: { name: "two-rooms", options: {} },
    // 400 episodes of 128 steps (51 600 frames); training draws 17-frame clips, 8 per episode.
    data: { episodes: 400, steps: 128, seed: 1, policy: "explore" },
    model: {
      observation: [2, 64, 64],
      actionDim: 2,
      embedDim: 8,
      // No output LayerNorm: it would put embeddings on a sphere and cap latent distances.
      encoder: { kind: "conv", channels: [16, 32, 32], pool: 2, norm: false },
      predictor: { kind: "mlp", hidden: 256, layers: 2 },
      // a_t = W (z_{t+1} - z_t) + b: the embedding becomes an affine image of the position,
      // so latent distance follows distance in the arena (Spearman 0.96 measured).
      inverseDynamicsHidden: 0,
      inverseDynamicsLinear: true,
    },
    // Covariance 0.1 with VICReg's sum(offdiag^2) / D normalisation (EB-JEPA averages over
    // D(D-1) entries: its 8 at D = 512 is about 0.016 here). Strong decorrelation makes a
    // 2-D position fill 8 dimensions with harmonics, whose distances saturate and fold.
    loss: { regularizer: "vicreg", variance: 16, covariance: 0.1, timeSimilarity: 12, inverseDynamics: 16 },
    train: {
      steps: 2400,
      batch: 32,
      clipLength: 17,
      lr: 1e-3,
      warmupSteps: 50,
      weightDecay: 1e-5,
      seed: 0,
      // The regulariser sees embeddings minus their episode's mean: the layout (fixed in an
      // episode) cannot satisfy it, the agent's position must.
      clipsPerEpisode: 8,
    },
    // Summed distance over a long horizon, with wide exploration noise: the straight-line
    // latent distance has a local minimum at the wall, which only long rollouts see past.
    plan: {
      planner: "mppi",
      horizon: 100,
      population: 200,
      iterations: 10,
      executeSteps: 10,
      temperature: 0.005,
      noiseStd: 2.5,
      accumulate: "sum",
    },
  },
};

// The same world model with SIGReg (LeJEPA) in place of VICReg's variance + covariance terms;
// copied from two-rooms-vicreg at load, so it follows that preset's tuning.
PRESETS["two-rooms-sigreg"] = {
  ...PRESETS["two-rooms-vicreg"],
  name: "two-rooms-sigreg",
  description: "P1 two-rooms world model as two-rooms-vicreg, with SIGReg (LeJEPA) as the anti-collapse term",
  // SIGReg weight 0.3 (measured at 600 steps, .tmp/sigreg/exp.ts; linear position probe on
  // 200 held-out states, 95 % bootstrap intervals; untrained 15.8 px [15.1, 16.5]): 0.1 stays
  // collapsed past step 200 (the Epps-Pulley gradient is proportional to the embedding, so it
  // vanishes at a point, where VICReg's hinge does not; the untrained encoder's std is 0.004);
  // 1 escapes by step 200 but then outweighs the other terms and scrambles position (rank 7.5,
  // probe 13.5 px [12.7, 14.3]); 0.3 escapes by step 200, rank 7.1, probe 11.9 px [11.1, 12.5].
  loss: { regularizer: "sigreg", sigreg: 0.3, numSlices: 64, timeSimilarity: 12, inverseDynamics: 16 },
};

PRESETS["push-t"] = {
  name: "push-t",
  description:
    "push-t world model from 32 px frames: conv encoder, residual MLP predictor, VICReg (PLDM-style terms)",
  env: { name: "push-t", options: { size: 32 } },
  data: { episodes: 300, steps: 16, seed: 1, policy: "explore" },
  model: {
    observation: [3, 32, 32],
    actionDim: 2,
    embedDim: 32,
    encoder: { kind: "conv", channels: [16, 32, 32] },
    predictor: { kind: "mlp", hidden: 128, layers: 2 },
    inverseDynamicsHidden: 64,
  },
  loss: { regularizer: "vicreg" },
  // Actions are pusher targets in a 512-unit arena; 1/512 brings them to [0, 1].
  train: {
    steps: 1500,
    batch: 16,
    clipLength: 9,
    lr: 1e-3,
    warmupSteps: 50,
    weightDecay: 1e-5,
    seed: 0,
    actionScale: 1 / 512,
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

export interface WorldModelRunOptions {
  /** Compiles the collapse monitors' probe (embeddings of a fixed batch of frames) on it. */
  backend?: Backend;
  /** Frames in the probe batch (default 128: enough for a stable rank estimate at D <= 64). */
  probeFrames?: number;
}

// Stream ids folded into the run seed, so batches, slices and the probe never share bits.
const SLICES_STREAM = 0x511ce5;
const PROBE_SEED_OFFSET = 101;

/**
 * The TrainSpec of a world-model preset over a dataset. Batches are a pure function of the
 * step (clips from sampleClips, SIGReg slices from foldIn(key, step)), so a resumed run sees
 * the same batches as an uninterrupted one.
 */
export function buildWorldModelRun(
  preset: WorldModelPreset,
  data: TrajectoryDataset,
  opts: WorldModelRunOptions = {},
): TrainSpec {
  const { backend, probeFrames = 128 } = opts;
  const { model, loss, train } = preset;
  const { batch: B, clipLength: L, actionScale = 1 } = train;
  const [c, h, w] = model.observation;
  const A = model.actionDim;
  const numSlices = loss.numSlices ?? 64;
  const sigreg = loss.regularizer === "sigreg";
  const sliceKey = foldIn(keyFromSeed(train.seed), SLICES_STREAM);
  const params = initWorldModel(keyFromSeed(train.seed), model) as unknown as Tree<HostTensor>;
  const batchSpec: TrainSpec["batchSpec"] = {
    observations: { shape: [B, L, c, h, w] },
    actions: { shape: [B, L - 1, A] },
  };
  if (sigreg) batchSpec.slices = { shape: [model.embedDim, numSlices] };

  let probe: TrainSpec["probe"];
  if (backend) {
    const layout = layoutOf(params);
    const clips = sampleClips(data, {
      seed: train.seed + PROBE_SEED_OFFSET,
      step: 0,
      batch: probeFrames,
      length: 1,
    });
    const frames = hostTensor([probeFrames, c, h, w], clips.observations);
    let embed: Compiled | undefined;
    probe = async (current) => {
      embed ??= await compile(
        (i) =>
          encode(
            unpackSymbolic(i.params, layout, params) as unknown as WorldModelParams<Tensor>,
            i.frames,
            model,
          ),
        { params: { shape: [layout.total] }, frames: { shape: [probeFrames, c, h, w] } },
        backend,
      );
      const out = await embed.run({ params: hostTensor([layout.total], packTree(current, layout)), frames });
      return { data: Float32Array.from(out.output.data as Float32Array), n: probeFrames, d: model.embedDim };
    };
  }
  return {
    params,
    loss: (p, batch) =>
      worldModelLoss(latentDynamics(p as unknown as WorldModelParams<Tensor>, model), batch, {
        ...loss,
        clipsPerEpisode: train.clipsPerEpisode,
      }),
    optimizer: adamw({
      lr: warmupCosine({ peak: train.lr, warmupSteps: train.warmupSteps, totalSteps: train.steps }),
      weightDecay: train.weightDecay,
    }),
    batchSpec,
    batch(step): Record<string, HostTensor> {
      const clips = sampleClips(data, {
        seed: train.seed + 7,
        step,
        batch: B,
        length: L,
        clipsPerEpisode: train.clipsPerEpisode,
      });
      if (actionScale !== 1) for (let k = 0; k < clips.actions.length; k++) clips.actions[k] *= actionScale;
      const out: Record<string, HostTensor> = {
        observations: hostTensor([B, L, c, h, w], clips.observations),
        actions: hostTensor([B, L - 1, A], clips.actions),
      };
      if (sigreg) out.slices = sampleSlices(foldIn(sliceKey, step), model.embedDim, numSlices);
      return out;
    },
    probe,
  };
}
