// The generative baseline of P6: the JEPA world model's encoder and predictor plus a pixel
// decoder, trained to reconstruct the next frame from the predicted embedding:
//   z_t = E(o_t);   z_{t+1} = P(z_t, a_t);   o^_{t+1} = sigmoid(D(z_{t+1}))
// The decoder is a linear map to a small feature map, then 4x4 stride-2 transposed
// convolutions that double the side each time (the DCGAN / world-models VAE decoder shape).
import { type HostTensor, type Key, ops, split, type Tensor } from "../engine/index.ts";
import { initLinear, type LinearParams, linear, torchUniform } from "../nn/index.ts";
import {
  encodeClip,
  initWorldModel,
  rollout,
  type WorldModelConfig,
  type WorldModelParams,
} from "./world-model.ts";

export interface PixelDecoderConfig {
  /** Channels of the feature maps before each transposed convolution (default [32, 32, 16]). */
  channels?: number[];
}

/** A world model config with a decoder: the encoder and predictor are the JEPA's. */
export interface GenerativeConfig extends WorldModelConfig {
  decoder: PixelDecoderConfig;
}

/** fc: [D, C0 * s0 * s0]; ups[i].w [C_i, C_{i+1}, 4, 4] (the last to the image's channels), b [C_{i+1}]. */
export type PixelDecoderParams<T> = {
  fc: LinearParams<T>;
  ups: { w: T; b: T }[];
};

export type GenerativeParams<T> = WorldModelParams<T> & { decoder: PixelDecoderParams<T> };

const KERNEL = 4;
const DEFAULT_CHANNELS = [32, 32, 16];

/** Side of the first feature map: the image side halved once per transposed convolution. */
function startSide(config: GenerativeConfig): number {
  const { channels = DEFAULT_CHANNELS } = config.decoder;
  const side = config.observation[1] / 2 ** channels.length;
  if (!Number.isInteger(side) || config.observation[1] !== config.observation[2]) {
    throw new Error(
      `pixel decoder: a square image side ${config.observation[1]} divisible by 2^${channels.length}; use fewer decoder channels or another size`,
    );
  }
  return side;
}

/** Draws the decoder (PyTorch defaults: U(+-1/sqrt(fanIn)), fanIn of ConvTranspose2d = C_out * k * k). */
export function initPixelDecoder(key: Key, config: GenerativeConfig): PixelDecoderParams<HostTensor> {
  const { channels = DEFAULT_CHANNELS } = config.decoder;
  const s = startSide(config);
  const outs = [...channels.slice(1), config.observation[0]];
  const keys = split(key, 2 * channels.length + 1);
  return {
    fc: initLinear(keys[0], { inDim: config.embedDim, outDim: channels[0] * s * s }),
    ups: channels.map((c, i) => ({
      w: torchUniform(keys[1 + 2 * i], [c, outs[i], KERNEL, KERNEL], outs[i] * KERNEL * KERNEL),
      b: torchUniform(keys[2 + 2 * i], [outs[i]], outs[i] * KERNEL * KERNEL),
    })),
  };
}

/** Draws the generative model: the world model's parameters (same key) plus a decoder. */
export function initGenerativeModel(key: Key, config: GenerativeConfig): GenerativeParams<HostTensor> {
  return { ...initWorldModel(key, config), decoder: initPixelDecoder(split(key, 4)[3], config) };
}

/** Decodes embeddings z [N, D] -> frames [N, C, H, W] in (0, 1). */
export function decode(params: PixelDecoderParams<Tensor>, z: Tensor, config: GenerativeConfig): Tensor {
  const { channels = DEFAULT_CHANNELS } = config.decoder;
  const s = startSide(config);
  const n = z.shape[0];
  let h = ops.reshape(linear(params.fc, z), [n, channels[0], s, s]);
  for (const up of params.ups) {
    h = ops.relu(h);
    h = ops.convTranspose2d(h, up.w, { stride: 2, padding: 1 }); // side doubles
    h = ops.add(h, ops.reshape(up.b, [1, up.b.shape[0], 1, 1]));
  }
  return ops.sigmoid(h);
}

/** The generative model as the objective sees it (objectives/reconstruction.ts PixelDynamics). */
export function pixelDynamics(params: GenerativeParams<Tensor>, config: GenerativeConfig) {
  return {
    embedDim: config.embedDim,
    embed: (observations: Tensor) => encodeClip(params, observations, config),
    rollout: (z0: Tensor, actions: Tensor) => rollout(params, z0, actions, config),
    decode: (z: Tensor) => decode(params.decoder, z, config),
  };
}
