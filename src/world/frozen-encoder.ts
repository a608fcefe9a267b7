// A world model on a frozen pretrained encoder (as DINO-WM plans on frozen DINOv2 features):
// the encoder is an imported ONNX model, its embeddings are computed once per frame and
// cached, and only the action-conditioned predictor trains on them.
//   z_t = E_frozen(o_t)  (cached);   z_{t+1} ~ P(z_t, a_t)  (trained)
import { type HostTensor, type Key, type OnnxImport, ops, type Tensor } from "../engine/index.ts";
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
  /** [C, H, W] of one frame, as the model takes it. */
  frame: number[];
  /** The static batch the model was imported for. */
  batch: number;
  embedDim: number;
  /** Frames [batch, C, H, W] -> embeddings [batch, D]; no gradient flows into the encoder. */
  encode(frames: Tensor): Tensor;
}

/**
 * Wraps an imported ONNX encoder (one image input [B, C, H, W], one embedding output [B, D],
 * or [B, ...] flattened) as a frozen encoder. `input` and `output` pick among several.
 */
export function frozenEncoder(
  model: OnnxImport,
  opts: { input?: string; output?: string } = {},
): FrozenEncoder {
  const { input = model.inputs[0]?.name, output = model.outputs[0]?.name } = opts;
  const inInfo = model.inputs.find((i) => i.name === input);
  const outInfo = model.outputs.find((o) => o.name === output);
  if (!inInfo || inInfo.shape.length !== 4)
    throw new Error(
      `frozenEncoder: input "${input}" must be frames [B, C, H, W]; the model has ${JSON.stringify(model.inputs)}`,
    );
  if (!outInfo || outInfo.shape[0] !== inInfo.shape[0])
    throw new Error(
      `frozenEncoder: output "${output}" must be [B, ...] with B = ${inInfo.shape[0]}; the model has ${JSON.stringify(model.outputs)}`,
    );
  const [batch, ...frame] = inInfo.shape;
  const embedDim = outInfo.shape.slice(1).reduce((a, b) => a * b, 1);
  return {
    frame,
    batch,
    embedDim,
    encode(frames) {
      const z = model.apply({ [inInfo.name]: frames })[outInfo.name];
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
