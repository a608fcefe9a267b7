// The ONNX emitter: models decode back (protobufjs) with the nodes, initializers, inputs,
// outputs, opset and metadata that were emitted.
import assert from "node:assert/strict";
import { test } from "node:test";
// The engine's public face loads first: entering through emit-onnx.ts alone hits the
// registry <-> ir import cycle before the op registry exists.
import "../src/engine/index.ts";
import { lowerGraph } from "../src/engine/emit-onnx.ts";
import { constant, decodeModel, grad, hostTensor, ops, toOnnx, trace } from "../src/engine/index.ts";

// biome-ignore lint/suspicious/noExplicitAny: decoded protobuf objects are untyped JSON.
type Obj = Record<string, any>;

test("a small model round-trips through decodeModel", () => {
  const w = hostTensor([3, 2], [1, -2, 3, -4, 5, -6]);
  const b = hostTensor([2], [0.5, -0.25]);
  const traced = trace(({ x }) => ({ y: ops.relu(ops.add(ops.matmul(x, constant(w)), constant(b))) }), {
    x: { shape: [4, 3] },
  });
  const model = decodeModel(
    toOnnx(traced, { metadata: { config: '{"width":2}' }, graphName: "tiny" }),
  ) as Obj;
  assert.deepEqual(model.opset_import, [{ version: 18 }]);
  assert.equal(model.producer_name, "jepa-ts");
  assert.deepEqual(model.metadata_props, [{ key: "config", value: '{"width":2}' }]);
  const graph = model.graph as Obj;
  assert.equal(graph.name, "tiny");
  assert.deepEqual(
    graph.node.map((n: Obj) => n.op_type),
    ["MatMul", "Add", "Relu"],
  );
  assert.equal(graph.node[2].output[0], "y");
  assert.deepEqual(
    graph.input.map((v: Obj) => [
      v.name,
      v.type.tensor_type.elem_type,
      v.type.tensor_type.shape.dim.map((d: Obj) => d.dim_value),
    ]),
    [["x", 1, [4, 3]]],
  );
  assert.deepEqual(
    graph.output.map((v: Obj) => [v.name, v.type.tensor_type.shape.dim.map((d: Obj) => d.dim_value)]),
    [["y", [4, 2]]],
  );
  // The two constants are the initializers the MatMul and Add read, with their bytes intact.
  assert.equal(graph.initializer.length, 2);
  const [wName, bName] = [graph.node[0].input[1], graph.node[1].input[1]];
  assert.deepEqual(
    graph.initializer.map((t: Obj) => t.name),
    [wName, bName],
  );
  const values = (t: Obj) => Array.from(new Float32Array(new Uint8Array(t.raw_data).buffer));
  assert.deepEqual(values(graph.initializer[0]), [1, -2, 3, -4, 5, -6]);
  assert.deepEqual(graph.initializer[0].dims, [3, 2]);
  assert.deepEqual(values(graph.initializer[1]), [0.5, -0.25]);
});

test("a gradient graph decodes with the emitter's node count and initializer names", () => {
  const traced = trace(
    ({ x, w, idx }) => {
      const h = ops.gelu(ops.matmul(ops.gather(x, idx), w), "tanh");
      const loss = ops.mean(ops.mul(h, h));
      const [gx, gw] = grad(loss, [x, w]);
      return { loss, gx, gw };
    },
    { x: { shape: [5, 3] }, w: { shape: [3, 4] }, idx: { shape: [6], dtype: "int64" } },
  );
  const lowered = lowerGraph(traced);
  const model = decodeModel(toOnnx(traced)) as Obj;
  const graph = model.graph as Obj;
  assert.ok(lowered.nodes.length > 10);
  assert.equal(graph.node.length, lowered.nodes.length);
  assert.deepEqual(
    graph.node.map((n: Obj) => n.op_type),
    lowered.nodes.map((n) => n.op_type),
  );
  assert.deepEqual(
    graph.initializer.map((t: Obj) => t.name),
    lowered.initializers.map((t) => t.name),
  );
  assert.ok(graph.node.some((n: Obj) => n.op_type === "ScatterND"));
  assert.deepEqual(
    graph.output.map((v: Obj) => v.name),
    ["loss", "gx", "gw"],
  );
  assert.deepEqual(
    graph.input.map((v: Obj) => [v.name, v.type.tensor_type.elem_type]),
    [
      ["x", 1],
      ["w", 1],
      ["idx", 7],
    ],
  );
  // Every value a node reads is a graph input, an initializer or an earlier node's output.
  const known = new Set<string>([
    ...graph.input.map((v: Obj) => v.name),
    ...graph.initializer.map((t: Obj) => t.name),
  ]);
  for (const n of graph.node) {
    for (const name of n.input ?? [])
      if (name !== "") assert.ok(known.has(name), `${n.op_type} reads undefined ${name}`);
    for (const name of n.output) known.add(name);
  }
  for (const v of graph.output) assert.ok(known.has(v.name), `output ${v.name} is never produced`);
});

test("tanh GELU: FastGelu only with contrib ops allowed and nothing reading its second output", () => {
  const opTypes = (traced: ReturnType<typeof trace>, contribOps: boolean) => {
    const model = decodeModel(toOnnx(traced, { contribOps })) as Obj;
    return { ops: (model.graph as Obj).node.map((n: Obj) => n.op_type), opsets: model.opset_import };
  };
  const inference = trace(({ x }) => ({ y: ops.gelu(x, "tanh") }), { x: { shape: [2, 3] } });
  assert.deepEqual(opTypes(inference, true), {
    ops: ["FastGelu"],
    opsets: [{ version: 18 }, { domain: "com.microsoft", version: 1 }],
  });
  // Exported models stay standard ONNX.
  assert.ok(!opTypes(inference, false).ops.includes("FastGelu"));
  assert.deepEqual(opTypes(inference, false).opsets, [{ version: 18 }]);
  // A training graph reads the second output in the backward pass: the standard-op form.
  const training = trace(
    ({ x }) => {
      const y = ops.gelu(x, "tanh");
      return { y, g: grad(ops.sum(y), [x])[0] };
    },
    { x: { shape: [2, 3] } },
  );
  assert.ok(!opTypes(training, true).ops.includes("FastGelu"));
  // The exact form never becomes FastGelu.
  const exact = trace(({ x }) => ({ y: ops.gelu(x) }), { x: { shape: [2, 3] } });
  assert.ok(!opTypes(exact, true).ops.includes("FastGelu"));
});

test("a sum over many leading rows lowers to products with ones, a short one to ReduceSum", () => {
  const opsOf = (shape: number[]) =>
    lowerGraph(
      trace(({ x }) => ({ y: ops.sum(x, [0, 1]) }), { x: { shape } }),
      18,
      false,
      1,
      true,
    ).nodes.map((n) => n.op_type);
  const long = opsOf([64, 64, 32]);
  assert.ok(!long.includes("ReduceSum"), long.join(" "));
  assert.equal(long.filter((op) => op === "MatMul").length, 2);
  assert.deepEqual(opsOf([4, 8, 32]), ["ReduceSum"]);
  // Without sumsAsProducts (onnxruntime-web, exported models): ReduceSum at any size.
  const plain = lowerGraph(trace(({ x }) => ({ y: ops.sum(x, [0, 1]) }), { x: { shape: [64, 64, 32] } }));
  assert.deepEqual(
    plain.nodes.map((n) => n.op_type),
    ["ReduceSum"],
  );
});
