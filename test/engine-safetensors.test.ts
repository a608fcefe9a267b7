// Safetensors: round trips for every dtype, the byte layout of the spec built by hand, 16-bit
// float conversions, a one-line SafetensorsError for each kind of damaged file, atomic writes.
import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import {
  bfloat16ToFloat32,
  decodeSafetensors,
  encodeSafetensors,
  float16ToFloat32,
  float32ToBfloat16,
  float32ToFloat16,
  hostTensor,
  type SafeTensor,
  SafetensorsError,
  toFloat32Tensor,
} from "../src/engine/index.ts";
import { loadSafetensors, saveSafetensors } from "../src/engine/node.ts";

const dir = mkdtempSync(join(tmpdir(), "jepa-safetensors-"));
after(() => rmSync(dir, { recursive: true, force: true }));

const ascii = (s: string): number[] => Array.from(s, (c) => c.charCodeAt(0));

/** A file with the given header text (padded to 8 bytes with spaces) and data bytes. */
function fileOf(headerJson: string, data: number[], pad = true): Uint8Array {
  const header = ascii(headerJson);
  while (pad && header.length % 8 !== 0) header.push(0x20);
  const n = header.length;
  const length = [n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, n >>> 24, 0, 0, 0, 0];
  return Uint8Array.from([...length, ...header, ...data]);
}

function everyDtype(): Record<string, SafeTensor> {
  return {
    f32: hostTensor([2, 3], [0, -0, 1.5, Number.POSITIVE_INFINITY, -3.25e-20, Math.fround(Math.PI)]),
    f64: hostTensor([3], [Math.PI, -1e300, 5e-324], "float64"),
    i32: hostTensor([2, 2], [-2147483648, -1, 0, 2147483647], "int32"),
    i64: {
      shape: [3],
      dtype: "int64",
      data: BigInt64Array.from([-(2n ** 63n), 2n ** 53n + 1n, 2n ** 63n - 1n]),
    },
    u8: hostTensor([4], [0, 1, 128, 255], "uint8"),
    flag: hostTensor([2, 1], [1, 0], "bool"),
    f16: { shape: [2, 2], dtype: "float16", data: float32ToFloat16([1, -2, 65504, 2 ** -24]) },
    bf16: { shape: [3], dtype: "bfloat16", data: float32ToBfloat16([1, -Math.PI, 1e30]) },
    scalar: hostTensor([], [7]),
    empty: hostTensor([0, 3], []),
  };
}

function assertSameTensors(actual: Record<string, SafeTensor>, expected: Record<string, SafeTensor>): void {
  assert.deepEqual(Object.keys(actual).sort(), Object.keys(expected).sort());
  for (const [name, t] of Object.entries(expected)) {
    const a = actual[name];
    assert.equal(a.dtype, t.dtype, name);
    assert.deepEqual(a.shape, t.shape, name);
    assert.equal(a.data.constructor, t.data.constructor, `${name} storage`);
    // Bytes, so -0 and NaN payloads count.
    const bytes = (d: SafeTensor["data"]) => Array.from(new Uint8Array(d.buffer, d.byteOffset, d.byteLength));
    assert.deepEqual(bytes(a.data), bytes(t.data), name);
  }
}

test("every dtype round-trips through bytes and through a file, with metadata", () => {
  const tensors = everyDtype();
  const metadata = { format: "pt", config: '{"depth": 2, "name": "ü"}' };
  const decoded = decodeSafetensors(encodeSafetensors(tensors, metadata));
  assertSameTensors(decoded.tensors, tensors);
  assert.deepEqual(decoded.metadata, metadata);

  const path = join(dir, "all.safetensors");
  saveSafetensors(path, tensors, metadata);
  const loaded = loadSafetensors(path);
  assertSameTensors(loaded.tensors, tensors);
  assert.deepEqual(loaded.metadata, metadata);
  assert.deepEqual(decodeSafetensors(encodeSafetensors({})), { tensors: {}, metadata: {} });
});

test("the layout is the spec's, byte for byte", () => {
  const bytes = encodeSafetensors(
    { b: hostTensor([2], [1, -1], "int32"), a: hostTensor([], [1.5]), c: hostTensor([1], [2], "float64") },
    { format: "pt" },
  );
  // Widest dtype first, then by name; offsets relative to the end of the header; header padded to 8.
  const header =
    '{"__metadata__":{"format":"pt"},"c":{"dtype":"F64","shape":[1],"data_offsets":[0,8]},' +
    '"a":{"dtype":"F32","shape":[],"data_offsets":[8,12]},"b":{"dtype":"I32","shape":[2],"data_offsets":[12,20]}}';
  const data = [
    ...[0, 0, 0, 0, 0, 0, 0, 0x40], // 2.0 as float64
    ...[0, 0, 0xc0, 0x3f], // 1.5 as float32
    ...[1, 0, 0, 0, 0xff, 0xff, 0xff, 0xff], // 1, -1 as int32
  ];
  const expected = fileOf(header, data);
  assert.equal((expected.length - 8 - data.length) % 8, 0);
  assert.deepEqual(Array.from(bytes), Array.from(expected));
});

test("a file written by another writer (unpadded, metadata last, at an odd offset) decodes", () => {
  const header = '{"w":{"data_offsets":[0,4],"dtype":"F16","shape":[2]},"__metadata__":{"k":"v"}}';
  const file = fileOf(header, [0x00, 0x3c, 0x00, 0xc0], false);
  const shifted = new Uint8Array(file.length + 1);
  shifted.set(file, 1);
  const { tensors, metadata } = decodeSafetensors(shifted.subarray(1));
  assert.deepEqual(metadata, { k: "v" });
  assert.equal(tensors.w.dtype, "float16");
  assert.deepEqual(Array.from(toFloat32Tensor(tensors.w).data as Float32Array), [1, -2]);
});

test("float16 and bfloat16 conversions round to nearest even and keep special values", () => {
  const hex = (a: Uint16Array) => Array.from(a, (v) => v.toString(16).padStart(4, "0"));
  const values = [
    1,
    -2,
    1 / 3,
    0.1,
    65504,
    65520,
    2 ** -24,
    2 ** -25,
    3 * 2 ** -25,
    1 + 2 ** -11,
    1 + 3 * 2 ** -11,
    -0,
    Number.NEGATIVE_INFINITY,
  ];
  assert.deepEqual(hex(float32ToFloat16(values)), [
    "3c00",
    "c000",
    "3555",
    "2e66",
    "7bff",
    "7c00", // rounds up past the largest half: infinity
    "0001", // smallest subnormal
    "0000", // exactly half of it: ties to even (zero)
    "0002", // 1.5 ulps of the smallest subnormal: ties to even (2)
    "3c00", // 1 + half an ulp: ties to even (down)
    "3c02", // 1 + 1.5 ulps: ties to even (up)
    "8000",
    "fc00",
  ]);
  assert.ok(Number.isNaN(float16ToFloat32(float32ToFloat16([Number.NaN]))[0]));
  assert.deepEqual(Array.from(float16ToFloat32(Uint16Array.from([0x3c00, 0xc000, 0x0001, 0x7bff, 0x8000]))), [
    1,
    -2,
    2 ** -24,
    65504,
    -0,
  ]);
  assert.deepEqual(
    hex(
      float32ToBfloat16([1, Math.PI, 0.1, 1 / 3, 1 + 2 ** -8, 1 + 3 * 2 ** -8, -0, Number.POSITIVE_INFINITY]),
    ),
    [
      "3f80",
      "4049",
      "3dcd",
      "3eab",
      "3f80", // ties to even (down)
      "3f82", // ties to even (up)
      "8000",
      "7f80",
    ],
  );
  assert.ok(Number.isNaN(bfloat16ToFloat32(float32ToBfloat16([Number.NaN]))[0]));
  assert.deepEqual(
    Array.from(bfloat16ToFloat32(Uint16Array.from([0x3f80, 0x4049, 0xc000]))),
    [1, 3.140625, -2],
  );
  // Every finite half survives half -> float32 -> half.
  const halves = Uint16Array.from({ length: 0x7c00 }, (_, i) => i);
  assert.deepEqual(float32ToFloat16(float16ToFloat32(halves)), halves);
});

// A valid two-tensor file to damage: "a" F32 [2] at [0, 8], "b" U8 [4] at [8, 12].
const GOOD_HEADER =
  '{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"U8","shape":[4],"data_offsets":[8,12]}}';
const GOOD_DATA = [0, 0, 0x80, 0x3f, 0, 0, 0, 0x40, 1, 2, 3, 4];

const CORRUPT: { name: string; bytes: () => Uint8Array; says: RegExp }[] = [
  { name: "empty file", bytes: () => new Uint8Array(0), says: /truncated: 0 bytes/ },
  { name: "truncated length", bytes: () => Uint8Array.from([16, 0, 0]), says: /truncated: 3 bytes/ },
  {
    name: "truncated header",
    bytes: () => fileOf(GOOD_HEADER, GOOD_DATA).subarray(0, 40),
    says: /header length \d+ runs past the end of the 40-byte file/,
  },
  {
    name: "header length over 100 MB",
    bytes: () => Uint8Array.from([0, 0, 0, 0, 1, 0, 0, 0, 0x7b, 0x7d]),
    says: /header length 4294967296 exceeds the 100000000-byte limit/,
  },
  {
    name: "malformed JSON",
    bytes: () => fileOf('{"a": {"dtype": "F32",', []),
    says: /malformed header JSON/,
  },
  { name: "header not an object", bytes: () => fileOf("[1, 2]", []), says: /header is not a JSON object/ },
  {
    name: "invalid UTF-8 in the header",
    bytes: () => {
      const f = fileOf('{"a":1}', []);
      f[10] = 0xff;
      return f;
    },
    says: /malformed header JSON/,
  },
  {
    name: "unknown dtype",
    bytes: () => fileOf('{"a":{"dtype":"F8_E4M3","shape":[2],"data_offsets":[0,2]}}', [1, 2]),
    says: /tensor "a" has unknown dtype "F8_E4M3"; jepa-ts reads F64, F32, F16, BF16, I64, I32, U8, BOOL/,
  },
  {
    name: "overlapping offsets",
    bytes: () =>
      fileOf(
        '{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"U8","shape":[4],"data_offsets":[4,8]}}',
        GOOD_DATA.slice(0, 8),
      ),
    says: /tensors "a" and "b" overlap \(data_offsets \[0, 8\] and \[4, 8\]\)/,
  },
  {
    name: "offsets past the data (truncated data)",
    bytes: () => fileOf(GOOD_HEADER, GOOD_DATA.slice(0, 10)),
    says: /tensor "b" data_offsets \[8, 12\] run past the 10 data bytes/,
  },
  {
    name: "a hole between tensors",
    bytes: () =>
      fileOf(
        '{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"U8","shape":[2],"data_offsets":[10,12]}}',
        GOOD_DATA,
      ),
    says: /data bytes 8\.\.10 belong to no tensor/,
  },
  {
    name: "trailing bytes",
    bytes: () => fileOf(GOOD_HEADER, [...GOOD_DATA, 9, 9]),
    says: /2 data bytes after the last tensor/,
  },
  {
    name: "offsets that disagree with the shape",
    bytes: () => fileOf('{"a":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}', GOOD_DATA.slice(0, 8)),
    says: /tensor "a" \(F32 \[3\]\) needs 12 bytes but data_offsets \[0, 8\] hold 8/,
  },
  {
    name: "reversed offsets",
    bytes: () => fileOf('{"a":{"dtype":"U8","shape":[0],"data_offsets":[4,0]}}', [1, 2, 3, 4]),
    says: /tensor "a" has invalid data_offsets \[4,0\]/,
  },
  {
    name: "a bad shape",
    bytes: () => fileOf('{"a":{"dtype":"U8","shape":[-1],"data_offsets":[0,0]}}', []),
    says: /tensor "a" has an invalid shape \[-1\]/,
  },
  {
    name: "non-string metadata",
    bytes: () => fileOf('{"__metadata__":{"step":3}}', []),
    says: /metadata "step" is 3, not a string/,
  },
];

for (const c of CORRUPT) {
  test(`a damaged file fails with one line naming it: ${c.name}`, () => {
    const path = join(dir, `${c.name.replace(/\W+/g, "-")}.safetensors`);
    writeFileSync(path, c.bytes());
    assert.throws(
      () => loadSafetensors(path),
      (err: unknown) => {
        assert.ok(err instanceof SafetensorsError, String(err));
        assert.equal(err.name, "SafetensorsError");
        assert.ok(err.message.startsWith(`${path}: `), err.message);
        assert.ok(!err.message.includes("\n"), `one line: ${err.message}`);
        assert.match(err.message, c.says);
        return true;
      },
    );
  });
}

test("a missing file fails with a SafetensorsError naming it", () => {
  const path = join(dir, "nope.safetensors");
  assert.throws(() => loadSafetensors(path), {
    name: "SafetensorsError",
    message: `${path}: cannot read the file (ENOENT)`,
  });
});

test("encoding rejects what the format cannot hold", () => {
  assert.throws(() => encodeSafetensors({ __metadata__: hostTensor([1], [1]) }), /cannot name a tensor/);
  assert.throws(
    () => encodeSafetensors({ x: { shape: [2, 2], dtype: "float32", data: new Float32Array(3) } }),
    /tensor "x" holds 3 values but its shape \[2,2\] needs 4/,
  );
});

test("saving is atomic: the file is replaced whole and no temporary files remain", () => {
  const sub = mkdtempSync(join(dir, "atomic-"));
  const path = join(sub, "model.safetensors");
  saveSafetensors(path, { w: hostTensor([2], [1, 2]) });
  saveSafetensors(path, { w: hostTensor([3], [4, 5, 6]) }, { step: "2" });
  assert.deepEqual(readdirSync(sub), ["model.safetensors"]);
  const loaded = loadSafetensors(path);
  assert.deepEqual(Array.from(loaded.tensors.w.data as Float32Array), [4, 5, 6]);
  assert.deepEqual(loaded.metadata, { step: "2" });
  // A save that fails (bad tensor) leaves the previous file intact and nothing else behind.
  const before = readFileSync(path);
  assert.throws(() =>
    saveSafetensors(path, { w: { shape: [5], dtype: "float32", data: new Float32Array(2) } }),
  );
  assert.deepEqual(readFileSync(path), before);
  assert.deepEqual(readdirSync(sub), ["model.safetensors"]);
  // So does a save into a folder that does not exist.
  assert.throws(() => saveSafetensors(join(sub, "missing", "m.safetensors"), { w: hostTensor([1], [1]) }));
  assert.deepEqual(readdirSync(sub), ["model.safetensors"]);
});
