// MC-JEPA (Bardes, Ponce & LeCun 2023): one encoder learns motion and content together.
//   features  F = E(I)                  a conv encoder, [B, C, H/s, W/s]
//   motion    f = FlowHead(F_t, F_t+1)  optical flow t -> t+1 in image pixels, [B, 2, H/s, W/s]
//             I_t ~ warp(I_t+1, f)      photometric reconstruction (bilinear backward warping)
//             F_t ~ warp(F_t+1, f)      feature reconstruction, plus flow smoothness
//   content   VICReg on the projected, pooled features of two augmented views
// The loss is in objectives/mc-jepa.ts; this file holds the model and the warping.
import { type HostTensor, hostTensor, type Key, ops, split, type Tensor, constant } from "../engine/index.ts";
import { type Conv2dParams, conv2d, initConv2d, initMlp, type MlpParams, mlp } from "../nn/index.ts";

export interface McJepaConfig {
  /** [C, H, W] of frames (float32 in [0, 1]). */
  observation: [number, number, number];
  /** Channels of the encoder's conv layers; every layer after the first halves the resolution. */
  channels: number[];
  /** Hidden channels of the flow head. */
  flowHidden: number;
  /** Widths of the content projector (VICReg's expander). */
  projector: number[];
}

export interface McJepaParams<T> {
  encoder: Conv2dParams<T>[];
  flow: Conv2dParams<T>[];
  projector: MlpParams<T>;
}

/** The feature stride of the encoder: 2^(layers - 1). */
export const featureStride = (c: McJepaConfig): number => 2 ** (c.channels.length - 1);

const encoderLayers = (c: McJepaConfig) =>
  c.channels.map((out, i) => ({
    inChannels: i === 0 ? c.observation[0] : c.channels[i - 1],
    outChannels: out,
    kernelSize: 3,
    stride: i === 0 ? 1 : 2,
    padding: 1,
  }));
const flowLayers = (c: McJepaConfig) => {
  const width = c.channels[c.channels.length - 1];
  return [
    { inChannels: 2 * width, outChannels: c.flowHidden, kernelSize: 3, padding: 1 },
    { inChannels: c.flowHidden, outChannels: c.flowHidden, kernelSize: 3, padding: 1 },
    { inChannels: c.flowHidden, outChannels: 2, kernelSize: 3, padding: 1 },
  ];
};
const projectorMlp = (c: McJepaConfig) => ({
  inDim: c.channels[c.channels.length - 1],
  hidden: c.projector.slice(0, -1),
  outDim: c.projector[c.projector.length - 1],
  activation: "relu" as const,
});

/** Draws MC-JEPA's parameters. */
export function initMcJepa(key: Key, config: McJepaConfig): McJepaParams<HostTensor> {
  const [ke, kf, kp] = split(key, 3);
  const ek = split(ke, config.channels.length);
  const fk = split(kf, 3);
  return {
    encoder: encoderLayers(config).map((l, i) => initConv2d(ek[i], l)),
    flow: flowLayers(config).map((l, i) => initConv2d(fk[i], l)),
    projector: initMlp(kp, projectorMlp(config)),
  };
}

/** The shared encoder: frames [B, C, H, W] -> features [B, C', H/s, W/s]. */
export function mcFeatures(params: McJepaParams<Tensor>, frames: Tensor, config: McJepaConfig): Tensor {
  let x = frames;
  encoderLayers(config).forEach((l, i) => {
    x = ops.relu(conv2d(params.encoder[i], x, l));
  });
  return x;
}

/** The flow head: features of frames t and t+1 -> flow t -> t+1 [B, 2, h, w] (x then y, in image pixels). */
export function mcFlow(params: McJepaParams<Tensor>, from: Tensor, to: Tensor, config: McJepaConfig): Tensor {
  const layers = flowLayers(config);
  let x = ops.concat([from, to], 1);
  layers.forEach((l, i) => {
    x = conv2d(params.flow[i], x, l);
    if (i < layers.length - 1) x = ops.relu(x);
  });
  return x;
}

/** Content representation: features [B, C', h, w] -> global average [B, C'] (what a probe reads). */
export function mcContent(features: Tensor): Tensor {
  return ops.mean(features, [2, 3]);
}

/** VICReg's expander on the content representation: [B, C'] -> [B, P]. */
export function mcProject(params: McJepaParams<Tensor>, content: Tensor, config: McJepaConfig): Tensor {
  return mlp(params.projector, content, projectorMlp(config));
}

/** Nearest upsampling of a flow field by an integer factor, [B, 2, h, w] -> [B, 2, h*k, w*k]. */
export function upsampleFlow(flow: Tensor, factor: number): Tensor {
  if (factor === 1) return flow;
  const [b, c, h, w] = flow.shape;
  const wide = ops.broadcastTo(ops.reshape(flow, [b, c, h, 1, w, 1]), [b, c, h, factor, w, factor]);
  return ops.reshape(wide, [b, c, h * factor, w * factor]);
}

/**
 * Backward warping by bilinear sampling, built from gather: out[b, :, y, x] =
 * image[b, :, y + flow_y, x + flow_x], sample points clamped to the image. image [B, C, H, W],
 * flow [B, 2, H, W] in pixels of this grid. Gradients reach both the image and the flow.
 */
export function warp(image: Tensor, flow: Tensor): Tensor {
  const [b, c, h, w] = image.shape;
  const n = h * w;
  const grid = (axis: 0 | 1) =>
    constant(
      hostTensor(
        [1, h, w],
        Array.from({ length: n }, (_, i) => (axis === 0 ? i % w : Math.floor(i / w))),
      ),
    );
  const clampTo = (v: Tensor, hi: number) => ops.minimum(ops.maximum(v, 0), hi);
  const sx = clampTo(ops.add(grid(0), ops.reshape(ops.slice(flow, 1, 0, 1), [b, h, w])), w - 1); // [B, H, W]
  const sy = clampTo(ops.add(grid(1), ops.reshape(ops.slice(flow, 1, 1, 2), [b, h, w])), h - 1);
  const x0 = ops.floor(sx);
  const y0 = ops.floor(sy);
  const ax = ops.sub(sx, x0); // weight of the right neighbour
  const ay = ops.sub(sy, y0);
  const x1 = ops.minimum(ops.add(x0, 1), w - 1);
  const y1 = ops.minimum(ops.add(y0, 1), h - 1);
  // Rows of the flattened image [B*H*W, C], indexed b*H*W + y*W + x.
  const rows = ops.reshape(ops.transpose(image, [0, 2, 3, 1]), [b * n, c]);
  const offset = constant(
    hostTensor(
      [b, 1, 1],
      Array.from({ length: b }, (_, i) => i * n),
    ),
  );
  const take = (y: Tensor, x: Tensor) => {
    const index = ops.cast(ops.reshape(ops.add(ops.add(ops.mul(y, w), x), offset), [b * n]), "int64");
    return ops.reshape(ops.gather(rows, index, 0), [b, h, w, c]);
  };
  const wx = ops.reshape(ax, [b, h, w, 1]);
  const wy = ops.reshape(ay, [b, h, w, 1]);
  const top = ops.add(ops.mul(take(y0, x0), ops.sub(1, wx)), ops.mul(take(y0, x1), wx));
  const bottom = ops.add(ops.mul(take(y1, x0), ops.sub(1, wx)), ops.mul(take(y1, x1), wx));
  const out = ops.add(ops.mul(top, ops.sub(1, wy)), ops.mul(bottom, wy)); // [B, H, W, C]
  return ops.transpose(out, [0, 3, 1, 2]);
}

/** The motion-content model as the MC-JEPA objective takes it (objectives/mc-jepa.ts). */
export function mcJepaModel(params: McJepaParams<Tensor>, config: McJepaConfig) {
  const stride = featureStride(config);
  return {
    stride,
    features: (frames: Tensor) => mcFeatures(params, frames, config),
    flow: (from: Tensor, to: Tensor) => mcFlow(params, from, to, config),
    project: (features: Tensor) => mcProject(params, mcContent(features), config),
    warp,
    upsampleFlow,
  };
}
