// Gather along an axis (ONNX Gather; token masks) and its gradient, scatter-add of rows.
import { apply1 } from "./apply.ts";
import { hostTensor, sizeOf } from "./dtype.ts";
import { ShapeError, type Tensor } from "./ir.ts";
import { ndarray } from "./kernels.ts";
import { reshape, transpose } from "./ops-shape-reduce.ts";
import { defineOp } from "./registry.ts";
import { fmt, normAxis } from "./shape.ts";

// ---------- gather and scatter-add ----------
defineOp({
  name: "gather",
  infer([x, idx], a) {
    if (idx.dtype !== "int64" && idx.dtype !== "int32") {
      throw new ShapeError(`gather: indices must be int32 or int64, got ${idx.dtype}`);
    }
    const axis = a.axis as number;
    return [{ shape: [...x.shape.slice(0, axis), ...idx.shape, ...x.shape.slice(axis + 1)], dtype: x.dtype }];
  },
  grad(node, [g]) {
    if (!g) return [null, null];
    const [x, idx] = node.inputs;
    const axis = node.attrs.axis as number;
    const outer = sizeOf(x.shape.slice(0, axis));
    const inner = sizeOf(x.shape.slice(axis + 1));
    const m = idx.size;
    const n = x.shape[axis];
    let rows = reshape(g, [outer, m, inner]);
    if (outer > 1) rows = transpose(rows, [1, 0, 2]);
    rows = reshape(rows, [m, outer, inner]);
    let dx = scatterAddRows(rows, reshape(idx, [m]), n); // [n, outer, inner]
    if (outer > 1) dx = transpose(dx, [1, 0, 2]);
    return [reshape(dx, x.shape), null];
  },
  lower(l, node, inputs, outputs) {
    l.node("Gather", inputs, outputs, { axis: { i: node.attrs.axis as number } });
  },
  evaluate([x, idx], node) {
    const axis = node.attrs.axis as number;
    const outer = sizeOf(x.shape.slice(0, axis));
    const inner = sizeOf(x.shape.slice(axis + 1));
    const n = x.shape[axis];
    const out = ndarray([...node.outputs[0].shape], x.dtype);
    const m = idx.data.length;
    for (let o = 0; o < outer; o++) {
      for (let j = 0; j < m; j++) {
        const k = idx.data[j] < 0 ? idx.data[j] + n : idx.data[j];
        if (k < 0 || k >= n)
          throw new RangeError(`gather: index ${idx.data[j]} is out of range for size ${n}`);
        out.data.set(x.data.subarray((o * n + k) * inner, (o * n + k + 1) * inner), (o * m + j) * inner);
      }
    }
    return [out];
  },
});
/** Takes entries of x at `indices` along an axis (ONNX Gather); the gradient scatter-adds. */
export function gather(x: Tensor, indices: Tensor, axis = 0): Tensor {
  return apply1("gather", [x, indices], { axis: normAxis("gather", axis, x.rank) });
}

defineOp({
  name: "scatterAddRows",
  infer([u, idx], a) {
    if (idx.shape.length !== 1 || idx.shape[0] !== u.shape[0]) {
      throw new ShapeError(
        `scatterAddRows: indices ${fmt(idx.shape)} must be [${u.shape[0]}] for updates ${fmt(u.shape)}`,
      );
    }
    return [{ shape: [a.rows as number, ...u.shape.slice(1)], dtype: u.dtype }];
  },
  grad: (node, [g]) => [g ? gather(g, node.inputs[1], 0) : null, null],
  lower(l, node, [u, idx], outputs) {
    const out = node.outputs[0];
    const zeros = l.fresh("zeros");
    l.node("ConstantOfShape", [l.int64s(out.shape)], [zeros], {
      value: { t: hostTensor([1], [0], out.dtype) },
    });
    let index = idx;
    if (node.inputs[1].dtype !== "int64") {
      index = l.fresh("idx64");
      l.node("Cast", [idx], [index], { to: { i: 7 } });
    }
    const column = l.fresh("idxcol");
    l.node("Reshape", [index, l.int64s([-1, 1])], [column]);
    l.node("ScatterND", [zeros, column, u], outputs, { reduction: { s: "add" } });
  },
  evaluate([u, idx], node) {
    const out = ndarray([...node.outputs[0].shape], u.dtype);
    const inner = sizeOf(u.shape.slice(1));
    const rows = node.attrs.rows as number;
    for (let j = 0; j < idx.data.length; j++) {
      // Negative indices count from the end, as in gather (whose gradient this is).
      const k = idx.data[j] < 0 ? idx.data[j] + rows : idx.data[j];
      if (k < 0 || k >= rows) {
        throw new RangeError(`scatterAddRows: index ${idx.data[j]} is out of range for ${rows} rows`);
      }
      for (let i = 0; i < inner; i++) out.data[k * inner + i] += u.data[j * inner + i];
    }
    return [out];
  },
});
/** out[indices[j]] += updates[j], into `rows` zero rows: the gradient of gather. */
export function scatterAddRows(updates: Tensor, indices: Tensor, rows: number): Tensor {
  return apply1("scatterAddRows", [updates, indices], { rows });
}
