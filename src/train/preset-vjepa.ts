// The V-JEPA preset on bouncing sprites: a tubelet ViT learns video features by predicting
// the embeddings of 3-D masked blocks (short- and long-range kinds) from the rest of the
// clip (objectives/vjepa.ts), with an EMA target encoder. Clips come from sampleClips and
// masks from keys folded with the step, so batches are a pure function of the step.
import type { EmaTrainSettings } from "./preset-ijepa.ts";
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
  ops,
  packTree,
  type Tensor,
  type Tree,
  unpackSymbolic,
} from "../engine/index.ts";
import type { ViTParams } from "../nn/index.ts";
import {
  initVjepa,
  maskKeys,
  multiBlock3dSampler,
  type TubeMaskSpec,
  tubeletGrid,
  tubeletViT,
  VJEPA_MASKS,
  type VjepaConfig,
  vjepaLossFn,
} from "../objectives/index.ts";
import { adamw, linearSchedule, warmupCosine } from "../optim/index.ts";
import type { TrainSpec } from "./trainer.ts";

export interface VjepaPreset {
  name: string;
  description: string;
  /** Bouncing-sprites episodes collected in memory (policy "random": the env has no actions). */
  data: { episodes: number; steps: number; seed: number; size: number };
  /** The encoder's `frames` is the clip length; `maskNames` follows from `masks`. */
  model: Omit<VjepaConfig, "maskNames">;
  /** Mask kinds (default V-JEPA's: 8 blocks at 0.15 and 2 at 0.7, every tubelet). */
  masks: readonly TubeMaskSpec[];
  train: EmaTrainSettings;
}

export const VJEPA_PRESETS: Record<string, VjepaPreset> = {
  "vjepa-sprites": {
    name: "vjepa-sprites",
    description:
      "V-JEPA on 32 px bouncing sprites: 8-frame clips in tubelets of 2 (4 x 8 x 8 tokens), narrow predictor, EMA target, short- and long-range 3-D masks",
    data: { episodes: 256, steps: 31, seed: 1, size: 32 },
    model: {
      encoder: {
        frames: 8,
        tubelet: 2,
        imageSize: 32,
        patchSize: 4,
        channels: 3,
        dim: 64,
        depth: 3,
        heads: 4,
        mlpDim: 128,
      },
      predictor: { dim: 32, depth: 2, heads: 2, mlpDim: 64 },
    },
    masks: VJEPA_MASKS,
    train: {
      steps: 800,
      batch: 8,
      lr: 1e-3,
      warmupSteps: 50,
      weightDecay: 0.04,
      seed: 0,
      ema: [0.996, 1],
    },
  },
};

/** A preset shrunk for tests and `--quick` runs (same code path, fewer of everything). */
export function quickVjepaPreset(p: VjepaPreset): VjepaPreset {
  return {
    ...p,
    name: `${p.name}-quick`,
    data: { ...p.data, episodes: 16, steps: 15 },
    model: { ...p.model, encoder: { ...p.model.encoder, frames: 4, depth: 1, dim: 32, mlpDim: 64 } },
    train: { ...p.train, steps: 30, batch: 4, warmupSteps: 5 },
  };
}

export function getVjepaPreset(name: string): VjepaPreset {
  const p = VJEPA_PRESETS[name];
  if (!p) throw new Error(`unknown preset "${name}"; choose one of ${Object.keys(VJEPA_PRESETS).join(", ")}`);
  return p;
}

/** The full V-JEPA config of a preset (mask names from its mask kinds). */
export const vjepaConfigOf = (p: VjepaPreset): VjepaConfig => ({
  ...p.model,
  maskNames: p.masks.map((m) => m.name),
});

export interface VjepaRunOptions {
  /** Compiles the collapse monitors' probe (mean-pooled embeddings of fixed clips) on it. */
  backend?: Backend;
  probeClips?: number;
}

// Stream ids folded into the run seed, so clips, masks and the probe never share bits.
const MASKS_STREAM = 0x3d5c5;
const PROBE_SEED_OFFSET = 101;

/**
 * The TrainSpec of a V-JEPA preset over a bouncing-sprites dataset (collect it with
 * `collectInMemory("bouncing-sprites", { size }, "random", preset.data)`): params
 * { encoder, predictor }, EMA of "encoder".
 */
export function buildVjepaRun(
  preset: VjepaPreset,
  data: TrajectoryDataset,
  opts: VjepaRunOptions = {},
): TrainSpec {
  const { backend, probeClips = 32 } = opts;
  const { train } = preset;
  const config = vjepaConfigOf(preset);
  const { encoder } = config;
  const { frames: L, channels: c, imageSize: s } = encoder;
  const [dc, dh, dw] = data.info.observationShape;
  if (dc !== c || dh !== s || dw !== s) {
    throw new Error(
      `preset ${preset.name}: frames [${data.info.observationShape}] must be [${c}, ${s}, ${s}]; collect with size ${s}`,
    );
  }
  const sampler = multiBlock3dSampler({ ...tubeletGrid(encoder), masks: preset.masks });
  const root = keyFromSeed(train.seed);
  const params = initVjepa(root, config) as unknown as Tree<HostTensor>;
  const B = train.batch;
  const batchSpec: TrainSpec["batchSpec"] = { video: { shape: [B, L, c, s, s] } };
  for (const kind of sampler.masks) {
    const keys = maskKeys(kind.name);
    batchSpec[keys.context] = { shape: [B, kind.contextTokens], dtype: "int32" };
    batchSpec[keys.targets] = { shape: [B, kind.targetTokens], dtype: "int32" };
  }

  let probe: TrainSpec["probe"];
  if (backend) {
    const clips = sampleClips(data, {
      seed: train.seed + PROBE_SEED_OFFSET,
      step: 0,
      batch: probeClips,
      length: L,
    });
    const video = hostTensor([probeClips, L, c, s, s], clips.observations);
    const encoderTemplate = (params as Record<string, Tree<HostTensor>>).encoder;
    const layout = layoutOf(encoderTemplate);
    let embed: Compiled | undefined;
    probe = async (current) => {
      embed ??= await compile(
        (i) => {
          const p = unpackSymbolic(i.params, layout, encoderTemplate) as unknown as ViTParams<Tensor>;
          return ops.mean(tubeletViT(p, i.video, encoder), 1); // [n, D]
        },
        { params: { shape: [layout.total] }, video: { shape: [probeClips, L, c, s, s] } },
        backend,
      );
      const currentEncoder = (current as Record<string, Tree<HostTensor>>).encoder;
      const out = await embed.run({
        params: hostTensor([layout.total], packTree(currentEncoder, layout)),
        video,
      });
      return { data: Float32Array.from(out.output.data as Float32Array), n: probeClips, d: encoder.dim };
    };
  }
  return {
    params,
    loss: vjepaLossFn(config),
    optimizer: adamw({
      lr: warmupCosine({ peak: train.lr, warmupSteps: train.warmupSteps, totalSteps: train.steps }),
      weightDecay: train.weightDecay,
    }),
    ema: { of: "encoder", momentum: linearSchedule(train.ema[0], train.ema[1], train.steps) },
    batchSpec,
    batch(step) {
      const clips = sampleClips(data, { seed: train.seed + 7, step, batch: B, length: L });
      const out: Record<string, HostTensor> = { video: hostTensor([B, L, c, s, s], clips.observations) };
      for (const kind of sampler.sample(foldIn(foldIn(root, MASKS_STREAM), step), B)) {
        const keys = maskKeys(kind.name);
        out[keys.context] = kind.context;
        out[keys.targets] = kind.targets;
      }
      return out;
    },
    probe,
  };
}
