// The I-JEPA preset on the shapes world: a small ViT learns image features by predicting
// the embeddings of masked blocks from a context block (objectives/ijepa.ts), with an EMA
// target encoder. Batches are a pure function of the step (images and masks from keys
// folded with the step), so a resumed run sees the same batches as an uninterrupted one.
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
  uniform,
  unpackSymbolic,
} from "../engine/index.ts";
import { generateShapes, type ShapesDataset } from "../envs/index.ts";
import { vit, type ViTParams } from "../nn/index.ts";
import {
  type IjepaConfig,
  ijepaLossFn,
  initIjepa,
  type MultiBlockConfig,
  multiBlockSampler,
} from "../objectives/index.ts";
import { adamw, linearSchedule, warmupCosine } from "../optim/index.ts";
import type { TrainSpec } from "./trainer.ts";

/** Training settings of a JEPA with an EMA target encoder (I-JEPA and V-JEPA presets). */
export interface EmaTrainSettings {
  steps: number;
  batch: number;
  lr: number;
  warmupSteps: number;
  weightDecay: number;
  seed: number;
  /** EMA momentum of the target encoder, linear from the first to the second over the run. */
  ema: [number, number];
}

export interface IjepaPreset {
  name: string;
  description: string;
  /** `images` shapes pictures of side `size` px drawn from `seed`; shape radii in px at 64 px. */
  data: { images: number; size: number; seed: number; sizeRange: [number, number] };
  model: IjepaConfig;
  /** Mask settings beyond the grid (default: the paper's 4 targets at 0.15-0.2, context 0.85-1). */
  masks: Omit<MultiBlockConfig, "gridHeight" | "gridWidth">;
  train: EmaTrainSettings;
}

export const IJEPA_PRESETS: Record<string, IjepaPreset> = {
  "ijepa-shapes": {
    name: "ijepa-shapes",
    description:
      "I-JEPA on 32 px shapes: ViT (patch 4, 8x8 tokens) context encoder, narrow predictor, EMA target, multi-block masks",
    // Shapes larger than the env's default (6-14), so a class spans a few 4 px patches.
    data: { images: 4096, size: 32, seed: 1, sizeRange: [12, 22] },
    model: {
      encoder: { imageSize: 32, patchSize: 4, channels: 3, dim: 64, depth: 4, heads: 4, mlpDim: 128 },
      predictor: { dim: 32, depth: 2, heads: 2, mlpDim: 64 },
    },
    masks: {},
    // At this scale I-JEPA's collapse is a matter of how far the encoder moves at full learning
    // rate, not of a bug (loss, masks, predictor and EMA follow facebookresearch/ijepa).
    // Measured on held-out images (.tmp/ijepa/exp.ts; effective rank of layer-normed token
    // embeddings minus their position's mean, 11.2 untrained): at lr 1e-3 every token maps
    // to one vector by step 500 (loss 0.0065, pooled rank 5.4 -> 1.3); at 3e-4 held for
    // 1 500 steps the rank still sinks (4.0 by step 500; context encoder 1.7); 3e-4
    // cosine-decayed to 0 over 500 steps ends at 8.1 with the position probe at 1.25 px
    // (untrained 1.43). At lr 1e-3 an EMA from 0.999 or fixed sine-cosine positions
    // collapsed too; two target blocks instead of four changed nothing at 3e-4.
    train: {
      steps: 500,
      batch: 32,
      lr: 3e-4,
      warmupSteps: 50,
      weightDecay: 0.04,
      seed: 0,
      ema: [0.996, 1],
    },
  },
};

/** A preset shrunk for tests and `--quick` runs (same code path, fewer of everything). */
export function quickIjepaPreset(p: IjepaPreset): IjepaPreset {
  return {
    ...p,
    name: `${p.name}-quick`,
    data: { ...p.data, images: 512 },
    train: { ...p.train, steps: 40, batch: 16, warmupSteps: 5 },
  };
}

export function getIjepaPreset(name: string): IjepaPreset {
  const p = IJEPA_PRESETS[name];
  if (!p) throw new Error(`unknown preset "${name}"; choose one of ${Object.keys(IJEPA_PRESETS).join(", ")}`);
  return p;
}

/** Uint8 images [N, C, H, W] at rows `index` -> float32 [n, C, H, W] in [0, 1]. */
export function imageBatch(images: Uint8Array, frame: number, index: ArrayLike<number>): Float32Array {
  const out = new Float32Array(index.length * frame);
  for (let b = 0; b < index.length; b++) {
    const src = images.subarray(index[b] * frame, (index[b] + 1) * frame);
    for (let k = 0; k < frame; k++) out[b * frame + k] = src[k] / 255;
  }
  return out;
}

/**
 * Compiles a frozen-encoder embedder: images [n, C, H, W] -> mean-pooled tokens [n, D]
 * under the encoder parameters given at each call (the context or the EMA target encoder).
 */
export async function compileIjepaEmbedder(
  preset: IjepaPreset,
  encoder: Tree<HostTensor>,
  n: number,
  backend: Backend,
): Promise<(encoderParams: Tree<HostTensor>, images: Float32Array) => Promise<Float32Array>> {
  const config = preset.model.encoder;
  const { channels: c, imageSize: s } = config;
  const layout = layoutOf(encoder);
  let compiled: Compiled | undefined;
  return async (current, images) => {
    compiled ??= await compile(
      (i) => {
        const p = unpackSymbolic(i.params, layout, encoder) as unknown as ViTParams<Tensor>;
        return ops.mean(vit(p, i.images, config), 1); // [n, D]
      },
      { params: { shape: [layout.total] }, images: { shape: [n, c, s, s] } },
      backend,
    );
    const out = await compiled.run({
      params: hostTensor([layout.total], packTree(current, layout)),
      images: hostTensor([n, c, s, s], images),
    });
    return Float32Array.from(out.output.data as Float32Array);
  };
}

export interface IjepaRunOptions {
  /** Compiles the collapse monitors' probe (mean-pooled embeddings of fixed images) on it. */
  backend?: Backend;
  probeImages?: number;
  /** The shapes data (default: generated from preset.data). */
  data?: ShapesDataset;
}

// Stream ids folded into the run seed, so images and masks never share bits.
const IMAGES_STREAM = 0x1a6e5;
const MASKS_STREAM = 0x3a5c5;

/** The TrainSpec of an I-JEPA preset: params { encoder, predictor }, EMA of "encoder". */
export function buildIjepaRun(preset: IjepaPreset, opts: IjepaRunOptions = {}): TrainSpec {
  const { backend, probeImages = 128 } = opts;
  const { model, train, data } = preset;
  const { imageSize: s, patchSize, channels: c } = model.encoder;
  if (data.size !== s)
    throw new Error(`preset ${preset.name}: data.size ${data.size} must equal the encoder's imageSize ${s}`);
  const shapes = opts.data ?? generateShapes(data.seed, data.images, { size: s, sizeRange: data.sizeRange });
  const n = shapes.shape[0];
  const frame = c * s * s;
  const g = s / patchSize;
  const sampler = multiBlockSampler({ ...preset.masks, gridHeight: g, gridWidth: g });
  const { numTargets: m, targetTokens: kt, contextTokens: kc } = sampler.config;
  const root = keyFromSeed(train.seed);
  const params = initIjepa(root, model) as unknown as Tree<HostTensor>;
  const B = train.batch;

  let probe: TrainSpec["probe"];
  if (backend) {
    const count = Math.min(probeImages, n);
    const fixed = imageBatch(
      shapes.images,
      frame,
      Array.from({ length: count }, (_, i) => i),
    );
    const encoder = (params as Record<string, Tree<HostTensor>>).encoder;
    let embed: Awaited<ReturnType<typeof compileIjepaEmbedder>> | undefined;
    probe = async (current) => {
      embed ??= await compileIjepaEmbedder(preset, encoder, count, backend);
      const out = await embed((current as Record<string, Tree<HostTensor>>).encoder, fixed);
      return { data: out, n: count, d: model.encoder.dim };
    };
  }
  return {
    params,
    loss: ijepaLossFn(model),
    optimizer: adamw({
      lr: warmupCosine({ peak: train.lr, warmupSteps: train.warmupSteps, totalSteps: train.steps }),
      weightDecay: train.weightDecay,
    }),
    ema: { of: "encoder", momentum: linearSchedule(train.ema[0], train.ema[1], train.steps) },
    batchSpec: {
      images: { shape: [B, c, s, s] },
      context: { shape: [B, kc], dtype: "int32" },
      targets: { shape: [B, m, kt], dtype: "int32" },
    },
    batch(step) {
      const u = uniform(foldIn(foldIn(root, IMAGES_STREAM), step), B);
      const index = Array.from(u, (v) => Math.floor(v * n));
      const masks = sampler.sample(foldIn(foldIn(root, MASKS_STREAM), step), B);
      return {
        images: hostTensor([B, c, s, s], imageBatch(shapes.images, frame, index)),
        context: masks.context,
        targets: masks.targets,
      };
    },
    probe,
  };
}
