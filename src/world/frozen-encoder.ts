// A world model on a frozen pretrained encoder (as DINO-WM plans on frozen DINOv2 features):
// the encoder is an imported ONNX model, its embeddings are computed once per frame and
// cached, and only the action-conditioned predictor trains on them.
//   z_t = E_frozen(o_t)  (cached);   z_{t+1} ~ P(z_t, a_t)  (trained)
import {
  constant,
  type HostTensor,
  hostTensor,
  type Key,
  type OnnxImport,
  ops,
  type Tensor,
} from "../engine/index.ts";
import {
  initWorldModel,
  type PredictorConfig,
  predict,
  rollout,
  type WorldModelConfig,
  type WorldModelParams,
} from "./world-model.ts";

/** The traceable encoder of an imported ONNX model: which input and output, and the frame shape. */
export interface FrozenEncoder {
  /** [C, H, W] of one frame as `encode` takes it (the adapter's `from`, else the model's frame). */
  frame: number[];
  /** [C, H, W] of one frame as the model takes it (e.g. [3, 224, 224] for DINOv2 ViT-S/14). */
  modelFrame: number[];
  /** The static batch the model was imported for. */
  batch: number;
  embedDim: number;
  /** Frames [batch, ...frame] -> embeddings [batch, D]; no gradient flows into the encoder. */
  encode(frames: Tensor): Tensor;
}

/**
 * How an environment's frames become the model's input, inside the compiled graph (so it runs
 * on ONNX Runtime with the encoder): pick channels, resize or pad to the model's H x W, then
 * normalise. A frozen encoder's input size is fixed by its export (DINOv2 ViT-S/14: 3 x 224 x 224,
 * ImageNet mean and std); two-rooms frames are 2 x 64 x 64, values 0..255.
 */
export interface FrameAdapter {
  /** [C, H, W] of the frames given. */
  from: readonly number[];
  /**
   * To the model's H x W: "bilinear" (default; as torch's F.interpolate with
   * align_corners=False and no antialiasing), "nearest" (F.interpolate's "nearest"), or "pad"
   * (centred, zeros around; frames must not be larger than the model's input).
   */
  resize?: "bilinear" | "nearest" | "pad";
  /**
   * For each model channel, the channel of the given frame it reads, or -1 for zeros.
   * Default: the same channels, or a single channel repeated.
   */
  channels?: readonly number[];
  /** After resizing: x' = (x * scale - mean[c]) / std[c] per model channel (defaults 1, 0, 1). */
  scale?: number;
  mean?: readonly number[];
  std?: readonly number[];
}

/** ImageNet normalisation of 0..255 frames, as DINOv2 and most torchvision encoders expect. */
export const IMAGENET_NORMALISATION = {
  scale: 1 / 255,
  mean: [0.485, 0.456, 0.406],
  std: [0.229, 0.224, 0.225],
} as const;

/** Interpolation weights [out, in] of a 1-D resize (torch's F.interpolate conventions). */
export function resizeMatrix(inSize: number, outSize: number, mode: "bilinear" | "nearest"): Float32Array {
  const m = new Float32Array(outSize * inSize);
  const ratio = inSize / outSize;
  for (let o = 0; o < outSize; o++) {
    if (mode === "nearest") {
      m[o * inSize + Math.min(inSize - 1, Math.floor(o * ratio))] = 1;
      continue;
    }
    const src = Math.max(0, (o + 0.5) * ratio - 0.5);
    const i0 = Math.min(inSize - 1, Math.floor(src));
    const i1 = Math.min(inSize - 1, i0 + 1);
    const w1 = src - i0;
    m[o * inSize + i0] += 1 - w1;
    m[o * inSize + i1] += w1;
  }
  return m;
}

/** Checks an adapter against the model's frame and returns the traced adaptation [B, ...from] -> [B, ...to]. */
function frameAdapter(adapter: FrameAdapter, to: number[]): (x: Tensor) => Tensor {
  const { from, resize = "bilinear", scale = 1, mean, std } = adapter;
  const [cIn, hIn, wIn] = from;
  const [cOut, hOut, wOut] = to;
  const fail = (why: string) => {
    throw new Error(`frozenEncoder: adapter from [${from}] to the model's [${to}]: ${why}`);
  };
  if (from.length !== 3 || from.some((d) => !Number.isInteger(d) || d < 1))
    fail("`from` must be [C, H, W] of positive integers");
  const channels =
    adapter.channels ??
    (cIn === cOut
      ? Array.from({ length: cOut }, (_, c) => c)
      : cIn === 1
        ? new Array<number>(cOut).fill(0)
        : fail(`${cIn} channels cannot become ${cOut}; say which with \`channels\``));
  if (channels.length !== cOut)
    fail(`\`channels\` names ${channels.length} channels; the model takes ${cOut}`);
  if (channels.some((c) => !Number.isInteger(c) || c < -1 || c >= cIn))
    fail(`\`channels\` [${channels}] must pick channels 0..${cIn - 1} or -1`);
  for (const [name, v] of [
    ["mean", mean],
    ["std", std],
  ] as const)
    if (v && v.length !== cOut) fail(`\`${name}\` has ${v.length} values for ${cOut} channels`);
  if (std?.some((v) => v === 0)) fail("`std` holds a zero");
  if (resize === "pad" && (hIn > hOut || wIn > wOut)) fail('"pad" cannot shrink a frame; use "bilinear"');
  if (!["bilinear", "nearest", "pad"].includes(resize)) fail(`unknown resize "${resize}"`);
  const identity = channels.every((c, i) => c === i) && cIn === cOut;
  return (x) => {
    const b = x.shape[0];
    let y = x;
    if (!identity) {
      const pick = new Float32Array(cOut * cIn);
      channels.forEach((c, i) => {
        if (c >= 0) pick[i * cIn + c] = 1;
      });
      const flat = ops.reshape(y, [b, cIn, hIn * wIn]);
      y = ops.reshape(ops.matmul(constant(hostTensor([cOut, cIn], pick)), flat), [b, cOut, hIn, wIn]);
    }
    if (resize === "pad") {
      const [top, left] = [Math.floor((hOut - hIn) / 2), Math.floor((wOut - wIn) / 2)];
      y = ops.pad(y, [0, 0, top, left], [0, 0, hOut - hIn - top, wOut - wIn - left]);
    } else {
      if (hIn !== hOut) y = ops.matmul(constant(hostTensor([hOut, hIn], resizeMatrix(hIn, hOut, resize))), y);
      if (wIn !== wOut) {
        const rx = resizeMatrix(wIn, wOut, resize); // [wOut, wIn] -> its transpose [wIn, wOut]
        const t = new Float32Array(wIn * wOut);
        for (let o = 0; o < wOut; o++) for (let i = 0; i < wIn; i++) t[i * wOut + o] = rx[o * wIn + i];
        y = ops.matmul(y, constant(hostTensor([wIn, wOut], t)));
      }
    }
    if (scale !== 1 || mean || std) {
      const s = Float32Array.from({ length: cOut }, (_, c) => scale / (std?.[c] ?? 1));
      const o = Float32Array.from({ length: cOut }, (_, c) => -(mean?.[c] ?? 0) / (std?.[c] ?? 1));
      y = ops.add(
        ops.mul(y, constant(hostTensor([1, cOut, 1, 1], s))),
        constant(hostTensor([1, cOut, 1, 1], o)),
      );
    }
    return y;
  };
}

/**
 * Wraps an imported ONNX encoder (one image input [B, C, H, W], one embedding output [B, D],
 * or [B, ...] flattened) as a frozen encoder. `input` and `output` pick among several;
 * `adapter` takes frames of another size, channel count or value range to the model's input.
 */
export function frozenEncoder(
  model: OnnxImport,
  opts: { input?: string; output?: string; adapter?: FrameAdapter } = {},
): FrozenEncoder {
  const { input = model.inputs[0]?.name, output = model.outputs[0]?.name } = opts;
  const inInfo = model.inputs.find((i) => i.name === input);
  const outInfo = model.outputs.find((o) => o.name === output);
  if (inInfo?.shape.length !== 4)
    throw new Error(
      `frozenEncoder: input "${input}" must be frames [B, C, H, W]; the model has ${JSON.stringify(model.inputs)}`,
    );
  if (!outInfo || outInfo.shape[0] !== inInfo.shape[0])
    throw new Error(
      `frozenEncoder: output "${output}" must be [B, ...] with B = ${inInfo.shape[0]}; the model has ${JSON.stringify(model.outputs)}`,
    );
  const [batch, ...modelFrame] = inInfo.shape;
  const adapt = opts.adapter ? frameAdapter(opts.adapter, modelFrame) : (x: Tensor) => x;
  const embedDim = outInfo.shape.slice(1).reduce((a, b) => a * b, 1);
  return {
    frame: opts.adapter ? [...opts.adapter.from] : modelFrame,
    modelFrame,
    batch,
    embedDim,
    encode(frames) {
      const z = model.apply({ [inInfo.name]: adapt(frames) })[outInfo.name];
      return ops.stopGradient(ops.reshape(z, [batch, embedDim])); // [B, D]
    },
  };
}

/**
 * Embeddings computed once per frame: `get(keys, frameOf)` returns [keys.length, D] and runs
 * the encoder only on keys it has not seen, in batches of the encoder's static batch.
 */
export interface EmbeddingCache {
  readonly embedDim: number;
  /** Frames encoded so far (each once). */
  readonly computed: number;
  get(keys: readonly number[], frameOf: (key: number) => ArrayLike<number>): Promise<Float32Array>;
}

/**
 * A cache over `run`, a compiled encoder: frames [batch, ...frame] -> [batch, D] (for example
 * `compile((i) => encoder.encode(i.frames), ...)` on ONNX Runtime).
 */
export function embeddingCache(
  run: (frames: HostTensor<"float32">) => Promise<Float32Array>,
  encoder: Pick<FrozenEncoder, "batch" | "frame" | "embedDim">,
): EmbeddingCache {
  const { batch, frame, embedDim } = encoder;
  const frameSize = frame.reduce((a, b) => a * b, 1);
  const table = new Map<number, Float32Array>();
  let computed = 0;
  return {
    embedDim,
    get computed() {
      return computed;
    },
    async get(keys, frameOf) {
      const missing = [...new Set(keys.filter((k) => !table.has(k)))];
      for (let first = 0; first < missing.length; first += batch) {
        const chunk = missing.slice(first, first + batch);
        const data = new Float32Array(batch * frameSize); // the last chunk is zero-padded
        chunk.forEach((k, i) => {
          data.set(frameOf(k), i * frameSize);
        });
        const z = await run({ shape: [batch, ...frame], dtype: "float32", data });
        chunk.forEach((k, i) => {
          table.set(k, z.slice(i * embedDim, (i + 1) * embedDim));
        });
        computed += chunk.length;
      }
      const out = new Float32Array(keys.length * embedDim);
      keys.forEach((k, i) => {
        out.set(table.get(k) as Float32Array, i * embedDim);
      });
      return out;
    },
  };
}

// ---------- the trained part: a predictor over frozen embeddings ----------
export interface FrozenWorldConfig {
  embedDim: number;
  actionDim: number;
  predictor: PredictorConfig;
}
/** Only the predictor trains; its tree is the world model's predictor. */
export interface FrozenWorldParams<T> {
  predictor: WorldModelParams<T>["predictor"];
}

// The predictor code of world-model.ts reads only these fields and params.predictor.
const asWorldConfig = (c: FrozenWorldConfig): WorldModelConfig => ({
  observation: [1, 1, 1],
  actionDim: c.actionDim,
  embedDim: c.embedDim,
  encoder: { kind: "conv", channels: [1] },
  predictor: c.predictor,
});
const asWorldParams = (p: FrozenWorldParams<Tensor>) => p as WorldModelParams<Tensor>;

/** Draws the predictor's parameters (the encoder has none to train). */
export function initFrozenWorld(key: Key, config: FrozenWorldConfig): FrozenWorldParams<HostTensor> {
  return { predictor: initWorldModel(key, asWorldConfig(config)).predictor };
}

/** One predictor step on frozen embeddings: z [N, D], a [N, A] -> z' [N, D] (a planner's LatentStep). */
export function frozenStep(params: FrozenWorldParams<Tensor>, config: FrozenWorldConfig) {
  return (z: Tensor, a: Tensor): Tensor => predict(asWorldParams(params), z, a, asWorldConfig(config));
}

/**
 * The predictor's loss on cached embeddings [B, L, D] and actions [B, L-1, A]: an
 * autoregressive rollout from z_0, mean squared error to z_1..z_{L-1}. No anti-collapse
 * term is needed: the frozen targets cannot collapse.
 */
export function frozenWorldLoss(
  params: FrozenWorldParams<Tensor>,
  batch: { embeddings: Tensor; actions: Tensor },
  config: FrozenWorldConfig,
): { loss: Tensor; terms: Record<string, Tensor> } {
  const { embeddings, actions } = batch;
  const [b, l, d] = embeddings.shape;
  const z0 = ops.reshape(ops.slice(embeddings, 1, 0, 1), [b, d]);
  const predicted = rollout(asWorldParams(params), z0, actions, asWorldConfig(config)); // [B, L-1, D]
  const prediction = ops.mean(ops.sub(predicted, ops.slice(embeddings, 1, 1, l)).square());
  return { loss: prediction, terms: { prediction } };
}
