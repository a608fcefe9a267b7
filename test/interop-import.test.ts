// ONNX import: encoders exported by PyTorch's own exporter (test/fixtures-interop, written by
// scripts/make-interop-fixture.py) replay with engine ops and match PyTorch's outputs; a
// dynamic batch takes the batch given at import; unsupported ops fail at load by name.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import {
  compile,
  encodeModel,
  grad,
  hostTensor,
  importOnnx,
  interpret,
  ops,
  referenceBackend,
  trace,
} from "../src/engine/index.ts";
import { nodeBackend } from "../src/engine/node.ts";
import { relError, repoRoot } from "./helpers/fixtures.ts";

const dir = join(repoRoot, "test", "fixtures-interop");
interface Case {
  file: string;
  opset: number;
  dynamicBatch: boolean;
  input: { name: string; shape: number[]; data: number[] };
  output: { name: string; shape: number[]; data: number[] };
}
const expected = JSON.parse(readFileSync(join(dir, "expected.json"), "utf8")) as {
  provenance: { torch: string };
  cases: Case[];
};
const load = (c: Case, batch = c.input.shape[0]) => importOnnx(readFileSync(join(dir, c.file)), { batch });

for (const c of expected.cases) {
  test(`${c.file} (torch ${expected.provenance.torch}, opset ${c.opset}) matches PyTorch to 1e-4`, async () => {
    const model = load(c);
    assert.equal(model.opset, c.opset);
    assert.deepEqual(model.inputs, [{ name: "frames", shape: c.input.shape, dtype: "float32" }]);
    assert.deepEqual(model.outputs, [{ name: "embedding", shape: c.output.shape, dtype: "float32" }]);
    for (const backend of [nodeBackend(), referenceBackend()]) {
      const f = await compile((i) => model.apply(i), { frames: { shape: c.input.shape } }, backend);
      const out = await f.run({ frames: hostTensor(c.input.shape, c.input.data) });
      await f.release();
      const err = relError(out.embedding.data as Float32Array, c.output.data);
      assert.ok(err < 1e-4, `${backend.name}: relative error ${err} vs PyTorch`);
    }
  });
}

test("a dynamic batch dimension takes the batch given at import, and is required", () => {
  const c = expected.cases.find((x) => x.dynamicBatch)!;
  assert.throws(
    () => importOnnx(readFileSync(join(dir, c.file))),
    /input "frames" has a dynamic batch dimension "batch"; pass \{ batch: N \}/,
  );
  const model = load(c, 1);
  const frame = c.input.data.slice(0, c.input.data.length / c.input.shape[0]);
  const traced = trace((i) => model.apply(i), { frames: { shape: [1, ...c.input.shape.slice(1)] } });
  const out = interpret(traced, { frames: hostTensor([1, ...c.input.shape.slice(1)], frame) });
  const width = c.output.shape[1];
  assert.ok(relError(out.embedding.data as Float32Array, c.output.data.slice(0, width)) < 1e-4);
  assert.throws(
    () => trace((i) => model.apply(i), { frames: { shape: c.input.shape } }),
    /input "frames" is \[3,3,16,16\] but the model was imported for \[1,3,16,16\]/,
  );
});

/** A one-node model: x [2, 4] -> op -> y. */
function oneNode(
  opType: string,
  attribute: Record<string, unknown>[] = [],
  dims: (number | string)[] = [2, 4],
): Uint8Array {
  const info = (name: string, d: (number | string)[]) => ({
    name,
    type: {
      tensor_type: {
        elem_type: 1,
        shape: { dim: d.map((v) => (typeof v === "number" ? { dim_value: v } : { dim_param: v })) },
      },
    },
  });
  return encodeModel({
    ir_version: 8,
    opset_import: [{ domain: "", version: 17 }],
    graph: {
      name: "g",
      node: [{ op_type: opType, name: "the_node", input: ["x"], output: ["y"], attribute }],
      input: [info("x", dims)],
      output: [info("y", [2, 4])],
    },
  });
}

test("unsupported ops and shapes fail at load with one line naming them", () => {
  const fail = (bytes: Uint8Array, re: RegExp, opts = {}) =>
    assert.throws(
      () => importOnnx(bytes, opts),
      (err: Error) => err.name === "OnnxImportError" && re.test(err.message) && !err.message.includes("\n"),
    );
  fail(oneNode("MaxPool"), /^op MaxPool \(node "the_node"\) is not supported; see supportedOnnxOps\(\)$/);
  fail(oneNode("Relu", [], [2, "width"]), /input "x" has a symbolic dimension "width" at axis 1/);
  fail(
    oneNode("Transpose", [{ name: "perm", type: 7, ints: [0, 0] }]),
    /^op Transpose \(node "the_node"\): transpose: perm \[0,0\] is not a permutation/,
  );
  // Symbolic non-batch dimensions can be given by name.
  const ok = importOnnx(oneNode("Relu", [], [2, "width"]), { dims: { width: 4 } });
  assert.deepEqual(ok.outputs[0].shape, [2, 4]);
});

test("initializers can be overridden by traced parameters, and gradients flow through the import", () => {
  const c = expected.cases.find((x) => x.file.startsWith("cnn-mlp"))!;
  const model = load(c);
  const w = model.initializers["fc2.weight"];
  assert.deepEqual(w.shape, [16, 32]);
  const x = hostTensor(c.input.shape, c.input.data);
  const target = hostTensor(
    c.output.shape,
    c.output.data.map((v, i) => v * 0.5 + (i % 3) * 0.1),
  );
  const loss = (weight: ReturnType<typeof ops.add>, frames: typeof weight, y: typeof weight) =>
    ops.mean(ops.sub(model.apply({ frames }, { "fc2.weight": weight }).embedding, y).square());
  const spec = { w: { shape: w.shape }, frames: { shape: c.input.shape }, y: { shape: c.output.shape } };
  const traced = trace((i) => {
    const value = loss(i.w, i.frames, i.y);
    return { value, g: grad(value, [i.w])[0] };
  }, spec);
  const feeds = { w, frames: x, y: target };
  const out = interpret(traced, feeds, { precision: "float64" });
  const lossOnly = trace((i) => loss(i.w, i.frames, i.y), spec);
  const h = 1e-5;
  for (const k of [0, 37, 300]) {
    const shifted = (d: number) => {
      const data = Float64Array.from(w.data as Float32Array);
      data[k] += d;
      return interpret(
        lossOnly,
        { ...feeds, w: { shape: w.shape, dtype: "float64", data } },
        { precision: "float64" },
      ).output.data[0] as number;
    };
    const numeric = (shifted(h) - shifted(-h)) / (2 * h);
    const analytic = (out.g.data as Float64Array)[k];
    assert.ok(
      Math.abs(numeric - analytic) < 1e-6 + 1e-4 * Math.abs(numeric),
      `entry ${k}: ${analytic} vs ${numeric}`,
    );
  }
});
