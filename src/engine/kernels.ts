// Loop helpers for the reference interpreter's kernels (plain typed arrays, float64).
import { sizeOf } from "./dtype.ts";
import type { NDArray } from "./registry.ts";
import { broadcastStrides, sameShape } from "./shape.ts";

export function ndarray(shape: number[], dtype: NDArray["dtype"], data?: Float64Array): NDArray {
  return { shape, dtype, data: data ?? new Float64Array(sizeOf(shape)) };
}

/** Calls `visit(outIndex, offsets)` for every element of `out`, with each input's broadcast offset. */
export function forEachBroadcast(
  out: readonly number[],
  inputs: readonly (readonly number[])[],
  visit: (i: number, offsets: number[]) => void,
): void {
  const n = sizeOf(out);
  const strides = inputs.map((s) => broadcastStrides(s, out));
  const rank = out.length;
  const index = new Array<number>(rank).fill(0);
  const offsets = new Array<number>(inputs.length).fill(0);
  for (let i = 0; i < n; i++) {
    visit(i, offsets);
    for (let d = rank - 1; d >= 0; d--) {
      index[d]++;
      for (let k = 0; k < inputs.length; k++) offsets[k] += strides[k][d];
      if (index[d] < out[d]) break;
      for (let k = 0; k < inputs.length; k++) offsets[k] -= strides[k][d] * out[d];
      index[d] = 0;
    }
  }
}

export function mapUnary(x: NDArray, f: (v: number) => number, dtype = x.dtype): NDArray {
  const out = new Float64Array(x.data.length);
  for (let i = 0; i < out.length; i++) out[i] = f(x.data[i]);
  return { shape: [...x.shape], dtype, data: out };
}

export function mapBinary(
  a: NDArray,
  b: NDArray,
  shape: number[],
  dtype: NDArray["dtype"],
  f: (x: number, y: number) => number,
): NDArray {
  const out = new Float64Array(sizeOf(shape));
  const ad = a.data;
  const bd = b.data;
  if (sameShape(a.shape, shape) && sameShape(b.shape, shape)) {
    for (let i = 0; i < out.length; i++) out[i] = f(ad[i], bd[i]);
  } else {
    forEachBroadcast(shape, [a.shape, b.shape], (i, o) => {
      out[i] = f(ad[o[0]], bd[o[1]]);
    });
  }
  return { shape, dtype, data: out };
}

/** Copies `x` into the layout of `perm`: out[i0..] = x[index permuted]. */
export function transposeData(x: NDArray, perm: readonly number[]): NDArray {
  const shape = perm.map((p) => x.shape[p]);
  const srcStrides = stridesFor(x.shape);
  const permStrides = perm.map((p) => srcStrides[p]);
  const out = new Float64Array(x.data.length);
  const rank = shape.length;
  const index = new Array<number>(rank).fill(0);
  let src = 0;
  for (let i = 0; i < out.length; i++) {
    out[i] = x.data[src];
    for (let d = rank - 1; d >= 0; d--) {
      index[d]++;
      src += permStrides[d];
      if (index[d] < shape[d]) break;
      src -= permStrides[d] * shape[d];
      index[d] = 0;
    }
  }
  return { shape, dtype: x.dtype, data: out };
}

function stridesFor(shape: readonly number[]): number[] {
  const s = new Array<number>(shape.length);
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    s[i] = acc;
    acc *= shape[i];
  }
  return s;
}
