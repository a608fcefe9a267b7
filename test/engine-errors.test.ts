// Trace-time shape errors name the op, both shapes and a fix, and are thrown as ShapeError
// before any runtime sees the graph; the reference interpreter names a wrong feed.
import assert from "node:assert/strict";
import { test } from "node:test";
import {
  compile,
  hostTensor,
  interpret,
  ops,
  ShapeError,
  type Tensor,
  type TensorRecord,
  trace,
} from "../src/engine/index.ts";
import { nodeBackend } from "../src/engine/node.ts";

interface ErrorCase {
  name: string;
  spec: Record<string, { shape: number[]; dtype?: "float32" | "int32" | "bool" }>;
  fn: (x: TensorRecord) => Tensor;
  /** Substrings the message must contain: the op, both shapes, and words of the fix. */
  says: (string | RegExp)[];
}

const CASES: ErrorCase[] = [
  {
    name: "matmul [2,3] @ [4,5]",
    spec: { a: { shape: [2, 3] }, b: { shape: [4, 5] } },
    fn: ({ a, b }) => ops.matmul(a, b),
    says: ["matmul", "[2, 3]", "[4, 5]", /transpose or reshape/],
  },
  {
    name: "add [2,3] + [4]",
    spec: { a: { shape: [2, 3] }, b: { shape: [4] } },
    fn: ({ a, b }) => ops.add(a, b),
    says: ["add", "[2, 3]", "[4]", /reshape one/],
  },
  {
    name: "reshape [2,3,4] to [5,5]",
    spec: { x: { shape: [2, 3, 4] } },
    fn: ({ x }) => ops.reshape(x, [5, 5]),
    says: ["reshape", "[2, 3, 4]", "[5, 5]", /must hold 24 elements/],
  },
  {
    name: "conv2d with 3 input channels and a 2-channel weight",
    spec: { x: { shape: [1, 3, 8, 8] }, w: { shape: [4, 2, 3, 3] } },
    fn: ({ x, w }) => ops.conv2d(x, w),
    says: ["conv2d", "[1, 3, 8, 8]", "[4, 2, 3, 3]", /channels/],
  },
  {
    name: "conv2d kernel larger than the padded input",
    spec: { x: { shape: [1, 1, 2, 2] }, w: { shape: [1, 1, 3, 3] } },
    fn: ({ x, w }) => ops.conv2d(x, w),
    says: ["conv2d", "[1, 1, 2, 2]", "[1, 1, 3, 3]", /pad/],
  },
  {
    name: "mul with different dtypes",
    spec: { a: { shape: [2] }, b: { shape: [2], dtype: "int32" } },
    fn: ({ a, b }) => ops.mul(a, b),
    says: ["mul", "float32[2]", "int32[2]", /cast/],
  },
  {
    name: "concat of mismatched shapes",
    spec: { a: { shape: [2, 3] }, b: { shape: [3, 3] } },
    fn: ({ a, b }) => ops.concat([a, b], 1),
    says: ["concat", "[2, 3]", "[3, 3]", /must agree/],
  },
  {
    name: "layerNorm with a wrong gamma",
    spec: { x: { shape: [2, 4] }, g: { shape: [3] }, b: { shape: [4] } },
    fn: ({ x, g, b }) => ops.layerNorm(x, g, b),
    says: ["layerNorm", "[3]", "[2, 4]", /must be \[4\]/],
  },
  {
    name: "gather with float indices",
    spec: { x: { shape: [4, 2] }, i: { shape: [3] } },
    fn: ({ x, i }) => ops.gather(x, i),
    says: ["gather", "float32", /int32 or int64/],
  },
  {
    name: "logical and of floats",
    spec: { a: { shape: [2] }, b: { shape: [2] } },
    fn: ({ a, b }) => ops.logicalAnd(a, b),
    says: ["and", "float32", /bool/],
  },
  {
    name: "less of bool tensors",
    spec: { a: { shape: [2], dtype: "bool" }, b: { shape: [2], dtype: "bool" } },
    fn: ({ a, b }) => ops.less(a, b),
    says: ["less", "bool[2]", /cast/],
  },
  {
    name: "log of an integer tensor",
    spec: { x: { shape: [2], dtype: "int32" } },
    fn: ({ x }) => ops.log(x),
    says: ["log", "int32", /cast/],
  },
  {
    name: "slice outside the axis",
    spec: { x: { shape: [2, 3] } },
    fn: ({ x }) => ops.slice(x, 1, 4, 5),
    says: ["slice", "[2, 3]", "4:5"],
  },
  {
    name: "broadcastTo an incompatible shape",
    spec: { x: { shape: [3, 2] } },
    fn: ({ x }) => ops.broadcastTo(x, [3, 4]),
    says: ["broadcastTo", "[3, 2]", "[3, 4]"],
  },
  {
    name: "where with a float condition",
    spec: { c: { shape: [2] }, a: { shape: [2] } },
    fn: ({ c, a }) => ops.where(c, a, 0),
    says: ["where", "bool", /compare/],
  },
];

for (const c of CASES) {
  test(`shape error: ${c.name}`, async () => {
    const check = (err: unknown): boolean => {
      assert.ok(err instanceof ShapeError, `expected a ShapeError, got ${String(err)}`);
      assert.ok(!err.message.includes("\n"), `one line: ${err.message}`);
      for (const s of c.says) {
        if (typeof s === "string") assert.ok(err.message.includes(s), `"${err.message}" should mention ${s}`);
        else assert.match(err.message, s);
      }
      return true;
    };
    assert.throws(() => trace(c.fn, c.spec), check);
    // Compiling for ONNX Runtime fails the same way, at trace time, before a session exists.
    await assert.rejects(compile(c.fn, c.spec, nodeBackend({ intraOpThreads: 1 })), check);
  });
}

test("the reference interpreter names an input fed with the wrong shape, size or dtype", () => {
  const traced = trace(({ images, t }) => ops.add(images, ops.cast(t, "float32")), {
    images: { shape: [2, 3] },
    t: { shape: [3], dtype: "int32" },
  });
  const t = hostTensor([3], [1, 2, 3], "int32");
  assert.throws(
    () => interpret(traced, { images: hostTensor([3, 2], [1, 2, 3, 4, 5, 6]), t }),
    /input "images" has shape \[3,2\] but the graph was compiled for \[2,3\]/,
  );
  assert.throws(
    () => interpret(traced, { images: { shape: [2, 3], dtype: "float32", data: new Float32Array(5) }, t }),
    /input "images" holds 5 values; shape \[2,3\] needs 6/,
  );
  assert.throws(
    () =>
      interpret(traced, { images: hostTensor([2, 3], [1, 2, 3, 4, 5, 6]), t: hostTensor([3], [1, 2, 3]) }),
    /input "t" is float32 but the graph expects int32/,
  );
  assert.throws(
    () => interpret(traced, { t }),
    /input "images" is missing; pass a float32 tensor of shape \[2,3\]/,
  );
});
