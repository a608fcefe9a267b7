// A keypoint encoder (the spatial-softmax encoder of Levine et al. 2016, "End-to-end training
// of deep visuomotor policies"): a few 3x3 convolutions, then for every channel a softmax
// over the feature map's positions and the expected (x, y) under it, then an MLP. Positions
// of things in the image come out as numbers the MLP can use directly, which makes it a good
// encoder for scenes whose state is where things are (a dot, a wall, a door).
//   x [B, C, H, W] -> conv..conv -> softmax over H*W per channel -> E[x], E[y] [B, 2K] -> MLP -> [B, E]
import { constant, type HostTensor, hostTensor, type Key, ops, split, type Tensor } from "../engine/index.ts";
import { type Conv2dConfig, type Conv2dParams, conv2d, initConv2d } from "./conv2d.ts";
import { initMlp, type MlpConfig, type MlpParams, mlp } from "./mlp.ts";

export interface KeypointEncoderConfig {
  inChannels: number;
  imageSize: number;
  embedDim: number;
  /** Output channels of the 3x3 convolutions; the last one is the number of keypoints. */
  channels: number[];
  /** Stride of each convolution (default 2 for the first, 1 after). */
  strides?: number[];
  /** Hidden widths of the MLP from the 2K keypoint coordinates to the embedding. */
  hidden: number[];
  /**
   * The last map is multiplied by this before the softmax (default 10). At initialisation the
   * maps are small, so without it every softmax is near uniform, every image gets the same
   * keypoints, and no gradient breaks the tie.
   */
  logitScale?: number;
}

export type KeypointEncoderParams<T> = {
  convs: Conv2dParams<T>[];
  head: MlpParams<T>;
};

function convConfigs(config: KeypointEncoderConfig): Conv2dConfig[] {
  const { inChannels, channels, strides = channels.map((_, i) => (i === 0 ? 2 : 1)) } = config;
  if (strides.length !== channels.length)
    throw new Error(
      `keypointEncoder: strides has ${strides.length} entries for ${channels.length} convolutions; give one per channel entry`,
    );
  return channels.map((o, i) => ({
    inChannels: i === 0 ? inChannels : channels[i - 1],
    outChannels: o,
    kernelSize: 3,
    stride: strides[i],
    padding: 1,
    // The last map only feeds a softmax, which a per-channel shift does not change.
    bias: i < channels.length - 1,
  }));
}

/** Side of the last feature map. */
function featureSide(config: KeypointEncoderConfig): number {
  return convConfigs(config).reduce((n, c) => Math.floor((n - 1) / (c.stride ?? 1)) + 1, config.imageSize);
}

const headConfig = (config: KeypointEncoderConfig): MlpConfig => ({
  inDim: 2 * config.channels[config.channels.length - 1],
  hidden: config.hidden,
  outDim: config.embedDim,
  activation: "gelu-tanh",
});

export function initKeypointEncoder(
  key: Key,
  config: KeypointEncoderConfig,
): KeypointEncoderParams<HostTensor> {
  const convs = convConfigs(config);
  const keys = split(key, convs.length + 1);
  return {
    convs: convs.map((c, i) => initConv2d(keys[i], c)),
    head: initMlp(keys[convs.length], headConfig(config)),
  };
}

/** The pixel-centre coordinates of an s x s map in [-1, 1], as a [s*s, 2] (x, y) table. */
function coordinateTable(side: number, dtype: Tensor["dtype"]): HostTensor {
  const data = dtype === "float64" ? new Float64Array(side * side * 2) : new Float32Array(side * side * 2);
  for (let r = 0; r < side; r++) {
    for (let c = 0; c < side; c++) {
      const k = (r * side + c) * 2;
      data[k] = side === 1 ? 0 : (2 * c) / (side - 1) - 1;
      data[k + 1] = side === 1 ? 0 : (2 * r) / (side - 1) - 1;
    }
  }
  return hostTensor([side * side, 2], data, dtype === "float64" ? "float64" : "float32");
}

/** Expected (x, y) of each channel under a softmax over positions: [B, K, S, S] -> [B, 2K]. */
export function spatialSoftmax(features: Tensor, logitScale = 1): Tensor {
  const [b, k, h, w] = features.shape;
  if (h !== w) throw new Error(`spatialSoftmax: feature map [${features.shape}] must be square`);
  const logits = ops.reshape(features, [b * k, h * w]);
  const attention = ops.softmax(logitScale === 1 ? logits : ops.mul(logits, logitScale), -1);
  const coords = ops.matmul(attention, constant(coordinateTable(h, features.dtype))); // [B*K, 2]
  return ops.reshape(coords, [b, 2 * k]);
}

/** x [B, C, H, W] -> [B, E]. */
export function keypointEncoder(
  params: KeypointEncoderParams<Tensor>,
  x: Tensor,
  config: KeypointEncoderConfig,
): Tensor {
  const { inChannels, imageSize } = config;
  if (x.rank !== 4 || x.shape[1] !== inChannels || x.shape[2] !== imageSize || x.shape[3] !== imageSize) {
    throw new Error(
      `keypointEncoder: input [${x.shape}] must be [B, ${inChannels}, ${imageSize}, ${imageSize}]`,
    );
  }
  const convs = convConfigs(config);
  let h = x;
  params.convs.forEach((p, i) => {
    const y = conv2d(p, h, convs[i]);
    // No ReLU on the last map: its values are softmax logits.
    h = i < convs.length - 1 ? ops.relu(y) : y;
  });
  if (h.shape[2] !== featureSide(config)) throw new Error("keypointEncoder: unexpected feature map size");
  return mlp(params.head, spatialSoftmax(h, config.logitScale ?? 10), headConfig(config));
}
