// Collapse monitors: embeddings that collapsed to a point or a line are flagged; isotropic
// Gaussian embeddings pass, with effective rank ~ D and a small SIGReg statistic.
import assert from "node:assert/strict";
import { test } from "node:test";
import { keyFromSeed, normal } from "../src/engine/index.ts";
import { collapseStats } from "../src/train/index.ts";

const N = 2000;
const D = 16;

/** K fixed unit directions [K, D]. */
function directions(k: number): Float64Array {
  const a = Float64Array.from(normal(keyFromSeed(9), k * D));
  for (let s = 0; s < k; s++) {
    const norm = Math.hypot(...a.subarray(s * D, (s + 1) * D));
    for (let j = 0; j < D; j++) a[s * D + j] /= norm;
  }
  return a;
}

test("isotropic Gaussian embeddings pass: effective rank ~ D, SIGReg small", () => {
  const h = normal(keyFromSeed(1), N * D);
  const s = collapseStats(h, N, D, directions(8));
  assert.equal(s.collapsed, false, s.reason);
  assert.ok(s.effectiveRank > 0.97 * D && s.effectiveRank <= D, `effective rank ${s.effectiveRank}`);
  assert.ok(Math.abs(s.stdMean - 1) < 0.05, `std ${s.stdMean}`);
  assert.ok(s.sigreg < 0.5, `sigreg ${s.sigreg}`);
});

test("identity covariance gives effective rank D exactly; a scaled axis lowers it", () => {
  // Rows +-e_j: every dimension has the same variance and no correlations.
  const n = 2 * D;
  const h = new Float64Array(n * D);
  for (let j = 0; j < D; j++) {
    h[2 * j * D + j] = 1;
    h[(2 * j + 1) * D + j] = -1;
  }
  assert.ok(Math.abs(collapseStats(h, n, D).effectiveRank - D) < 1e-9);
  for (let i = 0; i < n; i++) h[i * D] *= 10;
  assert.ok(collapseStats(h, n, D).effectiveRank < D - 1);
});

test("all rows equal is flagged as collapsed to a point", () => {
  const row = normal(keyFromSeed(2), D);
  const h = new Float32Array(N * D);
  for (let i = 0; i < N; i++) h.set(row, i * D);
  const s = collapseStats(h, N, D, directions(8));
  assert.equal(s.collapsed, true);
  assert.match(s.reason, /collapsed to a point/);
  assert.equal(s.effectiveRank, 0);
});

test("rank-1 embeddings are flagged as collapsed to a subspace; SIGReg sees non-Gaussian data", () => {
  const u = normal(keyFromSeed(3), N);
  const v = normal(keyFromSeed(4), D);
  const h = new Float32Array(N * D);
  for (let i = 0; i < N; i++) for (let j = 0; j < D; j++) h[i * D + j] = u[i] * v[j];
  const s = collapseStats(h, N, D);
  assert.equal(s.collapsed, true);
  assert.match(s.reason, /collapsed to a subspace \(effective rank 1\.00 of 16\)/);
  // Uniform (not Gaussian) but full rank: not collapsed, yet a clearly larger SIGReg statistic.
  const uniform = Float32Array.from(normal(keyFromSeed(5), N * D), (x) => Math.tanh(3 * x));
  const gaussian = collapseStats(normal(keyFromSeed(1), N * D), N, D, directions(8));
  const flat = collapseStats(uniform, N, D, directions(8));
  assert.equal(flat.collapsed, false);
  assert.ok(flat.sigreg > 3 * gaussian.sigreg, `sigreg ${flat.sigreg} vs ${gaussian.sigreg}`);
});
