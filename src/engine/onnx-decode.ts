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

/**
 * Reads the bytes of a model's external data file (`location` as the model names it, relative
 * to the model's folder): tensors over 2 GB in all must live outside the .onnx file.
 */
export type ExternalDataReader = (location: string) => Uint8Array;

const BYTES: Record<DType, number> = { float32: 4, float64: 8, int32: 4, int64: 8, bool: 1, uint8: 1 };

// A view where the bytes are aligned for the element type (no copy of a large model's
// weights); a copy at offset 0 otherwise (protobuf bytes are views into a Buffer, maybe unaligned).
function typedArray(dtype: DType, raw: Uint8Array): HostTensor["data"] {
  const size = BYTES[dtype];
  if (raw.byteLength % size !== 0)
    throw new Error(`${raw.byteLength} bytes do not hold whole ${dtype} values`);
  const aligned = raw.byteOffset % size === 0;
  const buf = aligned ? raw.buffer : Uint8Array.from(raw).buffer;
  const offset = aligned ? raw.byteOffset : 0;
  const n = raw.byteLength / size;
  return {
    float32: () => new Float32Array(buf, offset, n),
    float64: () => new Float64Array(buf, offset, n),
    int32: () => new Int32Array(buf, offset, n),
    int64: () => new BigInt64Array(buf, offset, n),
    bool: () => new Uint8Array(buf, offset, n),
    uint8: () => new Uint8Array(buf, offset, n),
  }[dtype]();
}

/** The bytes of a tensor stored in an external file, as its external_data entries locate them. */
function externalBytes(t: Proto, what: string, read: ExternalDataReader | undefined): Uint8Array {
  const entries = Object.fromEntries(
    ((t.external_data as Proto[] | undefined) ?? []).map((e) => [e.key as string, (e.value as string) ?? ""]),
  );
  const location = entries.location;
  if (!location) throw new OnnxImportError(`${what} is marked external but names no location`);
  if (!read)
    throw new OnnxImportError(
      `${what} keeps its data in the external file "${location}"; import with importOnnxFile(path) or pass { externalData: (location) => bytes }`,
    );
  if (location.startsWith("/") || location.includes("\\") || location.split("/").includes(".."))
    throw new OnnxImportError(
      `${what}: external data location "${location}" must be a relative path inside the model's folder`,
    );
  let file: Uint8Array;
  try {
    file = read(location);
  } catch (err) {
    throw new OnnxImportError(
      `${what}: cannot read external data file "${location}" (${(err as Error).message.split("\n")[0]})`,
    );
  }
  const offset = Number(entries.offset ?? 0);
  const length = entries.length !== undefined ? Number(entries.length) : file.byteLength - offset;
  if (!(offset >= 0 && length >= 0 && offset + length <= file.byteLength))
    throw new OnnxImportError(
      `${what}: bytes ${offset}..${offset + length} of "${location}" lie outside the file (${file.byteLength} bytes)`,
    );
  return file.subarray(offset, offset + length);
}

export function decodeTensor(t: Proto, what: string, external?: ExternalDataReader): HostTensor {
  const shape = ((t.dims as number[]) ?? []).map(Number);
  const isExternal = t.data_location === 1 || Boolean((t.external_data as unknown[] | undefined)?.length);
  const code = t.data_type as number;
  const raw = isExternal ? externalBytes(t, what, external) : (t.raw_data as Uint8Array | undefined);
  const n = sizeOf(shape);
  if (code === 10) {
    const bits = raw
      ? new Uint16Array(Uint8Array.from(raw).buffer)
      : Uint16Array.from(t.int32_data as number[]);
    return hostTensor(shape, float16ToFloat32(bits), "float32");
  }
  const dtype = dtypeOf(code, what);
  if (raw && (raw.length > 0 || isExternal)) {
    let data: HostTensor["data"];
    try {
      data = typedArray(dtype, raw);
    } catch (err) {
      throw new OnnxImportError(`${what}: ${(err as Error).message}`);
    }
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
