// An Impala-style CNN (Espeholt et al. 2018) without max-pooling: each stage downsamples with
// a strided 3x3 convolution, then refines with residual blocks; a linear head maps the final
// feature map to an embedding.
import { type HostTensor, type Key, ops, split, type Tensor } from "../engine/index.ts";
import { type Conv2dConfig, type Conv2dParams, conv2d, initConv2d } from "./conv2d.ts";
import { initLayerNorm, type LayerNormParams, layerNorm } from "./layer-norm.ts";
import { initLinear, type LinearParams, linear } from "./linear.ts";

/** Observations [B, inChannels, imageSize, imageSize] -> [B, embedDim]. */
export interface ImpalaCnnConfig {
  inChannels: number;
  imageSize: number;
  embedDim: number;
  /** Channels of each stage; each stage halves the resolution (default [16, 32, 32]). */
  channels?: number[];
  /** Residual blocks per stage (default 2, as Impala). */
  blocksPerStage?: number;
  /** A layer norm on the embedding (default false). */
  finalNorm?: boolean;
}

/** relu -> conv -> relu -> conv, added to the input. */
export type ResidualBlockParams<T> = {
  conv1: Conv2dParams<T>;
  conv2: Conv2dParams<T>;
};

/** One stage: a strided convolution and its residual blocks. */
export type ImpalaStageParams<T> = {
  down: Conv2dParams<T>;
  blocks: ResidualBlockParams<T>[];
};

/** The stages, the linear head [C*h*w, embedDim] and the optional output norm. */
export type ImpalaCnnParams<T> = {
  stages: ImpalaStageParams<T>[];
  head: LinearParams<T>;
  norm?: LayerNormParams<T>;
};

const downConv = (c: number, o: number): Conv2dConfig => ({
  inChannels: c,
  outChannels: o,
  kernelSize: 3,
  stride: 2,
  padding: 1,
});
const sameConv = (c: number): Conv2dConfig => ({ inChannels: c, outChannels: c, kernelSize: 3, padding: 1 });

/** Side length after the stages: each is ceil(n / 2) (3x3, stride 2, padding 1). */
function featureSize(config: ImpalaCnnConfig): number {
  const { imageSize, channels = [16, 32, 32] } = config;
  return channels.reduce((n) => Math.floor((n - 1) / 2) + 1, imageSize);
}

/** Draws an Impala CNN (PyTorch conv/linear defaults). */
export function initImpalaCnn(key: Key, config: ImpalaCnnConfig): ImpalaCnnParams<HostTensor> {
  const { inChannels, embedDim, channels = [16, 32, 32], blocksPerStage = 2, finalNorm = false } = config;
  const [kStages, kHead, kNorm] = split(key, 3);
  const stageKeys = split(kStages, channels.length);
  const stages = channels.map((o, s) => {
    const [kDown, ...kBlocks] = split(stageKeys[s], blocksPerStage + 1);
    return {
      down: initConv2d(kDown, downConv(s === 0 ? inChannels : channels[s - 1], o)),
      blocks: kBlocks.map((k) => {
        const [k1, k2] = split(k);
        return { conv1: initConv2d(k1, sameConv(o)), conv2: initConv2d(k2, sameConv(o)) };
      }),
    };
  });
  const flat = channels[channels.length - 1] * featureSize(config) ** 2;
  const head = initLinear(kHead, { inDim: flat, outDim: embedDim });
  return finalNorm ? { stages, head, norm: initLayerNorm(kNorm, { dim: embedDim }) } : { stages, head };
}

/** x [B, C, H, W] -> [B, embedDim]. */
export function impalaCnn(params: ImpalaCnnParams<Tensor>, x: Tensor, config: ImpalaCnnConfig): Tensor {
  const { inChannels, imageSize, embedDim, channels = [16, 32, 32] } = config;
  if (x.rank !== 4 || x.shape[1] !== inChannels || x.shape[2] !== imageSize || x.shape[3] !== imageSize) {
    throw new Error(`impalaCnn: input [${x.shape}] must be [B, ${inChannels}, ${imageSize}, ${imageSize}]`);
  }
  let h = x;
  params.stages.forEach((stage, s) => {
    const o = channels[s];
    h = conv2d(stage.down, h, downConv(s === 0 ? inChannels : channels[s - 1], o));
    for (const block of stage.blocks) {
      const r = conv2d(block.conv1, ops.relu(h), sameConv(o));
      h = ops.add(h, conv2d(block.conv2, ops.relu(r), sameConv(o)));
    }
  });
  const z = linear(params.head, ops.reshape(ops.relu(h), [x.shape[0], -1])); // [B, C*h*w] -> [B, E]
  return params.norm ? layerNorm(params.norm, z, { dim: embedDim }) : z;
}
