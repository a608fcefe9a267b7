// The action-conditioned JEPA world model: an encoder maps an observation to an embedding,
// a predictor maps (embedding, action) to the next embedding. Nothing is decoded to pixels.
//   z_t = E(o_t);   z_{t+1} ~ P(z_t, A(a_t))
import { type HostTensor, type Key, ops, split, type Tensor } from "../engine/index.ts";
import {
  type ConvEncoderParams,
  convEncoder,
  type GruCellParams,
  gruCell,
  type ImpalaCnnParams,
  impalaCnn,
  initConvEncoder,
  initGruCell,
  initImpalaCnn,
  initKeypointEncoder,
  initMlp,
  type KeypointEncoderParams,
  keypointEncoder,
  type MlpParams,
  mlp,
} from "../nn/index.ts";

/**
 * Every encoder may first average-pool frames by `pool` (default 1: none), a factor dividing
 * the image size: 64 px frames pooled by 2 cost a quarter as much to encode.
 */
export type EncoderConfig =
  /** `norm: false` drops the output LayerNorm (which caps latent distances; see ConvEncoderConfig). */
  (
    | { kind: "conv"; channels?: number[]; norm?: boolean }
    | { kind: "impala"; channels?: number[]; blocksPerStage?: number }
    /** Pixels flattened into an MLP (GELU): matmul-bound, so cheap on CPUs. */
    | { kind: "mlp"; hidden: number[] }
    /**
     * 3x3 convolutions (stride 2 first, then 1, unless `strides` says), a spatial softmax per
     * channel giving its expected (x, y), then an MLP: positions of things come out directly.
     */
    | { kind: "keypoint"; channels: number[]; strides?: number[]; hidden: number[] }
  ) & { pool?: number };

export type PredictorConfig =
  /** z' = z + MLP([z, a]) (the reference world_model_step predictor). */
  | { kind: "mlp"; hidden: number; layers?: number }
  /** z' = GRU(a, z): the embedding is the recurrent state (EB-JEPA's two-rooms predictor). */
  | { kind: "gru" };

export interface WorldModelConfig {
  /** [C, H, W] of observations (uint8 frames scaled to [0, 1]). */
  observation: [number, number, number];
  actionDim: number;
  embedDim: number;
  encoder: EncoderConfig;
  predictor: PredictorConfig;
  /** Width of the inverse-dynamics head (predicts a_t from z_t, z_{t+1}); 0 for none. */
  inverseDynamicsHidden?: number;
  /**
   * A linear inverse-dynamics head on the difference: a_t = W (z_{t+1} - z_t) + b. Actions
   * must then be a fixed linear function of embedding steps everywhere, which makes the
   * embedding an affine image of what the action moves (two-rooms' position), so latent
   * distances grow with distances in the world. Used when inverseDynamicsHidden is 0.
   */
  inverseDynamicsLinear?: boolean;
}

export type WorldModelParams<T> = {
  encoder: ConvEncoderParams<T> | ImpalaCnnParams<T> | MlpParams<T> | KeypointEncoderParams<T>;
  predictor: MlpParams<T> | GruCellParams<T>;
  inverseDynamics?: MlpParams<T>;
};

/** How many past embeddings the predictor reads: 1 for these Markov predictors. */
export function contextLength(_config: WorldModelConfig): number {
  return 1;
}

/** The encoder's pooling factor, checked against the image size. */
function poolOf(c: WorldModelConfig): number {
  const pool = c.encoder.pool ?? 1;
  const [, h, w] = c.observation;
  if (!Number.isInteger(pool) || pool < 1 || h % pool !== 0 || w % pool !== 0)
    throw new Error(
      `model.encoder.pool: ${pool} must be a positive integer dividing the image size ${h}x${w}; use 1 or a divisor of ${h}`,
    );
  return pool;
}

const encoderShape = (c: WorldModelConfig) => ({
  inChannels: c.observation[0],
  imageSize: c.observation[1] / poolOf(c),
  embedDim: c.embedDim,
});

const encoderMlp = (c: WorldModelConfig) => {
  const [ch, h, w] = c.observation;
  const pool = poolOf(c);
  return {
    inDim: (ch * h * w) / (pool * pool),
    hidden: (c.encoder as { hidden: number[] }).hidden,
    outDim: c.embedDim,
    activation: "gelu-tanh" as const,
  };
};

const predictorMlp = (c: WorldModelConfig) => {
  const p = c.predictor as { hidden: number; layers?: number };
  return {
    inDim: c.embedDim + c.actionDim,
    hidden: Array.from({ length: (p.layers ?? 2) - 1 }, () => p.hidden),
    outDim: c.embedDim,
    activation: "gelu-tanh" as const,
  };
};
const idmMlp = (c: WorldModelConfig) => ({
  inDim: c.inverseDynamicsHidden ? 2 * c.embedDim : c.embedDim,
  hidden: c.inverseDynamicsHidden ? [c.inverseDynamicsHidden] : [],
  outDim: c.actionDim,
  activation: "relu" as const,
});

/** Draws a world model's parameters. */
export function initWorldModel(key: Key, config: WorldModelConfig): WorldModelParams<HostTensor> {
  const [ke, kp, ki] = split(key, 3);
  const enc = config.encoder;
  const encoder =
    enc.kind === "conv"
      ? initConvEncoder(ke, { ...encoderShape(config), channels: enc.channels, finalNorm: enc.norm })
      : enc.kind === "mlp"
        ? initMlp(ke, encoderMlp(config))
        : enc.kind === "keypoint"
          ? initKeypointEncoder(ke, { ...encoderShape(config), ...enc })
          : initImpalaCnn(ke, {
              ...encoderShape(config),
              channels: enc.channels,
              blocksPerStage: enc.blocksPerStage,
              finalNorm: true,
            });
  const predictor =
    config.predictor.kind === "mlp"
      ? initMlp(kp, predictorMlp(config))
      : initGruCell(kp, { inDim: config.actionDim, hiddenDim: config.embedDim });
  const out: WorldModelParams<HostTensor> = { encoder, predictor };
  if (config.inverseDynamicsHidden || config.inverseDynamicsLinear)
    out.inverseDynamics = initMlp(ki, idmMlp(config));
  return out;
}

/** Embeds observations o [B, C, H, W] -> z [B, D]. */
export function encode(params: WorldModelParams<Tensor>, obs: Tensor, config: WorldModelConfig): Tensor {
  const enc = config.encoder;
  const pool = poolOf(config);
  const b = obs.shape[0];
  const x = ops.avgPool2d(obs, pool);
  if (enc.kind === "mlp") {
    const shape = encoderMlp(config);
    return mlp(params.encoder as MlpParams<Tensor>, ops.reshape(x, [b, shape.inDim]), shape);
  }
  if (enc.kind === "keypoint")
    return keypointEncoder(params.encoder as KeypointEncoderParams<Tensor>, x, {
      ...encoderShape(config),
      ...enc,
    });
  return enc.kind === "conv"
    ? convEncoder(params.encoder as ConvEncoderParams<Tensor>, x, {
        ...encoderShape(config),
        channels: enc.channels,
        finalNorm: enc.norm,
      })
    : impalaCnn(params.encoder as ImpalaCnnParams<Tensor>, x, {
        ...encoderShape(config),
        channels: enc.channels,
        blocksPerStage: enc.blocksPerStage,
        finalNorm: true,
      });
}

/** One predictor step: z [B, D], a [B, A] -> z' [B, D]. */
export function predict(
  params: WorldModelParams<Tensor>,
  z: Tensor,
  a: Tensor,
  config: WorldModelConfig,
): Tensor {
  if (config.predictor.kind === "mlp") {
    return ops.add(
      z,
      mlp(params.predictor as MlpParams<Tensor>, ops.concat([z, a], -1), predictorMlp(config)),
    );
  }
  return gruCell(params.predictor as GruCellParams<Tensor>, a, z, {
    inDim: config.actionDim,
    hiddenDim: config.embedDim,
  });
}

/** Autoregressive rollout: z0 [B, D] and actions [B, H, A] -> predicted embeddings [B, H, D]. */
export function rollout(
  params: WorldModelParams<Tensor>,
  z0: Tensor,
  actions: Tensor,
  config: WorldModelConfig,
): Tensor {
  const [b, h, a] = actions.shape;
  if (a !== config.actionDim)
    throw new Error(`rollout: actions [${actions.shape}] must have ${config.actionDim} per step`);
  const steps: Tensor[] = [];
  let z = z0;
  for (let t = 0; t < h; t++) {
    z = predict(params, z, ops.reshape(ops.slice(actions, 1, t, t + 1), [b, a]), config);
    steps.push(ops.reshape(z, [b, 1, config.embedDim]));
  }
  return ops.concat(steps, 1);
}

/** The inverse-dynamics head: (z_t, z_{t+1}) [..., D] each -> predicted a_t [..., A]. */
export function inverseDynamics(
  params: WorldModelParams<Tensor>,
  z: Tensor,
  next: Tensor,
  config: WorldModelConfig,
): Tensor {
  if (!params.inverseDynamics)
    throw new Error("inverseDynamics: the config has no inverseDynamicsHidden or inverseDynamicsLinear");
  const input = config.inverseDynamicsHidden ? ops.concat([z, next], -1) : ops.sub(next, z);
  return mlp(params.inverseDynamics, input, idmMlp(config));
}

/** Embeds a clip: observations [B, L, C, H, W] -> [B, L, D]. */
export function encodeClip(
  params: WorldModelParams<Tensor>,
  observations: Tensor,
  config: WorldModelConfig,
): Tensor {
  const [b, l, ...frame] = observations.shape;
  const z = encode(params, ops.reshape(observations, [b * l, ...frame]), config); // [B*L, D]
  return ops.reshape(z, [b, l, config.embedDim]);
}

/** The model as the LatentDynamics the objectives take (see objectives/world-model-loss.ts). */
export function latentDynamics(params: WorldModelParams<Tensor>, config: WorldModelConfig) {
  return {
    embedDim: config.embedDim,
    embed: (observations: Tensor) => encodeClip(params, observations, config),
    rollout: (z0: Tensor, actions: Tensor) => rollout(params, z0, actions, config),
    inverseDynamics: params.inverseDynamics
      ? (z: Tensor, next: Tensor) => inverseDynamics(params, z, next, config)
      : undefined,
  };
}
