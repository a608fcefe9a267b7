// Decoding ONNX protobuf pieces (tensors, nodes, attributes) for the importer.
import { type DType, type HostTensor, hostTensor, sizeOf } from "./dtype.ts";
import { Tensor } from "./ir.ts";
import { float16ToFloat32 } from "./safetensors.ts";

/** A model that cannot be imported: names the op and node, or the input, that is the problem. */
export class OnnxImportError extends Error {
  override name = "OnnxImportError";
}

// ---------- decoding ----------
export type Proto = Record<string, unknown>;
export type Value = Tensor | HostTensor;
export const isHost = (v: Value): v is HostTensor => !(v instanceof Tensor);

export const DTYPES: Record<number, DType> = {
  1: "float32",
  2: "uint8",
  6: "int32",
  7: "int64",
  9: "bool",
  11: "float64",
};
export const TYPE_NAMES: Record<number, string> = {
  3: "int8",
  4: "uint16",
  5: "int16",
  8: "string",
  16: "bfloat16",
};

export function dtypeOf(code: number, what: string): DType {
  const d = DTYPES[code];
  if (!d)
    throw new OnnxImportError(
      `${what} has element type ${TYPE_NAMES[code] ?? code}, which jepa-ts cannot hold`,
    );
  return d;
}

// A copy at offset 0: Node's protobuf bytes are views into a shared Buffer, maybe unaligned.
const copyBytes = (raw: Uint8Array): ArrayBuffer => Uint8Array.from(raw).buffer;

export function decodeTensor(t: Proto, what: string): HostTensor {
  const shape = ((t.dims as number[]) ?? []).map(Number);
  if (t.data_location === 1 || (t.external_data as unknown[] | undefined)?.length) {
    throw new OnnxImportError(
      `${what} keeps its data in an external file; re-export with the weights inside the .onnx`,
    );
  }
  const code = t.data_type as number;
  const raw = t.raw_data as Uint8Array | undefined;
  const n = sizeOf(shape);
  if (code === 10) {
    const bits = raw ? new Uint16Array(copyBytes(raw)) : Uint16Array.from(t.int32_data as number[]);
    return hostTensor(shape, float16ToFloat32(bits), "float32");
  }
  const dtype = dtypeOf(code, what);
  if (raw && raw.length > 0) {
    const buf = copyBytes(raw);
    const data = {
      float32: () => new Float32Array(buf),
      float64: () => new Float64Array(buf),
      int32: () => new Int32Array(buf),
      int64: () => new BigInt64Array(buf),
      bool: () => new Uint8Array(buf),
      uint8: () => new Uint8Array(buf),
    }[dtype]();
    if (data.length !== n)
      throw new OnnxImportError(`${what} holds ${data.length} values for shape [${shape}]`);
    return { shape, dtype, data } as HostTensor;
  }
  const field =
    { float32: "float_data", float64: "double_data", int64: "int64_data" }[dtype as string] ?? "int32_data";
  const values = (t[field] as number[] | undefined) ?? [];
  return hostTensor(shape, values.length === 0 && n === 0 ? [] : values, dtype);
}

export interface Attribute {
  f?: number;
  i?: number;
  s?: Uint8Array;
  t?: Proto;
  floats?: number[];
  ints?: number[];
}

export interface OnnxNode {
  name: string;
  opType: string;
  domain: string;
  inputs: string[];
  outputs: string[];
  attrs: Record<string, Attribute>;
}

export function decodeNode(n: Proto, index: number): OnnxNode {
  const attrs: Record<string, Attribute> = {};
  for (const a of (n.attribute as Proto[] | undefined) ?? []) attrs[a.name as string] = a as Attribute;
  return {
    name: (n.name as string) || `#${index}`,
    opType: n.op_type as string,
    domain: (n.domain as string) ?? "",
    inputs: (n.input as string[]) ?? [],
    outputs: (n.output as string[]) ?? [],
    attrs,
  };
}
