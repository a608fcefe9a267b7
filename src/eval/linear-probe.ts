// A linear probe of a class from frozen features, scored on held-out rows: ridge onto one-hot
// labels (probes.ts' classificationProbe) on standardised features, with the ridge chosen on a
// validation split of the training rows, so every encoder gets its best linear read-out.
import { applyRidge, classificationProbe, takeRows } from "./probes.ts";
import { wilsonInterval } from "./stats.ts";

const RIDGE_GRID = [1e-4, 1e-3, 1e-2, 1e-1, 1];

/** Standardises the columns of x [n, d] with the mean and deviation of its first `fitRows` rows. */
function standardise(x: Float32Array, d: number, fitRows: number): Float64Array {
  const n = x.length / d;
  const out = new Float64Array(x.length);
  for (let j = 0; j < d; j++) {
    let m = 0;
    for (let i = 0; i < fitRows; i++) m += x[i * d + j] / fitRows;
    let v = 0;
    for (let i = 0; i < fitRows; i++) v += (x[i * d + j] - m) ** 2 / fitRows;
    const sd = Math.sqrt(v) || 1;
    for (let i = 0; i < n; i++) out[i * d + j] = (x[i * d + j] - m) / sd;
  }
  return out;
}

/** A linear probe's held-out result: accuracy, its 95% interval and which test rows it got right. */
export interface ProbeResult {
  accuracy: number;
  ci95: [number, number];
  correct: boolean[];
  ridge: number;
}

/**
 * Linear probe of a class from features: fitted on trainX [n, d] and trainLabels [n], scored
 * on testX [m, d] and testLabels [m] (labels 0..classes-1).
 * Features are standardised with the training rows; the ridge is chosen from RIDGE_GRID on the
 * last fifth of the training rows, then the probe is refitted on all of them.
 */
export function linearProbe(
  trainX: Float32Array,
  trainLabels: Int32Array,
  testX: Float32Array,
  testLabels: Int32Array,
  d: number,
  classes: number,
): ProbeResult {
  const nTrain = trainLabels.length;
  const nTest = testLabels.length;
  if (trainX.length !== nTrain * d || testX.length !== nTest * d)
    throw new Error(
      `linearProbe: features must be [${nTrain}, ${d}] and [${nTest}, ${d}], got ${trainX.length} and ${testX.length} values`,
    );
  const all = new Float32Array((nTrain + nTest) * d);
  all.set(trainX);
  all.set(testX, nTrain * d);
  const z = standardise(all, d, nTrain);
  const fitRows = Math.floor(0.8 * nTrain);
  const rows = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => from + i);
  const pick = (from: number, to: number) => ({
    x: takeRows(z, d, rows(from, to)),
    labels: trainLabels.subarray(from, to),
  });
  let ridge = RIDGE_GRID[0];
  let best = -1;
  for (const lambda of RIDGE_GRID) {
    const a = classificationProbe(pick(0, fitRows), pick(fitRows, nTrain), d, classes, lambda).accuracy;
    if (a > best) [best, ridge] = [a, lambda];
  }
  const { probe } = classificationProbe(pick(0, nTrain), pick(0, 1), d, classes, ridge);
  const scores = applyRidge(probe, z.subarray(nTrain * d), nTest); // [m, classes]
  const correct: boolean[] = [];
  for (let i = 0; i < nTest; i++) {
    let arg = 0;
    for (let k = 1; k < classes; k++) if (scores[i * classes + k] > scores[i * classes + arg]) arg = k;
    correct.push(arg === testLabels[i]);
  }
  const k = correct.filter(Boolean).length;
  return { accuracy: k / nTest, ci95: wilsonInterval(k, nTest), correct, ridge };
}
