// The safetensors format (huggingface/safetensors), browser-safe over Uint8Array: an 8-byte
// little-endian header length N, N bytes of JSON ({name: {dtype, shape, data_offsets}} plus an
// optional "__metadata__" string map), then the tensors' raw little-endian bytes, contiguous,
// with offsets relative to the end of the header. Data only: nothing in a file runs code.
import type { HostTensor } from "./dtype.ts";

/** A 16-bit float tensor kept as its raw bits (convert with float16ToFloat32 / bfloat16ToFloat32). */
export interface HalfTensor {
  shape: number[];
  dtype: "float16" | "bfloat16";
  data: Uint16Array;
}
/** A tensor as read from or written to a safetensors file. */
export type SafeTensor = HostTensor | HalfTensor;

/** A problem with safetensors bytes; the message is one line naming the source and the problem. */
export class SafetensorsError extends Error {
  override name = "SafetensorsError";
}

/** The largest header accepted, as in the reference implementation (guards against garbage lengths). */
export const MAX_HEADER_BYTES = 100_000_000;

type SafeDType = SafeTensor["dtype"];
const CODE: Record<SafeDType, string> = {
  float64: "F64",
  float32: "F32",
  float16: "F16",
  bfloat16: "BF16",
  int64: "I64",
  int32: "I32",
  uint8: "U8",
  bool: "BOOL",
};
const DTYPE_OF: Record<string, SafeDType> = Object.fromEntries(
  Object.entries(CODE).map(([d, c]) => [c, d as SafeDType]),
);
const BYTES: Record<SafeDType, number> = {
  float64: 8,
  float32: 4,
  float16: 2,
  bfloat16: 2,
  int64: 8,
  int32: 4,
  uint8: 1,
  bool: 1,
};
const STORAGE: Record<SafeDType, new (buffer: ArrayBuffer) => ArrayBufferView> = {
  float64: Float64Array,
  float32: Float32Array,
  float16: Uint16Array,
  bfloat16: Uint16Array,
  int64: BigInt64Array,
  int32: Int32Array,
  uint8: Uint8Array,
  bool: Uint8Array,
};

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
function requireLittleEndian(): void {
  // Typed arrays use the host's byte order; every platform ONNX Runtime supports is little-endian.
  if (!LITTLE_ENDIAN)
    throw new SafetensorsError("safetensors: this host is big-endian, which jepa-ts does not support");
}

const sizeOf = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1);

// ---------- 16-bit floats ----------
const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** IEEE half-precision bits of a number, rounded to nearest even (overflow gives infinity). */
function halfBits(v: number): number {
  f32[0] = v;
  const x = u32[0];
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  const mant = x & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 | (mant >>> 13) : 0); // inf, or a quiet NaN
  const e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    // Subnormal half: m * 2^-24 with m = full * 2^(exp - 126), rounded to nearest even.
    if (e < -10) return sign;
    const full = mant | 0x800000;
    const shift = 14 - e;
    let m = full >>> shift;
    const rem = full & ((1 << shift) - 1);
    const half = 1 << (shift - 1);
    if (rem > half || (rem === half && m & 1)) m++;
    return sign | m;
  }
  let h = (e << 10) | (mant >>> 13);
  const rem = mant & 0x1fff;
  if (rem > 0x1000 || (rem === 0x1000 && h & 1)) h++; // a carry may round up into the exponent: correct
  return sign | h;
}

function halfValue(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >>> 10) & 0x1f;
  const mant = h & 0x3ff;
  if (exp === 0) return sign * mant * 2 ** -24;
  if (exp === 0x1f) return mant ? Number.NaN : sign * Number.POSITIVE_INFINITY;
  return sign * (1 + mant / 1024) * 2 ** (exp - 15);
}

/** float32 values to IEEE float16 bits (round to nearest even). */
export function float32ToFloat16(values: ArrayLike<number>): Uint16Array {
  return Uint16Array.from({ length: values.length }, (_, i) => halfBits(values[i]));
}
/** IEEE float16 bits to float32 values (exact). */
export function float16ToFloat32(bits: Uint16Array): Float32Array {
  return Float32Array.from(bits, halfValue);
}
/** float32 values to bfloat16 bits (the top 16 bits of a float32, rounded to nearest even). */
export function float32ToBfloat16(values: ArrayLike<number>): Uint16Array {
  const out = new Uint16Array(values.length);
  for (let i = 0; i < out.length; i++) {
    f32[0] = values[i];
    const x = u32[0];
    const nan = (x & 0x7f800000) === 0x7f800000 && (x & 0x7fffff) !== 0;
    out[i] = nan ? (x >>> 16) | 0x40 : (x + 0x7fff + ((x >>> 16) & 1)) >>> 16;
  }
  return out;
}
/** bfloat16 bits to float32 values (exact). */
export function bfloat16ToFloat32(bits: Uint16Array): Float32Array {
  const out = new Float32Array(bits.length);
  const view = new Uint32Array(out.buffer);
  for (let i = 0; i < bits.length; i++) view[i] = bits[i] << 16;
  return out;
}

/** Any float tensor as float32 (float16/bfloat16 widened, float64 rounded); others unchanged. */
export function toFloat32Tensor(t: SafeTensor): SafeTensor {
  if (t.dtype === "float16") return { shape: [...t.shape], dtype: "float32", data: float16ToFloat32(t.data) };
  if (t.dtype === "bfloat16")
    return { shape: [...t.shape], dtype: "float32", data: bfloat16ToFloat32(t.data) };
  if (t.dtype === "float64")
    return { shape: [...t.shape], dtype: "float32", data: Float32Array.from(t.data as Float64Array) };
  return t;
}

// ---------- encoding ----------
/**
 * The file as parts (header, then each tensor's bytes, viewed without copying), so a large
 * checkpoint can be written without one concatenated buffer.
 */
export function encodeSafetensorsParts(
  tensors: Record<string, SafeTensor>,
  metadata: Record<string, string> = {},
): Uint8Array[] {
  requireLittleEndian();
  const names = Object.keys(tensors);
  for (const name of names) {
    const t = tensors[name];
    if (name === "__metadata__" || name === "") {
      throw new SafetensorsError(`safetensors: "${name}" cannot name a tensor; rename it`);
    }
    if (!(t.dtype in CODE))
      throw new SafetensorsError(
        `safetensors: tensor "${name}" has dtype ${t.dtype}, which the format lacks`,
      );
    if (!t.shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
      throw new SafetensorsError(`safetensors: tensor "${name}" has an invalid shape [${t.shape}]`);
    }
    if (t.data.length !== sizeOf(t.shape)) {
      throw new SafetensorsError(
        `safetensors: tensor "${name}" holds ${t.data.length} values but its shape [${t.shape}] needs ${sizeOf(t.shape)}`,
      );
    }
  }
  for (const [key, value] of Object.entries(metadata)) {
    if (typeof value !== "string")
      throw new SafetensorsError(`safetensors: metadata "${key}" must be a string`);
  }
  // Widest elements first, then by name (as the reference writer does): every tensor's offset
  // stays a multiple of its element size, since the header is padded to 8 bytes.
  names.sort((a, b) => BYTES[tensors[b].dtype] - BYTES[tensors[a].dtype] || (a < b ? -1 : a > b ? 1 : 0));
  const header: Record<string, unknown> = {};
  if (Object.keys(metadata).length > 0) header.__metadata__ = { ...metadata };
  const parts: Uint8Array[] = [];
  let offset = 0;
  for (const name of names) {
    const t = tensors[name];
    const d = t.data;
    const bytes = new Uint8Array(d.buffer, d.byteOffset, d.byteLength);
    header[name] = {
      dtype: CODE[t.dtype],
      shape: [...t.shape],
      data_offsets: [offset, offset + bytes.byteLength],
    };
    parts.push(bytes);
    offset += bytes.byteLength;
  }
  const json = new TextEncoder().encode(JSON.stringify(header));
  const padded = Math.ceil(json.length / 8) * 8;
  const head = new Uint8Array(8 + padded).fill(0x20, 8);
  new DataView(head.buffer).setBigUint64(0, BigInt(padded), true);
  head.set(json, 8);
  return [head, ...parts];
}

/** Serialises tensors (and optional string metadata) in the safetensors format. */
export function encodeSafetensors(
  tensors: Record<string, SafeTensor>,
  metadata: Record<string, string> = {},
): Uint8Array {
  const parts = encodeSafetensorsParts(tensors, metadata);
  const out = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.byteLength;
  }
  return out;
}

// ---------- decoding ----------
interface Entry {
  name: string;
  dtype: SafeDType;
  shape: number[];
  begin: number;
  end: number;
}

function parseEntry(fail: (problem: string) => never, name: string, v: unknown): Entry {
  if (typeof v !== "object" || v === null || Array.isArray(v))
    fail(`tensor "${name}" is not a {dtype, shape, data_offsets} object`);
  const { dtype, shape, data_offsets: offsets } = v as Record<string, unknown>;
  if (typeof dtype !== "string" || !(dtype in DTYPE_OF)) {
    fail(
      `tensor "${name}" has unknown dtype ${JSON.stringify(dtype)}; jepa-ts reads ${Object.keys(DTYPE_OF).join(", ")}`,
    );
  }
  const isCount = (d: unknown): d is number => Number.isSafeInteger(d) && (d as number) >= 0;
  if (!Array.isArray(shape) || !shape.every(isCount))
    fail(`tensor "${name}" has an invalid shape ${JSON.stringify(shape)}`);
  if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every(isCount) || offsets[0] > offsets[1]) {
    fail(
      `tensor "${name}" has invalid data_offsets ${JSON.stringify(offsets)}; expected [begin, end] with begin <= end`,
    );
  }
  const d = DTYPE_OF[dtype];
  const [begin, end] = offsets as number[];
  const need = sizeOf(shape) * BYTES[d];
  if (end - begin !== need) {
    fail(
      `tensor "${name}" (${dtype} [${shape}]) needs ${need} bytes but data_offsets [${begin}, ${end}] hold ${end - begin}`,
    );
  }
  return { name, dtype: d, shape: [...shape], begin, end };
}

/**
 * Reads safetensors bytes: every tensor (copied into aligned storage) and the metadata map.
 * `source` (a file name) starts every error message. Throws SafetensorsError on a truncated or
 * oversized header, malformed JSON, unknown dtypes, or offsets that overlap, leave holes or
 * run past the data.
 */
export function decodeSafetensors(
  bytes: Uint8Array,
  source = "safetensors data",
): { tensors: Record<string, SafeTensor>; metadata: Record<string, string> } {
  requireLittleEndian();
  const fail: (problem: string) => never = (problem) => {
    throw new SafetensorsError(`${source}: ${problem.replace(/\s*\n\s*/g, " ")}`);
  };
  if (bytes.byteLength < 8) {
    fail(
      `truncated: ${bytes.byteLength} bytes, shorter than the 8-byte header length that starts a safetensors file`,
    );
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLength = Number(view.getBigUint64(0, true));
  if (headerLength > MAX_HEADER_BYTES) {
    fail(
      `header length ${headerLength} exceeds the ${MAX_HEADER_BYTES}-byte limit; not a safetensors file, or corrupted`,
    );
  }
  if (8 + headerLength > bytes.byteLength) {
    fail(
      `header length ${headerLength} runs past the end of the ${bytes.byteLength}-byte file; truncated or not safetensors`,
    );
  }
  let header: unknown;
  try {
    const text = new TextDecoder("utf-8", { fatal: true }).decode(bytes.subarray(8, 8 + headerLength));
    header = JSON.parse(text);
  } catch (err) {
    fail(`malformed header JSON (${(err as Error).message})`);
  }
  if (typeof header !== "object" || header === null || Array.isArray(header))
    fail("the header is not a JSON object");
  const data = bytes.subarray(8 + headerLength);

  const metadata: Record<string, string> = {};
  const entries: Entry[] = [];
  for (const [name, v] of Object.entries(header as Record<string, unknown>)) {
    if (name === "__metadata__") {
      if (typeof v !== "object" || v === null || Array.isArray(v))
        fail(`"__metadata__" must map strings to strings`);
      for (const [key, value] of Object.entries(v as Record<string, unknown>)) {
        if (typeof value !== "string") fail(`metadata "${key}" is ${JSON.stringify(value)}, not a string`);
        metadata[key] = value as string;
      }
      continue;
    }
    entries.push(parseEntry(fail, name, v));
  }
  // The data must be covered exactly: no overlaps, no holes, nothing past the end or after the last tensor.
  const sorted = [...entries].sort((a, b) => a.begin - b.begin || a.end - b.end);
  let covered = 0;
  let previous: Entry | undefined;
  for (const e of sorted) {
    if (e.end > data.byteLength) {
      fail(
        `tensor "${e.name}" data_offsets [${e.begin}, ${e.end}] run past the ${data.byteLength} data bytes; the file is truncated`,
      );
    }
    if (e.begin < covered && previous) {
      fail(
        `tensors "${previous.name}" and "${e.name}" overlap (data_offsets [${previous.begin}, ${previous.end}] and [${e.begin}, ${e.end}])`,
      );
    }
    if (e.begin > covered)
      fail(`data bytes ${covered}..${e.begin} belong to no tensor (a hole before "${e.name}")`);
    covered = e.end;
    previous = e;
  }
  if (covered !== data.byteLength) {
    fail(
      `${data.byteLength - covered} data bytes after the last tensor belong to none; the file is corrupted`,
    );
  }

  const tensors: Record<string, SafeTensor> = {};
  for (const e of entries) {
    // A fresh, aligned buffer (Node's Buffer.slice would share, and misalign, the file's memory).
    const copy = new Uint8Array(e.end - e.begin);
    copy.set(data.subarray(e.begin, e.end));
    const storage = new STORAGE[e.dtype](copy.buffer);
    tensors[e.name] = { shape: e.shape, dtype: e.dtype, data: storage } as SafeTensor;
  }
  return { tensors, metadata };
}
