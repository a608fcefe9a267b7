// Decoder-free inspection helpers against known answers: a probe recovers a linear map it was
// built from, the least-squares classifier separates clusters, PCA finds a known axis,
// nearest neighbours and rollout curves match hand-computed values.
import assert from "node:assert/strict";
import { test } from "node:test";
import { Random } from "../src/envs/index.ts";
import {
  applyRidge,
  classificationProbe,
  fitRidge,
  latentPca,
  lowShotIndices,
  nearestNeighbours,
  regressionProbe,
  rolloutErrorCurve,
} from "../src/eval/index.ts";

function gaussianRows(rng: Random, n: number, d: number): Float64Array {
  return Float64Array.from({ length: n * d }, () => rng.normal(0, 1));
}

test("fitRidge with lambda 0 recovers a known affine map exactly", () => {
  const rng = new Random(1);
  const n = 200;
  const p = 5;
  const q = 3;
  const w = gaussianRows(rng, p, q);
  const b = [0.5, -2, 3];
  const x = gaussianRows(rng, n, p);
  const y = new Float64Array(n * q);
  for (let i = 0; i < n; i++)
    for (let k = 0; k < q; k++) {
      y[i * q + k] = b[k];
      for (let j = 0; j < p; j++) y[i * q + k] += x[i * p + j] * w[j * q + k];
    }
  const probe = fitRidge(x, y, n, p, q, 0);
  for (let k = 0; k < w.length; k++) assert.ok(Math.abs(probe.weights[k] - w[k]) < 1e-6, `w[${k}]`);
  for (let k = 0; k < q; k++) assert.ok(Math.abs(probe.bias[k] - b[k]) < 1e-6, `b[${k}]`);
  const fitted = applyRidge(probe, x, n);
  for (let k = 0; k < y.length; k++) assert.ok(Math.abs(fitted[k] - y[k]) < 1e-6);
});

test("regressionProbe on noisy held-out data: RMSE near the noise level, R^2 near 1", () => {
  const rng = new Random(2);
  const make = (n: number) => {
    const x = gaussianRows(rng, n, 4);
    const y = Float64Array.from(
      { length: n },
      (_, i) => 3 * x[i * 4] - 2 * x[i * 4 + 2] + rng.normal(0, 0.1),
    );
    return { x, y };
  };
  const score = regressionProbe(make(500), make(500), 4, 1);
  assert.ok(Math.abs(score.rmse - 0.1) < 0.02, `rmse ${score.rmse}`);
  assert.ok(score.r2 > 0.99, `r2 ${score.r2}`);
});

test("classificationProbe separates Gaussian clusters; a shuffled label set does not", () => {
  const rng = new Random(3);
  const classes = 4;
  const means = gaussianRows(rng, classes, 8).map((v) => 4 * v);
  const make = (n: number) => {
    const labels = Int32Array.from({ length: n }, () => rng.int(classes));
    const x = Float64Array.from(
      { length: n * 8 },
      (_, k) => means[labels[Math.floor(k / 8)] * 8 + (k % 8)] + rng.normal(0, 1),
    );
    return { x, labels };
  };
  const train = make(400);
  const testSet = make(400);
  assert.ok(classificationProbe(train, testSet, 8, classes).accuracy > 0.95);
  const shuffled = { x: train.x, labels: Int32Array.from(train.labels, () => rng.int(classes)) };
  assert.ok(classificationProbe(shuffled, testSet, 8, classes).accuracy < 0.45);
});

test("lowShotIndices: exactly k rows of each class, distinct, seeded", () => {
  const labels = Int32Array.from({ length: 300 }, (_, i) => i % 5);
  const idx = lowShotIndices(labels, 5, 12, 7);
  assert.equal(idx.length, 60);
  assert.equal(new Set(idx).size, 60);
  for (let c = 0; c < 5; c++) assert.equal(idx.filter((i) => labels[i] === c).length, 12);
  assert.deepEqual(idx, lowShotIndices(labels, 5, 12, 7));
  assert.notDeepEqual(idx, lowShotIndices(labels, 5, 12, 8));
  assert.throws(() => lowShotIndices(labels, 5, 61, 0), /60 rows; 61 per class/);
});

test("nearestNeighbours matches a hand-checked case, nearest first", () => {
  const bank = [0, 0, 1, 0, 5, 5, 0, 2];
  const { indices, distances } = nearestNeighbours([0.9, 0.1, 4, 4], bank, 2, 2);
  assert.deepEqual(Array.from(indices), [1, 0, 2, 3]);
  assert.ok(Math.abs(distances[0] - Math.hypot(0.1, 0.1)) < 1e-12);
  assert.ok(Math.abs(distances[2] - Math.hypot(1, 1)) < 1e-12);
});

test("rolloutErrorCurve: per-step mean squared error", () => {
  // B = 2, H = 2, D = 2: step 0 errors (1, 1) and (0, 0); step 1 errors (2, 0) and (0, 2).
  const target = new Array(8).fill(0);
  const predicted = [1, 1, 2, 0, 0, 0, 0, 2];
  assert.deepEqual(rolloutErrorCurve(predicted, target, 2, 2, 2), [0.5, 2]);
});

test("latentPca finds the axis of largest variance and its share", () => {
  const rng = new Random(4);
  const n = 2000;
  const x = new Float64Array(n * 3);
  const axis = [0.6, 0.8, 0];
  for (let i = 0; i < n; i++) {
    const a = rng.normal(0, 3);
    const b = rng.normal(0, 0.5);
    x[i * 3] = a * axis[0] - b * axis[1];
    x[i * 3 + 1] = a * axis[1] + b * axis[0];
    x[i * 3 + 2] = rng.normal(0, 0.1);
  }
  const pca = latentPca(x, n, 3, 2);
  const dot = axis.reduce((s, v, j) => s + v * pca.components[j], 0);
  assert.ok(Math.abs(Math.abs(dot) - 1) < 1e-3, `alignment ${dot}`);
  assert.ok(Math.abs(pca.variances[0] - 9) < 0.8, `variance ${pca.variances[0]}`);
  assert.ok(pca.explained[0] > 0.95 && pca.explained[0] + pca.explained[1] > 0.999);
});
