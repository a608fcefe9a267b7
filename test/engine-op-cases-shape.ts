// Op cases for shape ops (reshape, transpose, slice, pad, concat, split, expand, gather,
// scatter-add) and reductions (sum, mean, max).
import { ops } from "../src/engine/index.ts";
import type { OpCase } from "./engine-op-harness.ts";

const REDUCE_AXES: (number | number[] | undefined)[] = [undefined, 0, 1, -1, [0, 2], [1, 2]];

export const shapeCases: OpCase[] = [
  {
    name: "topK largest and smallest along an axis, with indices (no gradient)",
    ops: ["topK"],
    inputs: { x: { shape: [3, 5] } },
    fn: ({ x }) => {
      const small = ops.topK(x, 2, { axis: 1, largest: false });
      const large = ops.topK(x, 3, { axis: 0, largest: true });
      return [small.values, small.indices, large.values, large.indices];
    },
    wrt: [],
  },
  {
    name: "reshape with -1 and to a scalar",
    ops: ["reshape"],
    inputs: { x: { shape: [2, 3, 4] }, s: { shape: [1, 1] } },
    fn: ({ x, s }) => [ops.reshape(x, [6, -1]), ops.reshape(x, [4, 3, 2]), ops.reshape(s, [])],
  },
  {
    name: "transpose (reverse, middle swap, 4-D)",
    ops: ["transpose"],
    inputs: { x: { shape: [2, 3, 4] }, y: { shape: [2, 1, 3, 2] } },
    fn: ({ x, y }) => [
      ops.transpose(x),
      ops.transpose(x, [0, 2, 1]),
      ops.transpose(y, [2, 0, 3, 1]),
      ops.swapLast(y),
    ],
  },
  {
    name: "slice on each axis with negative bounds",
    ops: ["slice"],
    inputs: { x: { shape: [3, 4, 5] } },
    fn: ({ x }) => [
      ops.slice(x, 0, 1, 3),
      ops.slice(x, 1, -3, -1),
      ops.slice(x, -1, 2, 5),
      ops.slice(ops.slice(x, 2, 0, 1), 0, 0, 1),
    ],
  },
  {
    name: "pad before and after on several axes",
    ops: ["pad"],
    inputs: { x: { shape: [2, 3, 2] } },
    fn: ({ x }) => [ops.pad(x, [1, 0, 2], [0, 2, 1]), ops.pad(x, [0, 1, 0], [0, 0, 0])],
  },
  {
    name: "concat along a middle axis and the first",
    ops: ["concat"],
    inputs: { a: { shape: [2, 1, 3] }, b: { shape: [2, 4, 3] }, c: { shape: [2, 2, 3] } },
    fn: ({ a, b, c }) => [ops.concat([a, b, c], 1), ops.concat([b, b], 0)],
  },
  {
    name: "split, every output used",
    ops: ["split"],
    inputs: { x: { shape: [2, 6, 3] } },
    fn: ({ x }) => ops.split(x, 1, [1, 2, 3]),
  },
  {
    name: "split, only some outputs used",
    ops: ["split"],
    inputs: { x: { shape: [5, 2] } },
    fn: ({ x }) => {
      const [, middle, , last] = ops.split(x, 0, [1, 2, 1, 1]);
      return [middle, ops.mul(last, last)];
    },
  },
  {
    name: "split along the last axis, one output used",
    ops: ["split"],
    inputs: { x: { shape: [3, 4] } },
    fn: ({ x }) => ops.exp(ops.split(x, -1, [3, 1])[0]),
  },
  {
    name: "broadcastTo (expand) from lower rank, size-1 axes and a scalar",
    ops: ["expand"],
    inputs: { a: { shape: [3, 1] }, b: { shape: [] }, c: { shape: [1, 4] } },
    fn: ({ a, b, c }) => [
      ops.broadcastTo(a, [2, 3, 4]),
      ops.broadcastTo(b, [2, 3]),
      ops.broadcastTo(c, [3, 4]),
    ],
  },
  ...(["int32", "int64"] as const).flatMap((dtype): OpCase[] => [
    {
      name: `gather axis 0 with repeated ${dtype} indices`,
      ops: ["gather", "scatterAddRows"],
      inputs: { x: { shape: [5, 3] }, idx: { shape: [6], dtype, values: [4, 0, 4, 2, 4, 0] } },
      fn: ({ x, idx }) => ops.gather(x, idx, 0),
    },
    {
      name: `gather a middle axis with 2-D repeated ${dtype} indices`,
      ops: ["gather", "scatterAddRows"],
      inputs: { x: { shape: [2, 4, 3] }, idx: { shape: [2, 3], dtype, values: [1, 3, 1, 0, 1, 3] } },
      fn: ({ x, idx }) => ops.gather(x, idx, 1),
    },
    {
      name: `gather the last axis with negative ${dtype} indices`,
      ops: ["gather", "scatterAddRows"],
      inputs: { x: { shape: [3, 4] }, idx: { shape: [3], dtype, values: [-1, 0, -1] } },
      fn: ({ x, idx }) => ops.gather(x, idx, -1),
    },
    {
      name: `scatterAddRows with repeated ${dtype} indices`,
      ops: ["scatterAddRows", "gather"],
      inputs: { u: { shape: [4, 2, 3] }, idx: { shape: [4], dtype, values: [2, 0, 2, 2] } },
      fn: ({ u, idx }) => ops.scatterAddRows(u, idx, 5),
    },
  ]),
  ...(["sum", "mean", "max"] as const).flatMap((name) =>
    REDUCE_AXES.flatMap((axes) =>
      [false, true].map(
        (keepdims): OpCase => ({
          name: `${name} over ${JSON.stringify(axes ?? "all")}${keepdims ? " keepdims" : ""}`,
          ops: [`reduce_${name}`],
          inputs: { x: { shape: [2, 3, 4] } },
          fn: ({ x }) => ops[name](x, axes, keepdims),
        }),
      ),
    ),
  ),
  // Sums over leading axes of at least 256 rows lower to products with a row of ones: in two
  // stages where the row count factors (320 = 16 * 20), in one where it is prime (257).
  ...[
    { shape: [16, 20, 24], axes: [0, 1] },
    { shape: [320, 2, 8], axes: [0] },
    { shape: [257, 16], axes: [0] },
  ].flatMap(({ shape, axes }) =>
    [false, true].map(
      (keepdims): OpCase => ({
        name: `sum over leading axes ${JSON.stringify(axes)} of [${shape}]${keepdims ? " keepdims" : ""}`,
        ops: ["reduce_sum"],
        inputs: { x: { shape } },
        fn: ({ x }) => ops.sum(x, axes, keepdims),
      }),
    ),
  ),
  {
    name: "max with ties shares the gradient (forward and ONNX Runtime only)",
    ops: ["reduce_max"],
    inputs: { x: { shape: [2, 3], values: [1, 3, 3, 2, 2, -1] } },
    fn: ({ x }) => ops.max(x, 1),
    wrt: [],
  },
];
