// A multilayer perceptron: linear layers with an activation between them and an optional
// layer norm on the output.
import { type HostTensor, type Key, ops, split, type Tensor } from "../engine/index.ts";
import type { WeightInit } from "./init.ts";
import { initLayerNorm, type LayerNormParams, layerNorm } from "./layer-norm.ts";
import { initLinear, type LinearParams, linear } from "./linear.ts";

/** Nonlinearities by name: "gelu" is the exact erf form, "gelu-tanh" the tanh approximation. */
export type Activation = "gelu" | "gelu-tanh" | "relu" | "silu" | "tanh";

/** Applies a named activation elementwise. */
export function activate(x: Tensor, activation: Activation): Tensor {
  switch (activation) {
    case "gelu":
      return ops.gelu(x, "none");
    case "gelu-tanh":
      return ops.gelu(x, "tanh");
    case "relu":
      return ops.relu(x);
    case "silu":
      return ops.silu(x);
    case "tanh":
      return ops.tanh(x);
  }
}

/** inDim -> hidden[0] -> ... -> outDim. */
export interface MlpConfig {
  inDim: number;
  /** Widths of the hidden layers (may be empty: one linear layer). */
  hidden: number[];
  outDim: number;
  /** Between layers, not after the last (default "gelu-tanh", as the reference predictor). */
  activation?: Activation;
  /** A layer norm (with affine) after the last layer (default false). */
  finalNorm?: boolean;
  /** Biases on every layer (default true). */
  bias?: boolean;
  init?: WeightInit;
}

/** One linear layer per step; `norm` when finalNorm is set. */
export type MlpParams<T> = {
  layers: LinearParams<T>[];
  norm?: LayerNormParams<T>;
};

/** Draws an MLP's parameters: one subkey per layer. */
export function initMlp(key: Key, config: MlpConfig): MlpParams<HostTensor> {
  const { inDim, hidden, outDim, finalNorm = false, bias = true, init = "torch" } = config;
  const dims = [inDim, ...hidden, outDim];
  const keys = split(key, dims.length);
  const layers = dims
    .slice(1)
    .map((outD, i) => initLinear(keys[i], { inDim: dims[i], outDim: outD, bias, init }));
  return finalNorm ? { layers, norm: initLayerNorm(keys[dims.length - 1], { dim: outDim }) } : { layers };
}

/** x [..., inDim] -> [..., outDim]. */
export function mlp(params: MlpParams<Tensor>, x: Tensor, config: MlpConfig): Tensor {
  const { outDim, activation = "gelu-tanh" } = config;
  let h = x;
  params.layers.forEach((layer, i) => {
    h = linear(layer, h);
    if (i < params.layers.length - 1) h = activate(h, activation);
  });
  return params.norm ? layerNorm(params.norm, h, { dim: outDim }) : h;
}
