import assert from "node:assert/strict";
import { test } from "node:test";
import { keyFromSeed, normal } from "../src/engine/index.ts";
import {
  covarianceError,
  fitLinear,
  identifiabilityMetrics,
  orthogonalityError,
  procrustes,
  svdSmall,
} from "../src/eval/index.ts";

const N = 4000;
const z = normal(keyFromSeed(1), N * 2); // [N, 2] standard normal

/** Rows of z rotated by angle, scaled, and shifted: h = s R z + b. */
function affine(angle: number, scale = 1, shift = [0.5, -2]): Float64Array {
  const c = Math.cos(angle);
  const s = Math.sin(angle);
  const h = new Float64Array(N * 2);
  for (let i = 0; i < N; i++) {
    h[2 * i] = scale * (c * z[2 * i] - s * z[2 * i + 1]) + shift[0];
    h[2 * i + 1] = scale * (s * z[2 * i] + c * z[2 * i + 1]) + shift[1];
  }
  return h;
}

test("a rotation plus a shift: R^2 = 1 both ways, orthogonality and Procrustes error 0", () => {
  const h = affine(0.7);
  const m = identifiabilityMetrics(h, z, N, 2);
  assert.ok(Math.abs(m.r2_h_to_z - 1) < 1e-10 && Math.abs(m.r2_z_to_h - 1) < 1e-10, JSON.stringify(m));
  assert.ok(m.orthogonality_error < 1e-8, `orthogonality error ${m.orthogonality_error}`);
  assert.ok(m.procrustes_error < 1e-8, `Procrustes error ${m.procrustes_error}`);
  // The fitted map is the rotation and the bias the shift.
  const fit = fitLinear(z, h, N, 2, 2);
  assert.deepEqual(
    Array.from(fit.weights, (v) => +v.toFixed(9)),
    [Math.cos(0.7), -Math.sin(0.7), Math.sin(0.7), Math.cos(0.7)].map((v) => +v.toFixed(9)),
  );
  assert.deepEqual(
    Array.from(fit.bias, (v) => +v.toFixed(9)),
    [0.5, -2],
  );
  // Covariance error of a sample of N(0, I): about sqrt(2 * 3 / N) (sampling noise only).
  assert.ok(m.covariance_error < 0.1, `covariance error ${m.covariance_error}`);
});

test("a scaled rotation: R^2 stays 1 but orthogonality and covariance errors see the scale", () => {
  const h = affine(-1.2, 2);
  const m = identifiabilityMetrics(h, z, N, 2);
  assert.ok(m.r2_h_to_z > 1 - 1e-10 && m.r2_z_to_h > 1 - 1e-10);
  // A = 2 R: A^T A - I = 3 I, Frobenius norm 3 sqrt(2).
  assert.ok(Math.abs(m.orthogonality_error - 3 * Math.SQRT2) < 1e-6, `${m.orthogonality_error}`);
  // Cov(h) ~ 4 I: ||3 I||_F = 3 sqrt(2), up to sampling noise.
  assert.ok(Math.abs(m.covariance_error - 3 * Math.SQRT2) < 0.5, `${m.covariance_error}`);
  // Procrustes fits no scale: the residual ||2Rz - Rz|| is ||z||, relative error 1.
  assert.ok(Math.abs(m.procrustes_error - 1) < 1e-6, `${m.procrustes_error}`);
});

test("additive noise lowers R^2 to var(signal) / var(total)", () => {
  const noise = normal(keyFromSeed(2), N * 2);
  const h = affine(0.3);
  for (let i = 0; i < h.length; i++) h[i] += noise[i]; // signal variance 1, noise variance 1
  const m = identifiabilityMetrics(h, z, N, 2);
  assert.ok(Math.abs(m.r2_z_to_h - 0.5) < 0.05, `R^2 z -> h ${m.r2_z_to_h}, expected ~0.5`);
  assert.ok(Math.abs(m.r2_h_to_z - 0.5) < 0.05, `R^2 h -> z ${m.r2_h_to_z}, expected ~0.5`);
});

test("a nonlinear map is not linearly identified", () => {
  const h = new Float64Array(N * 2);
  for (let i = 0; i < N; i++) {
    h[2 * i] = z[2 * i] ** 2;
    h[2 * i + 1] = Math.abs(z[2 * i + 1]);
  }
  const m = identifiabilityMetrics(h, z, N, 2);
  assert.ok(m.r2_h_to_z < 0.1 && m.r2_z_to_h < 0.1, JSON.stringify(m));
});

test("small SVD reconstructs the matrix; Procrustes recovers a reflection", () => {
  const m = [3, 1, -2, 0.5];
  const { u, s, v } = svdSmall(m, 2);
  for (let i = 0; i < 2; i++)
    for (let j = 0; j < 2; j++) {
      const r = u[i * 2] * s[0] * v[j * 2] + u[i * 2 + 1] * s[1] * v[j * 2 + 1];
      assert.ok(Math.abs(r - m[i * 2 + j]) < 1e-12);
    }
  const flipped = Float64Array.from(z, (x, i) => (i % 2 === 0 ? -x : x));
  const p = procrustes(z, flipped, N, 2);
  assert.ok(p.error < 1e-10);
  assert.ok(Math.abs(p.rotation[0] + 1) < 1e-10 && Math.abs(p.rotation[3] - 1) < 1e-10);
  assert.equal(orthogonalityError([0, 1, 1, 0], 2, 2), 0);
  assert.equal(covarianceError([1, 0, -1, 0], 2, 2), Math.sqrt(1 + 1)); // Cov = diag(2, 0)
});
