// A fully connected layer, y = x @ w + b, with w stored [in, out].
import { type HostTensor, type Key, ops, type Tensor } from "../engine/index.ts";
import { initWeightBias, type WeightInit } from "./init.ts";

/** A linear layer's shape and initialisation. */
export interface LinearConfig {
  inDim: number;
  outDim: number;
  /** Adds a bias b [outDim] (default true). */
  bias?: boolean;
  /** Default "torch": U(+-1/sqrt(inDim)) for w and b, as nn.Linear. */
  init?: WeightInit;
}

/** w [inDim, outDim]; b [outDim] when the layer has a bias. */
export type LinearParams<T> = {
  w: T;
  b?: T;
};

/** Draws a linear layer's parameters from `key`. */
export function initLinear(key: Key, config: LinearConfig): LinearParams<HostTensor> {
  const { inDim, outDim, bias = true, init = "torch" } = config;
  const { w, b } = initWeightBias(key, [inDim, outDim], [outDim], inDim, outDim, init);
  return bias ? { w, b } : { w };
}

/** y = x @ w + b: x [..., inDim] -> [..., outDim]. */
export function linear(params: LinearParams<Tensor>, x: Tensor): Tensor {
  const y = ops.matmul(x, params.w);
  return params.b ? ops.add(y, params.b) : y;
}
