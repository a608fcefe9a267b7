// Selection ops: topK (ONNX TopK), the k largest or smallest entries along an axis with their
// int64 indices. Used by CEM to pick elites inside a graph. Selection is piecewise constant
// in its indices, so no gradient flows through them; a gradient into the values is refused
// (gather x at the indices instead, whose gradient is defined).

import { apply } from "./apply.ts";
import { sizeOf } from "./dtype.ts";
import { ShapeError, type Tensor } from "./ir.ts";
import { ndarray } from "./kernels.ts";
import { defineOp } from "./registry.ts";
import { fmt, normAxis } from "./shape.ts";

defineOp({
  name: "topK",
  infer([x], a) {
    const axis = a.axis as number;
    const k = a.k as number;
    if (!Number.isInteger(k) || k < 1 || k > x.shape[axis]) {
      throw new ShapeError(
        `topK: k = ${k} must be in [1, ${x.shape[axis]}] for axis ${axis} of ${fmt(x.shape)}`,
      );
    }
    if (x.dtype === "bool") throw new ShapeError("topK: x must be numeric, got bool");
    const shape = x.shape.map((d, i) => (i === axis ? k : d));
    return [
      { shape, dtype: x.dtype },
      { shape: [...shape], dtype: "int64" },
    ];
  },
  grad(_node, [gValues]) {
    if (gValues) {
      throw new Error(
        "topK: its values have no gradient rule; gather x at the returned indices to differentiate",
      );
    }
    return [null];
  },
  lower(l, node, [x], outputs) {
    const { axis, k, largest } = node.attrs as { axis: number; k: number; largest: boolean };
    l.node("TopK", [x, l.int64s([k])], outputs, {
      axis: { i: axis },
      largest: { i: largest ? 1 : 0 },
      sorted: { i: 1 },
    });
  },
  evaluate([x], node) {
    const { axis, k, largest } = node.attrs as { axis: number; k: number; largest: boolean };
    const n = x.shape[axis];
    const outer = sizeOf(x.shape.slice(0, axis));
    const inner = sizeOf(x.shape.slice(axis + 1));
    const shape = [...node.outputs[0].shape];
    const values = ndarray(shape, x.dtype);
    const indices = ndarray([...shape], "int64");
    const order = new Array<number>(n);
    for (let o = 0; o < outer; o++) {
      for (let i = 0; i < inner; i++) {
        const at = (j: number) => x.data[(o * n + j) * inner + i];
        for (let j = 0; j < n; j++) order[j] = j;
        // Ties keep the lower index first, as ONNX TopK specifies.
        order.sort((p, q) => (largest ? at(q) - at(p) : at(p) - at(q)) || p - q);
        for (let j = 0; j < k; j++) {
          values.data[(o * k + j) * inner + i] = at(order[j]);
          indices.data[(o * k + j) * inner + i] = order[j];
        }
      }
    }
    return [values, indices];
  },
});

/**
 * The `k` largest (or smallest, `largest: false`) entries of x along `axis`, sorted best
 * first, and their int64 indices (ties: lower index first). No gradient flows through it.
 */
export function topK(
  x: Tensor,
  k: number,
  opts: { axis?: number; largest?: boolean } = {},
): { values: Tensor; indices: Tensor } {
  const { axis = -1, largest = true } = opts;
  const [values, indices] = apply("topK", [x], { axis: normAxis("topK", axis, x.rank), k, largest });
  return { values, indices };
}
