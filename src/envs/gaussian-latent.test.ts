import assert from "node:assert/strict";
import { test } from "node:test";
import { couplingFlow, logGamma, mixLatent, sampleGaussianLatent } from "./gaussian-latent.ts";

function moments(a: Float64Array, b: Float64Array, n: number, count: number) {
  const mean = new Float64Array(n);
  const cov = new Float64Array(n * n);
  const cross = new Float64Array(n);
  for (let i = 0; i < count; i++) for (let k = 0; k < n; k++) mean[k] += a[i * n + k] / count;
  for (let i = 0; i < count; i++)
    for (let k = 0; k < n; k++) {
      cross[k] += (a[i * n + k] * b[i * n + k]) / count;
      for (let l = 0; l < n; l++) cov[k * n + l] += (a[i * n + k] * a[i * n + l]) / count;
    }
  return { mean, cov, cross };
}

test("Gaussian latents: mean 0, covariance I, Corr(z, z') = rho", () => {
  const count = 20000;
  for (const [n, rho] of [
    [2, 0.95],
    [4, 0.5],
  ]) {
    const b = sampleGaussianLatent(11, count, { n, rho, mixing: "identity" });
    const { mean, cov, cross } = moments(b.z, b.zNext, n, count);
    const next = moments(b.zNext, b.z, n, count);
    for (let k = 0; k < n; k++) {
      assert.ok(Math.abs(mean[k]) < 0.03, `mean ${mean[k]}`);
      assert.ok(Math.abs(next.cov[k * n + k] - 1) < 0.04, "z' keeps unit variance");
      for (let l = 0; l < n; l++)
        assert.ok(Math.abs(cov[k * n + l] - (k === l ? 1 : 0)) < 0.04, `cov ${k},${l}`);
      assert.ok(Math.abs(cross[k] - rho) < 0.02, `rho ${cross[k]}`);
    }
    assert.deepEqual(b.x, b.z, "identity mixing");
  }
});

test("generalised normal latents have unit variance and the right kurtosis", () => {
  const count = 40000;
  for (const alpha of [0.5, 1, 4, 8]) {
    const b = sampleGaussianLatent(3, count, { n: 2, alpha, mixing: "identity" });
    let m2 = 0;
    let m4 = 0;
    for (const v of b.z) {
      m2 += (v * v) / b.z.length;
      m4 += (v * v * v * v) / b.z.length;
    }
    const kurtosis = Math.exp(logGamma(5 / alpha) + logGamma(1 / alpha) - 2 * logGamma(3 / alpha));
    assert.ok(Math.abs(m2 - 1) < (alpha < 1 ? 0.12 : 0.03), `alpha ${alpha}: variance ${m2}`);
    assert.ok(
      Math.abs(m4 / (m2 * m2) - kurtosis) / kurtosis < (alpha < 1 ? 0.35 : 0.06),
      `alpha ${alpha}: kurtosis ${m4 / m2 / m2} vs ${kurtosis}`,
    );
  }
});

test("mixings follow their formulas and the coupling flow inverts", () => {
  const z = Float64Array.of(0.6, -1.2);
  const r = Math.hypot(0.6, -1.2) * Math.PI;
  const spiral = mixLatent(z, "spiral");
  assert.ok(Math.abs(spiral[0] - (Math.cos(r) * 0.6 + Math.sin(r) * 1.2)) < 1e-12);
  assert.ok(
    Math.abs(Math.hypot(spiral[0], spiral[1]) - Math.hypot(0.6, 1.2)) < 1e-12,
    "a rotation keeps the norm",
  );
  assert.deepEqual(Array.from(mixLatent(z, "banana")), [z[0], z[1] + z[0] * z[0]]);
  assert.deepEqual(Array.from(mixLatent(z, "sinusoid")), [z[0] + Math.sin(1.5 * z[1]), z[1]]);
  const flow = couplingFlow(5, 3);
  const v = Float64Array.of(0.3, -2, 1.1);
  const x = flow.forward(v);
  assert.ok(Math.hypot(x[0] - v[0], x[1] - v[1], x[2] - v[2]) > 0.1, "the flow is not the identity");
  const back = flow.inverse(x);
  for (let k = 0; k < 3; k++) assert.ok(Math.abs(back[k] - v[k]) < 1e-12);
  const batch = sampleGaussianLatent(1, 10, { mixing: "coupling", flowSeed: 5 });
  assert.deepEqual(
    sampleGaussianLatent(1, 10, { mixing: "coupling", flowSeed: 5 }),
    batch,
    "a pure function of the seeds",
  );
});

test("logGamma matches known values", () => {
  assert.ok(Math.abs(logGamma(5) - Math.log(24)) < 1e-12);
  assert.ok(Math.abs(logGamma(0.5) - 0.5 * Math.log(Math.PI)) < 1e-12);
});
