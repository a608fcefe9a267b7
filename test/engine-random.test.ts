// Philox 4x32-10 against the Random123 known-answer vectors, and same seed, same bits for the
// key derivations and samplers built on it.
import assert from "node:assert/strict";
import { test } from "node:test";
import {
  foldIn,
  keyFromSeed,
  normal,
  normalInto,
  permutation,
  philox,
  randint,
  split,
  uniform,
} from "../src/engine/index.ts";

test("philox4x32-10 matches the Random123 known answers", () => {
  const hex = (w: number[]) => w.map((v) => v.toString(16).padStart(8, "0"));
  assert.deepEqual(hex(philox([0, 0], 0, 0, 0, 0)), ["6627e8d5", "e169c58d", "bc57ac4c", "9b00dbd8"]);
  assert.deepEqual(hex(philox([0xffffffff, 0xffffffff], 0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff)), [
    "408f276d",
    "41c83b0e",
    "a20bc7c6",
    "6d5451fd",
  ]);
  assert.deepEqual(hex(philox([0xa4093822, 0x299f31d0], 0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344)), [
    "d16cfe09",
    "94fdcceb",
    "5001e420",
    "24126ea1",
  ]);
});

test("keys: same seed same key, different seeds, split and foldIn give distinct keys", () => {
  assert.deepEqual(keyFromSeed(42), keyFromSeed(42));
  assert.notDeepEqual(keyFromSeed(42), keyFromSeed(43));
  assert.notDeepEqual(keyFromSeed(2 ** 32), keyFromSeed(0));
  const key = keyFromSeed(7);
  const parts = split(key, 5);
  assert.deepEqual(parts, split(key, 5));
  assert.deepEqual(split(key, 2), parts.slice(0, 2));
  const all = [key, ...parts, foldIn(key, 0), foldIn(key, 1), foldIn(key, 2 ** 40)].map((k) => k.join(","));
  assert.equal(new Set(all).size, all.length);
  assert.deepEqual(foldIn(key, 3), foldIn(key, 3));
  for (const k of all) for (const w of k.split(",")) assert.ok(Number(w) >= 0 && Number(w) < 2 ** 32);
  assert.throws(() => keyFromSeed(-1), /non-negative integer/);
  assert.throws(() => keyFromSeed(1.5), /non-negative integer/);
});

test("samplers: deterministic per key, in range, with the right moments", () => {
  const key = keyFromSeed(2024);
  const n = 20000;
  const u = uniform(key, n);
  assert.deepEqual(u, uniform(key, n));
  assert.notDeepEqual(u, uniform(foldIn(key, 1), n));
  assert.deepEqual(uniform(key, 7), u.subarray(0, 7));
  assert.ok(u.every((v) => v >= 0 && v < 1));
  const mean = (a: Float64Array) => a.reduce((s, v) => s + v, 0) / a.length;
  assert.ok(Math.abs(mean(u) - 0.5) < 0.01, `uniform mean ${mean(u)}`);

  const z = normal(key, n);
  assert.deepEqual(z, normal(key, n));
  assert.equal(normal(key, 5).length, 5);
  const m = mean(z);
  const v = mean(z.map((x) => (x - m) ** 2));
  assert.ok(Math.abs(m) < 0.03 && Math.abs(v - 1) < 0.04, `normal mean ${m} variance ${v}`);
  assert.ok(z.every(Number.isFinite));

  const r = randint(key, 1000, 7);
  assert.deepEqual(r, randint(key, 1000, 7));
  assert.ok(r.every((x) => x >= 0 && x < 7));
  assert.equal(new Set(r).size, 7);

  const p = permutation(key, 50);
  assert.deepEqual(p, permutation(key, 50));
  assert.deepEqual(
    [...p].sort((a, b) => a - b),
    Array.from({ length: 50 }, (_, i) => i),
  );
  assert.notDeepEqual(
    [...p],
    Array.from({ length: 50 }, (_, i) => i),
  );
});

test("uniform and normal are Philox words block by block (the batched generator), normalInto agrees", () => {
  for (const seed of [0, 3, 99]) {
    const key = foldIn(keyFromSeed(seed), 12345);
    for (const n of [1, 2, 3, 5, 8, 9, 13, 1001]) {
      const u = uniform(key, n);
      const words = Array.from({ length: Math.ceil((n + 1) / 4) }, (_, b) => philox(key, b)).flat();
      for (const [i, v] of u.entries()) assert.equal(v, words[i] / 4294967296, `uniform[${i}] of ${n}`);
      // Box-Muller on the pair (words[j], words[j + 1]), j even
      const z = normal(key, n);
      for (let i = 0; i < n; i++) {
        const j = i - (i % 2);
        const r = Math.sqrt(-2 * Math.log(1 - words[j] / 4294967296));
        const t = 2 * Math.PI * (words[j + 1] / 4294967296);
        assert.equal(z[i], i % 2 ? r * Math.sin(t) : r * Math.cos(t), `normal[${i}] of ${n}`);
      }
      const f = new Float32Array(n + 2).subarray(1, n + 1);
      normalInto(key, f);
      assert.deepEqual(f, Float32Array.from(z));
    }
  }
});
