// Imports an ONNX model (e.g. a frozen encoder exported by torch.onnx.export) as a traceable
// function: its nodes are replayed with engine ops inside the caller's trace, so the model
// can be embedded in jepa-ts graphs (and, where the ops have gradients, fine-tuned).
//   1. decode the ModelProto; initializers become host tensors (constants when used)
//   2. resolve the input shapes: a dynamic batch dimension takes the static batch given here
//   3. replay the nodes in order; a node whose inputs are all known on the host (Shape,
//      Constant, the exporter's shape arithmetic) is folded to a host tensor right away
//   4. dry-run the replay once at load, so an unsupported op or shape fails here, not later
import type { DType, HostTensor } from "./dtype.ts";
import { interpret } from "./interpreter.ts";
import { constant, type Tensor } from "./ir.ts";
import { decodeModel } from "./onnx-proto.ts";
import {
  decodeNode,
  decodeTensor,
  dtypeOf,
  type ExternalDataReader,
  isHost,
  OnnxImportError,
  type OnnxNode,
  type Proto,
  type Value,
} from "./onnx-decode.ts";
import { HANDLERS, type Handler, NodeContext, supportedOnnxOps } from "./onnx-import-ops.ts";
export { type ExternalDataReader, OnnxImportError, supportedOnnxOps };
import * as ops from "./ops.ts";
import { trace } from "./trace.ts";

/** A named input or output of an imported model, with its static shape. */
export interface OnnxValueInfo {
  name: string;
  shape: number[];
  dtype: DType;
}

export interface OnnxImportOptions {
  /** The static batch that a dynamic first dimension (a `dim_param`) of every input takes. */
  batch?: number;
  /** Values of other symbolic dimensions, by their `dim_param` name. */
  dims?: Record<string, number>;
  /**
   * Reads an external data file named by the model (relative to the model's folder), for
   * models saved with their weights outside the .onnx (`importOnnxFile` passes one).
   */
  externalData?: ExternalDataReader;
}

/** An imported ONNX model: its signature and a function that replays it in the current trace. */
export interface OnnxImport {
  inputs: OnnxValueInfo[];
  outputs: OnnxValueInfo[];
  opset: number;
  producer: string;
  /** The model's metadata_props (a jepa-ts export stores its config and normalisation here). */
  metadata: Record<string, string>;
  /** Float initializers by name: pass tensors for some of them to `apply` to fine-tune them. */
  initializers: Record<string, HostTensor>;
  /**
   * Replays the graph on `inputs` (by ONNX input name) inside the current trace; `overrides`
   * replaces initializers by traced tensors (parameters). Returns the outputs by ONNX name.
   */
  apply(inputs: Record<string, Tensor>, overrides?: Record<string, Tensor>): Record<string, Tensor>;
}
// ---------- the importer ----------

function inputShape(info: Proto, opts: OnnxImportOptions): number[] {
  const name = info.name as string;
  const tt = (info.type as Proto | undefined)?.tensor_type as Proto | undefined;
  const dims = (tt?.shape as Proto | undefined)?.dim as Proto[] | undefined;
  if (!dims) throw new OnnxImportError(`input "${name}" has no declared shape; re-export with a shape`);
  return dims.map((d, i) => {
    if (d.dim_value !== undefined && Number(d.dim_value) > 0) return Number(d.dim_value);
    const param = (d.dim_param as string | undefined) || "?";
    if (opts.dims?.[param] !== undefined) return opts.dims[param];
    if (i === 0 && opts.batch !== undefined) return opts.batch;
    throw new OnnxImportError(
      i === 0
        ? `input "${name}" has a dynamic batch dimension "${param}"; pass { batch: N } to importOnnx`
        : `input "${name}" has a symbolic dimension "${param}" at axis ${i}; pass { dims: { ${param}: N } } to importOnnx`,
    );
  });
}

/**
 * Imports ONNX model bytes (opsets 13-18 tested; see `supportedOnnxOps`) as a function over
 * engine tensors. Fails here, not at run time, with a one-line OnnxImportError naming the
 * unsupported op and node, or the input whose shape cannot be made static.
 */
export function importOnnx(bytes: Uint8Array, opts: OnnxImportOptions = {}): OnnxImport {
  let model: Proto;
  try {
    model = decodeModel(bytes);
  } catch (err) {
    throw new OnnxImportError(`not an ONNX model (${(err as Error).message})`);
  }
  const graph = model.graph as Proto | undefined;
  if (!graph) throw new OnnxImportError("the model has no graph");
  const opsetEntry = ((model.opset_import as Proto[]) ?? []).find((o) => !o.domain || o.domain === "ai.onnx");
  const opset = Number(opsetEntry?.version ?? 0);
  if (opset < 11)
    throw new OnnxImportError(`opset ${opset} is older than 11; re-export with opset_version=13 or later`);

  // Each external file is read once, however many tensors it holds.
  const files = new Map<string, Uint8Array>();
  const read = opts.externalData;
  const external: ExternalDataReader | undefined = read
    ? (location) => {
        const known = files.get(location);
        if (known) return known;
        const bytes = read(location);
        files.set(location, bytes);
        return bytes;
      }
    : undefined;
  const initializers = new Map<string, HostTensor>();
  for (const t of (graph.initializer as Proto[]) ?? [])
    initializers.set(t.name as string, decodeTensor(t, `initializer "${t.name}"`, external));
  const inputs: OnnxValueInfo[] = ((graph.input as Proto[]) ?? [])
    .filter((i) => !initializers.has(i.name as string))
    .map((i) => {
      const tt = (i.type as Proto | undefined)?.tensor_type as Proto | undefined;
      return {
        name: i.name as string,
        shape: inputShape(i, opts),
        dtype: dtypeOf((tt?.elem_type as number) ?? 1, `input "${i.name}"`),
      };
    });
  const nodes = ((graph.node as Proto[]) ?? []).map(decodeNode);
  for (const n of nodes) {
    if (n.domain && n.domain !== "ai.onnx")
      throw new OnnxImportError(
        `op ${n.domain}.${n.opType} (node "${n.name}") is outside the standard ONNX domain`,
      );
    if (!HANDLERS[n.opType])
      throw new OnnxImportError(`op ${n.opType} (node "${n.name}") is not supported; see supportedOnnxOps()`);
  }
  const outputNames = ((graph.output as Proto[]) ?? []).map((o) => o.name as string);

  function apply(
    feeds: Record<string, Tensor>,
    overrides: Record<string, Tensor> = {},
  ): Record<string, Tensor> {
    const values = new Map<string, Value>(initializers);
    for (const [name, t] of Object.entries(overrides)) {
      const init = initializers.get(name);
      if (!init) throw new OnnxImportError(`override "${name}" is not an initializer of the model`);
      if (init.shape.join(",") !== t.shape.join(","))
        throw new OnnxImportError(`override "${name}" is [${t.shape}]; the initializer is [${init.shape}]`);
      values.set(name, t);
    }
    for (const info of inputs) {
      const t = feeds[info.name];
      if (!t)
        throw new OnnxImportError(
          `input "${info.name}" is missing; pass a ${info.dtype} tensor of shape [${info.shape}]`,
        );
      if (t.shape.join(",") !== info.shape.join(","))
        throw new OnnxImportError(
          `input "${info.name}" is [${t.shape}] but the model was imported for [${info.shape}]`,
        );
      values.set(info.name, t.dtype === info.dtype ? t : ops.cast(t, info.dtype));
    }
    const constants = new Map<HostTensor, Tensor>();
    const toTensor = (v: HostTensor): Tensor => {
      const known = constants.get(v);
      if (known) return known;
      const t = constant(v);
      constants.set(v, t);
      return t;
    };
    const lookup = (name: string) => values.get(name);
    for (const node of nodes) {
      const handler = HANDLERS[node.opType];
      let results: Value[];
      try {
        const present = node.inputs.filter(Boolean).map((n) => values.get(n));
        if (present.every((v) => v !== undefined && isHost(v)) && node.opType !== "Constant") {
          results = fold(node, handler, opset, lookup);
        } else {
          results = handler(new NodeContext(node, opset, lookup, toTensor));
        }
      } catch (err) {
        const message = (err as Error).message.split("\n")[0];
        throw new OnnxImportError(`op ${node.opType} (node "${node.name}"): ${message}`);
      }
      node.outputs.forEach((name, i) => {
        if (name && results[i]) values.set(name, results[i]);
      });
    }
    const out: Record<string, Tensor> = {};
    for (const name of outputNames) {
      const v = values.get(name);
      if (!v) throw new OnnxImportError(`output "${name}" is not produced by any node`);
      out[name] = isHost(v) ? toTensor(v) : v;
    }
    return out;
  }

  // 4. dry run: every op, attribute and shape is checked now.
  const spec = Object.fromEntries(inputs.map((i) => [i.name, { shape: i.shape, dtype: i.dtype }]));
  const dry = trace((i) => apply(i), spec);
  const outputs = outputNames.map((name) => ({
    name,
    shape: [...dry.outputs[name].shape],
    dtype: dry.outputs[name].dtype,
  }));
  const floats: Record<string, HostTensor> = {};
  for (const [name, t] of initializers) if (t.dtype === "float32" || t.dtype === "float64") floats[name] = t;
  const metadata: Record<string, string> = {};
  for (const p of (model.metadata_props as Proto[]) ?? [])
    metadata[p.key as string] = (p.value as string) ?? "";
  return {
    inputs,
    outputs,
    opset,
    producer: `${model.producer_name ?? ""} ${model.producer_version ?? ""}`.trim(),
    metadata,
    initializers: floats,
    apply,
  };
}

/** Evaluates a node whose inputs are all host tensors, on the host (reference interpreter). */
function fold(
  node: OnnxNode,
  handler: Handler,
  opset: number,
  lookup: (name: string) => Value | undefined,
): Value[] {
  let direct: Value[] | undefined;
  const traced = trace(() => {
    const results = handler(new NodeContext(node, opset, lookup, constant));
    if (results.every(isHost)) {
      direct = results;
      return {};
    }
    return Object.fromEntries(results.map((v, i) => [`o${i}`, isHost(v) ? constant(v) : v]));
  }, {});
  if (direct) return direct;
  const out = interpret(traced, {});
  return Object.keys(traced.outputs).map((k) => out[k]);
}
