// ONNX import: encoders exported by PyTorch's own exporter (test/fixtures-interop, written by
// scripts/make-interop-fixture.py) replay with engine ops and match PyTorch's outputs; a
// dynamic batch takes the batch given at import; unsupported ops fail at load by name.
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import {
  compile,
  decodeModel,
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
import { importOnnxFile } from "../src/engine/onnx-import-file.ts";
import { frozenEncoder } from "../src/world/index.ts";
import { relError, repoRoot } from "./helpers/fixtures.ts";
import { tempDir } from "./train-helpers.ts";

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

test("weights in an external data file import through importOnnxFile, and fail clearly without it", async () => {
  const c = expected.cases.find((x) => x.file.startsWith("cnn-mlp"))!;
  const proto = decodeModel(readFileSync(join(dir, c.file))) as {
    graph: { initializer: Record<string, unknown>[] };
  };
  // Move every initializer's bytes to one file at odd offsets (unaligned for float32).
  const chunks: Uint8Array[] = [];
  let offset = 1;
  for (const t of proto.graph.initializer) {
    const raw = t.raw_data as Uint8Array;
    chunks.push(raw);
    t.external_data = [
      { key: "location", value: "weights.bin" },
      { key: "offset", value: String(offset) },
      { key: "length", value: String(raw.length) },
    ];
    t.data_location = 1;
    delete t.raw_data;
    offset += raw.length;
  }
  const out = tempDir("external");
  writeFileSync(join(out, "weights.bin"), Buffer.concat([new Uint8Array(1), ...chunks]));
  writeFileSync(join(out, "model.onnx"), encodeModel(proto));
  const model = importOnnxFile(join(out, "model.onnx"));
  const f = await compile((i) => model.apply(i), { frames: { shape: c.input.shape } }, nodeBackend());
  const y = (await f.run({ frames: hostTensor(c.input.shape, c.input.data) })).embedding;
  await f.release();
  assert.ok(relError(y.data as Float32Array, c.output.data) < 1e-4);

  const bytes = readFileSync(join(out, "model.onnx"));
  assert.throws(
    () => importOnnx(bytes),
    /^OnnxImportError: initializer "c1.weight" keeps its data in the external file "weights.bin"; import with importOnnxFile\(path\)/,
  );
  assert.throws(
    () => importOnnx(bytes, { externalData: () => new Uint8Array(10) }),
    /initializer "c1.weight": bytes 1..865 of "weights.bin" lie outside the file \(10 bytes\)/,
  );
  proto.graph.initializer[0].external_data = [{ key: "location", value: "../elsewhere.bin" }];
  assert.throws(
    () => importOnnx(encodeModel(proto), { externalData: () => new Uint8Array(0) }),
    /external data location "..\/elsewhere.bin" must be a relative path inside the model's folder/,
  );
});

test("a frame adapter picks channels, resizes as torch's F.interpolate, pads and normalises in the graph", () => {
  // An Identity model over [1, C, H, W]: its output is the adapted frame.
  const info = (name: string, dims: number[]) => ({
    name,
    type: { tensor_type: { elem_type: 1, shape: { dim: dims.map((v) => ({ dim_value: v })) } } },
  });
  const identity = (dims: number[]) =>
    importOnnx(
      encodeModel({
        ir_version: 8,
        opset_import: [{ domain: "", version: 17 }],
        graph: {
          name: "g",
          node: [{ op_type: "Identity", name: "id", input: ["x"], output: ["y"] }],
          input: [info("x", dims)],
          output: [info("y", dims)],
        },
      }),
    );
  const run = (enc: ReturnType<typeof frozenEncoder>, data: number[]) =>
    Array.from(
      interpret(
        trace((i) => ({ y: enc.encode(i.x) }), { x: { shape: [1, ...enc.frame] } }),
        {
          x: hostTensor([1, ...enc.frame], data),
        },
      ).y.data as Float32Array,
    );
  const close = (actual: number[], expected: number[], what: string) =>
    expected.forEach((v, i) => {
      assert.ok(Math.abs(actual[i] - v) < 1e-4, `${what} [${i}]: ${actual[i]} vs ${v}`);
    });
  const x = [0, 11, 25, 30, 41, 55]; // [1, 1, 2, 3]
  // torch.nn.functional.interpolate(x, size=(4, 5), mode="bilinear", align_corners=False), 1.13
  const bilinear = [
    0, 4.4, 11, 19.4, 25, 7.5, 11.9, 18.5, 26.9, 32.5, 22.5, 26.9, 33.5, 41.9, 47.5, 30, 34.4, 41, 49.4, 55,
  ];
  const rgb = frozenEncoder(identity([1, 3, 4, 5]), { adapter: { from: [1, 2, 3] } });
  assert.deepEqual(rgb.frame, [1, 2, 3]);
  assert.deepEqual(rgb.modelFrame, [3, 4, 5]);
  const y = run(rgb, x);
  for (let ch = 0; ch < 3; ch++) close(y.slice(ch * 20, ch * 20 + 20), bilinear, `channel ${ch}`);
  // mode="nearest"
  const near = frozenEncoder(identity([1, 1, 4, 5]), { adapter: { from: [1, 2, 3], resize: "nearest" } });
  assert.deepEqual(
    run(near, x),
    [0, 0, 11, 11, 25, 0, 0, 11, 11, 25, 30, 30, 41, 41, 55, 30, 30, 41, 41, 55],
  );
  // Shrinking: torch's 6x6 -> 4x4 bilinear (no antialiasing), first three rows.
  const down = frozenEncoder(identity([1, 1, 4, 4]), { adapter: { from: [1, 6, 6] } });
  const ramp = Array.from({ length: 36 }, (_, i) => i);
  close(
    run(down, ramp),
    [1.75, 3.25, 4.75, 6.25, 10.75, 12.25, 13.75, 15.25, 19.75, 21.25, 22.75, 24.25],
    "6->4",
  );
  // Two channels to three (the third zero), centred padding, then (x / 255 - mean) / std.
  const padded = frozenEncoder(identity([1, 3, 4, 5]), {
    adapter: {
      from: [2, 2, 3],
      resize: "pad",
      channels: [1, 0, -1],
      scale: 1 / 255,
      mean: [0.5, 0, 1],
      std: [2, 1, 0.5],
    },
  });
  const out = run(padded, [...x, 255, 255, 255, 0, 0, 0]);
  // Channel 0 reads source channel 1 (rows of 255 then 0) into rows 1-2, columns 1-3.
  close(out.slice(0, 20), [-0.25, -0.25, -0.25, -0.25, -0.25, -0.25, 0.25, 0.25, 0.25, -0.25], "channel 0");
  close(out.slice(10, 20), new Array(10).fill(-0.25), "channel 0, rows 2-3");
  close([out[20 + 5 + 2]], [11 / 255], "channel 1");
  close(out.slice(40), new Array(20).fill(-2), "channel 2");
  assert.throws(
    () => frozenEncoder(identity([1, 3, 4, 5]), { adapter: { from: [2, 2, 3] } }),
    /adapter from \[2,2,3\] to the model's \[3,4,5\]: 2 channels cannot become 3; say which with `channels`/,
  );
  assert.throws(
    () => frozenEncoder(identity([1, 3, 4, 5]), { adapter: { from: [3, 8, 8], resize: "pad" } }),
    /"pad" cannot shrink a frame/,
  );
});
