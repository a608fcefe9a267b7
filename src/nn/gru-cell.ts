// A gated recurrent unit cell (Cho et al. 2014) with PyTorch's nn.GRUCell equations and gate
// order (r, z, n); weights are stored [in, 3H] so that gates = x @ w + b, like linear.ts.
//   r = sigmoid(x Wir + bir + h Whr + bhr)
//   z = sigmoid(x Wiz + biz + h Whz + bhz)
//   n = tanh(x Win + bin + r * (h Whn + bhn))
//   h' = (1 - z) * n + z * h
import { type HostTensor, type Key, ops, split, type Tensor } from "../engine/index.ts";
import { torchUniform } from "./init.ts";

/** A GRU cell mapping inputs of width inDim and a state of width hiddenDim to a new state. */
export interface GruCellConfig {
  inDim: number;
  hiddenDim: number;
}

/**
 * wIh [inDim, 3H] and wHh [H, 3H] hold the r, z, n gates in that column order; bIh, bHh [3H]
 * (PyTorch's weight_ih / weight_hh transposed).
 */
export type GruCellParams<T> = {
  wIh: T;
  wHh: T;
  bIh: T;
  bHh: T;
};

/** Every weight and bias from U(+-1/sqrt(hiddenDim)), as nn.GRUCell. */
export function initGruCell(key: Key, config: GruCellConfig): GruCellParams<HostTensor> {
  const { inDim, hiddenDim: h } = config;
  const [k1, k2, k3, k4] = split(key, 4);
  return {
    wIh: torchUniform(k1, [inDim, 3 * h], h),
    wHh: torchUniform(k2, [h, 3 * h], h),
    bIh: torchUniform(k3, [3 * h], h),
    bHh: torchUniform(k4, [3 * h], h),
  };
}

/** One step: x [B, inDim], h [B, H] -> h' [B, H]. */
export function gruCell(params: GruCellParams<Tensor>, x: Tensor, h: Tensor, config: GruCellConfig): Tensor {
  const { hiddenDim: hd } = config;
  if (h.shape[h.rank - 1] !== hd) throw new Error(`gruCell: state [${h.shape}] must end in hiddenDim ${hd}`);
  const [xr, xz, xn] = ops.split(ops.add(ops.matmul(x, params.wIh), params.bIh), -1, [hd, hd, hd]);
  const [hr, hz, hn] = ops.split(ops.add(ops.matmul(h, params.wHh), params.bHh), -1, [hd, hd, hd]);
  const r = ops.sigmoid(ops.add(xr, hr));
  const z = ops.sigmoid(ops.add(xz, hz));
  const n = ops.tanh(ops.add(xn, ops.mul(r, hn)));
  return ops.add(n, ops.mul(z, ops.sub(h, n))); // (1 - z) n + z h
}
