// A 2-D convolution layer with bias over NCHW images.
import { type HostTensor, type Key, ops, type Tensor } from "../engine/index.ts";
import { initWeightBias, type WeightInit } from "./init.ts";

/** A square-kernel convolution. */
export interface Conv2dConfig {
  inChannels: number;
  outChannels: number;
  kernelSize: number;
  /** Default 1. */
  stride?: number;
  /** Zero padding on every side (default 0). */
  padding?: number;
  /** Adds b [outChannels] (default true). */
  bias?: boolean;
  /** Default "torch": U(+-1/sqrt(C*K*K)) for w and b, as nn.Conv2d. */
  init?: WeightInit;
}

/** w [O, C, K, K]; b [O] when the layer has a bias. */
export type Conv2dParams<T> = {
  w: T;
  b?: T;
};

/** Draws a convolution's parameters from `key`. */
export function initConv2d(key: Key, config: Conv2dConfig): Conv2dParams<HostTensor> {
  const { inChannels: c, outChannels: o, kernelSize: k, bias = true, init = "torch" } = config;
  const { w, b } = initWeightBias(key, [o, c, k, k], [o], c * k * k, o * k * k, init);
  return bias ? { w, b } : { w };
}

/** x [N, C, H, W] -> [N, O, HO, WO] with HO = floor((H + 2p - K) / s) + 1. */
export function conv2d(params: Conv2dParams<Tensor>, x: Tensor, config: Conv2dConfig): Tensor {
  const { stride = 1, padding = 0 } = config;
  return ops.conv2d(x, params.w, { stride, padding, bias: params.b });
}
