// The small convolutional encoder of the reference world_model_step workload
// (../shared/reference/workloads.py, ConvEncoder): three 3x3 stride-2 convolutions with ReLU,
// then linear + LayerNorm. [B, 2, 64, 64] -> [B, 128] at the defaults.
import { type HostTensor, type Key, ops, split, type Tensor } from "../engine/index.ts";
import { type Conv2dConfig, type Conv2dParams, conv2d, initConv2d } from "./conv2d.ts";
import { initLayerNorm, type LayerNormParams, layerNorm } from "./layer-norm.ts";
import { initLinear, type LinearParams, linear } from "./linear.ts";

/** Observations [B, inChannels, imageSize, imageSize] -> [B, embedDim]. */
export interface ConvEncoderConfig {
  inChannels: number;
  imageSize: number;
  embedDim: number;
  /** Output channels of the stride-2 convolutions (default [16, 32, 32], as the reference). */
  channels?: number[];
  /**
   * The output LayerNorm (default true, as the reference). It puts every embedding on a sphere
   * of radius sqrt(E), so distances between embeddings saturate at 2 sqrt(E): leave it out
   * where latent distances must grow with distances in the world (planning costs).
   */
  finalNorm?: boolean;
}

/** convs (w [O, C, 3, 3], b [O]), fc [C*h*w, E] and the output norm. */
export type ConvEncoderParams<T> = {
  convs: Conv2dParams<T>[];
  fc: LinearParams<T>;
  norm?: LayerNormParams<T>;
};

const convConfigs = (config: ConvEncoderConfig): Conv2dConfig[] => {
  const { inChannels, channels = [16, 32, 32] } = config;
  return channels.map((o, i) => ({
    inChannels: i === 0 ? inChannels : channels[i - 1],
    outChannels: o,
    kernelSize: 3,
    stride: 2,
    padding: 1,
  }));
};

/** Width of the flattened feature map. */
function flatDim(config: ConvEncoderConfig): number {
  const { imageSize, channels = [16, 32, 32] } = config;
  const side = channels.reduce((n) => Math.floor((n - 1) / 2) + 1, imageSize);
  return channels[channels.length - 1] * side * side;
}

/** Draws the encoder (PyTorch defaults: conv and linear U(+-1/sqrt(fanIn)), LayerNorm 1/0). */
export function initConvEncoder(key: Key, config: ConvEncoderConfig): ConvEncoderParams<HostTensor> {
  const convs = convConfigs(config);
  const keys = split(key, convs.length + 2);
  return {
    convs: convs.map((c, i) => initConv2d(keys[i], c)),
    fc: initLinear(keys[convs.length], { inDim: flatDim(config), outDim: config.embedDim }),
    ...(config.finalNorm === false
      ? {}
      : { norm: initLayerNorm(keys[convs.length + 1], { dim: config.embedDim }) }),
  };
}

/** x [B, C, H, W] -> LN(fc(flatten(relu(conv3(relu(conv2(relu(conv1(x))))))))) [B, E]. */
export function convEncoder(params: ConvEncoderParams<Tensor>, x: Tensor, config: ConvEncoderConfig): Tensor {
  const { inChannels, imageSize, embedDim } = config;
  if (x.rank !== 4 || x.shape[1] !== inChannels || x.shape[2] !== imageSize || x.shape[3] !== imageSize) {
    throw new Error(`convEncoder: input [${x.shape}] must be [B, ${inChannels}, ${imageSize}, ${imageSize}]`);
  }
  const convs = convConfigs(config);
  let h = x;
  params.convs.forEach((p, i) => {
    h = ops.relu(conv2d(p, h, convs[i]));
  });
  const z = linear(params.fc, ops.reshape(h, [x.shape[0], -1])); // [B, C*h*w] -> [B, E]
  if (config.finalNorm === false) return z;
  if (!params.norm) throw new Error("convEncoder: the params have no norm; pass finalNorm: false");
  return layerNorm(params.norm, z, { dim: embedDim });
}
