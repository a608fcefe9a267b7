// Lowers a traced graph to an ONNX model: graph inputs and outputs keep their names, constants
// become initializers, every other node is lowered by its op definition (DESIGN.md, "The engine").
import { type DType, type HostTensor, hostTensor } from "./dtype.ts";
import { liveNodes } from "./interpreter.ts";
import type { Node } from "./ir.ts";
import { ATTR_TYPE, encodeModel, ONNX_TYPE } from "./onnx-proto.ts";
import { getOp, type Lowering, type OnnxAttr } from "./registry.ts";
import type { Traced } from "./trace.ts";

export interface EmitOptions {
  /** Opset of the default ONNX domain (18: LayerNormalization, Reduce* with axes inputs). */
  opset?: number;
  graphName?: string;
  docString?: string;
  /** Stored as metadata_props: config, normalisation, anything a user of the file needs. */
  metadata?: Record<string, string>;
  /**
   * Allow ONNX Runtime's contrib ops (com.microsoft), e.g. FastGelu in inference graphs
   * (default false: exported models stay standard ONNX; the ONNX Runtime backends set it).
   */
  contribOps?: boolean;
  /**
   * Row blocks for products of a [M, K] activation with a constant [K, N] weight where N > M
   * (default 1: plain MatMul). See matmulRowBlocks in ops-nn.ts; the ONNX Runtime backends
   * pass their intra-op thread count.
   */
  rowBlocks?: number;
  /**
   * Lower sums over many leading rows (bias and norm-scale gradients) as products with a row
   * of ones (default false: ReduceSum). onnxruntime-node sets it: its ReduceSum over leading
   * axes is 2-4x slower than those products. onnxruntime-web does not: in WASM the products
   * made the two-rooms demo's training step ~40 % slower (139 vs 99 ms a step, bench:web).
   */
  sumsAsProducts?: boolean;
}

type PlainObject = Record<string, unknown>;

function bytesOf(t: HostTensor): Uint8Array {
  const d = t.data;
  return new Uint8Array(d.buffer.slice(d.byteOffset, d.byteOffset + d.byteLength));
}

export function tensorProto(name: string, t: HostTensor): PlainObject {
  return { name, dims: t.shape, data_type: ONNX_TYPE[t.dtype], raw_data: bytesOf(t) };
}

function attribute(name: string, a: OnnxAttr): PlainObject {
  if ("f" in a) return { name, type: ATTR_TYPE.FLOAT, f: a.f };
  if ("i" in a) return { name, type: ATTR_TYPE.INT, i: a.i };
  if ("s" in a) return { name, type: ATTR_TYPE.STRING, s: new TextEncoder().encode(a.s) };
  if ("floats" in a) return { name, type: ATTR_TYPE.FLOATS, floats: a.floats };
  if ("ints" in a) return { name, type: ATTR_TYPE.INTS, ints: a.ints };
  return { name, type: ATTR_TYPE.TENSOR, t: tensorProto("", a.t) };
}

export function valueInfo(name: string, shape: readonly number[], dtype: DType): PlainObject {
  return {
    name,
    type: {
      tensor_type: { elem_type: ONNX_TYPE[dtype], shape: { dim: shape.map((d) => ({ dim_value: d })) } },
    },
  };
}

/** The ONNX nodes and initializers of a traced graph, before wrapping in a model. */
export function lowerGraph(
  traced: Traced,
  opset = 18,
  contribOps = false,
  rowBlocks = 1,
  sumsAsProducts = false,
): { nodes: PlainObject[]; initializers: PlainObject[] } {
  const nodes: PlainObject[] = [];
  const initializers: PlainObject[] = [];
  const names = new Map<number, string>();
  const outputNameOf = new Map<number, string>();
  for (const [name, t] of Object.entries(traced.outputs))
    if (!outputNameOf.has(t.id)) outputNameOf.set(t.id, name);
  const live = liveNodes(traced);
  const read = new Set<number>(outputNameOf.keys());
  for (const node of live) for (const t of node.inputs) read.add(t.id);

  let counter = 0;
  const cache = new Map<string, string>();
  const l: Lowering = {
    opset,
    contribOps,
    rowBlocks,
    sumsAsProducts,
    consumed: (t) => read.has(t.id),
    node(opType, inputs, outputs, attrs = {}, domain = "") {
      nodes.push({
        op_type: opType,
        domain,
        input: inputs,
        output: outputs,
        name: `${opType}_${nodes.length}`,
        attribute: Object.entries(attrs).map(([k, v]) => attribute(k, v)),
      });
    },
    constant(value) {
      const name = `c${counter++}`;
      initializers.push(tensorProto(name, value));
      return name;
    },
    int64s(values) {
      const key = `i64:${values.join(",")}`;
      let name = cache.get(key);
      if (!name) {
        name = l.constant(hostTensor([values.length], values, "int64"));
        cache.set(key, name);
      }
      return name;
    },
    scalar(value, dtype) {
      const key = `${dtype}:${value}`;
      let name = cache.get(key);
      if (!name) {
        name = l.constant(hostTensor([], [value], dtype));
        cache.set(key, name);
      }
      return name;
    },
    fresh(hint = "v") {
      return `${hint}_${counter++}`;
    },
  };

  // Common-subexpression elimination: a node equal to an earlier one (same op, inputs and
  // attributes) reuses its outputs, so a gradient that recomputes a forward value costs nothing.
  const seen = new Map<string, string[]>();
  const keyOf = (node: Node): string | undefined => {
    if (node.op === "constant") {
      const v = node.attrs.value as HostTensor;
      return v.data.length <= 64
        ? `const|${v.dtype}|${v.shape}|${Array.from(v.data as ArrayLike<number>)}`
        : undefined;
    }
    return `${node.op}|${node.inputs.map((t) => names.get(t.id)).join(",")}|${JSON.stringify(node.attrs)}`;
  };
  for (const node of live) {
    const out = node.outputs;
    if (node.op === "input") {
      names.set(out[0].id, node.attrs.name as string);
      continue;
    }
    if (node.op === "stopGradient" && !outputNameOf.has(out[0].id)) {
      names.set(out[0].id, names.get(node.inputs[0].id)!);
      continue;
    }
    const key = keyOf(node);
    const earlier = key === undefined ? undefined : seen.get(key);
    if (earlier) {
      out.forEach((t, i) => {
        names.set(t.id, earlier[i]);
      });
      continue;
    }
    const outNames = out.map((t) => outputNameOf.get(t.id) ?? `t${t.id}`);
    out.forEach((t, i) => {
      names.set(t.id, outNames[i]);
    });
    if (key !== undefined) seen.set(key, outNames);
    if (node.op === "constant") {
      initializers.push(tensorProto(outNames[0], node.attrs.value as HostTensor));
      continue;
    }
    getOp(node.op).lower(
      l,
      node,
      node.inputs.map((t) => names.get(t.id)!),
      outNames,
    );
  }
  // Every node input must be defined before use (a lowering bug otherwise; say which op).
  const defined = new Set<string>([...traced.graph.inputs.map((t) => t.node.attrs.name as string)]);
  for (const init of initializers) defined.add(init.name as string);
  for (const n of nodes) {
    for (const i of n.input as string[]) {
      if (i && !defined.has(i))
        throw new Error(`ONNX lowering: ${n.name as string} reads ${i} before it is defined`);
    }
    for (const o of n.output as string[]) defined.add(o);
  }
  // Outputs that are graph inputs, or a second name for one tensor, need a copy.
  for (const [name, t] of Object.entries(traced.outputs)) {
    if (names.get(t.id) !== name) l.node("Identity", [names.get(t.id)!], [name]);
  }
  return { nodes, initializers };
}

/** Serialises a traced graph as an ONNX model (bytes). */
export function toOnnx(traced: Traced, opts: EmitOptions = {}): Uint8Array {
  const {
    opset = 18,
    graphName = "jepa_ts",
    docString = "",
    metadata = {},
    contribOps = false,
    rowBlocks = 1,
    sumsAsProducts = false,
  } = opts;
  const { nodes, initializers } = lowerGraph(traced, opset, contribOps, rowBlocks, sumsAsProducts);
  const contribDomain = nodes.some((n) => n.domain === "com.microsoft");
  const inputs = traced.graph.inputs
    .filter((t) => Object.values(traced.inputs).includes(t))
    .map((t) => valueInfo(t.node.attrs.name as string, t.shape, t.dtype));
  const outputs = Object.entries(traced.outputs).map(([name, t]) => valueInfo(name, t.shape, t.dtype));
  return encodeModel({
    ir_version: 8,
    opset_import: [
      { domain: "", version: opset },
      ...(contribDomain ? [{ domain: "com.microsoft", version: 1 }] : []),
    ],
    producer_name: "jepa-ts",
    producer_version: "0.1.0",
    doc_string: docString,
    graph: { name: graphName, node: nodes, initializer: initializers, input: inputs, output: outputs },
    metadata_props: Object.entries(metadata).map(([key, value]) => ({ key, value })),
  });
}
