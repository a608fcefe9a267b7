// Decoder-free inspection of a world model: what its embeddings know, read without pixels.
//   - ridge probes: embeddings -> true state (positions), fitted on one split, scored on another;
//   - classification probes: ridge onto one-hot labels, argmax (a least-squares classifier),
//     with few-label training sets for low-shot accuracy (I-JEPA's 1 / 3 / 12 / 50 per class);
//   - nearest-neighbour frames: which stored frames sit closest to a query embedding;
//   - rollout error curves: prediction error of the latent rollout against the horizon;
//   - latent PCA: principal axes of embeddings, for plotting trajectories.
// Host-side plain arrays: rows are samples, matrices are row-major.
import { deriveSeed, Random } from "../envs/index.ts";

/** A fitted ridge map y ~ x W + b: `weights` W is [p, q] row-major, `bias` b is [q]. */
export interface RidgeProbe {
  weights: Float64Array;
  bias: Float64Array;
  inDim: number;
  outDim: number;
  lambda: number;
}

/** Cholesky solve of the symmetric positive definite system M X = R, M [d, d], R [d, q]. */
function choleskySolve(m: Float64Array, r: Float64Array, d: number, q: number): Float64Array {
  const l = new Float64Array(d * d);
  for (let i = 0; i < d; i++) {
    for (let j = 0; j <= i; j++) {
      let s = m[i * d + j];
      for (let k = 0; k < j; k++) s -= l[i * d + k] * l[j * d + k];
      l[i * d + j] = i === j ? Math.sqrt(Math.max(s, 1e-300)) : s / l[j * d + j];
    }
  }
  const x = Float64Array.from(r);
  for (let c = 0; c < q; c++) {
    for (let i = 0; i < d; i++) {
      let s = x[i * q + c];
      for (let k = 0; k < i; k++) s -= l[i * d + k] * x[k * q + c];
      x[i * q + c] = s / l[i * d + i];
    }
    for (let i = d - 1; i >= 0; i--) {
      let s = x[i * q + c];
      for (let k = i + 1; k < d; k++) s -= l[k * d + i] * x[k * q + c];
      x[i * q + c] = s / l[i * d + i];
    }
  }
  return x;
}

/**
 * Ridge regression of y [n, q] on x [n, p] with an unpenalised bias: W minimises
 * ||Y_c - X_c W||^2 + lambda * tr(X_c^T X_c) / p * ||W||^2 (lambda is relative to the mean
 * feature variance, so it means the same at any embedding scale); lambda 0 is least squares.
 */
export function fitRidge(
  x: ArrayLike<number>,
  y: ArrayLike<number>,
  n: number,
  p: number,
  q: number,
  lambda = 1e-3,
): RidgeProbe {
  if (x.length !== n * p || y.length !== n * q) {
    throw new Error(
      `fitRidge: x has ${x.length} values and y ${y.length}; expected [${n}, ${p}] and [${n}, ${q}]`,
    );
  }
  const mx = new Float64Array(p);
  const my = new Float64Array(q);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < p; j++) mx[j] += x[i * p + j] / n;
    for (let k = 0; k < q; k++) my[k] += y[i * q + k] / n;
  }
  const xx = new Float64Array(p * p);
  const xy = new Float64Array(p * q);
  const row = new Float64Array(p);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < p; j++) row[j] = x[i * p + j] - mx[j];
    for (let j = 0; j < p; j++) {
      const a = row[j];
      if (a === 0) continue;
      for (let k = j; k < p; k++) xx[j * p + k] += a * row[k];
      for (let k = 0; k < q; k++) xy[j * q + k] += a * (y[i * q + k] - my[k]);
    }
  }
  let trace = 0;
  for (let j = 0; j < p; j++) trace += xx[j * p + j];
  for (let j = 0; j < p; j++) for (let k = 0; k < j; k++) xx[j * p + k] = xx[k * p + j];
  // The 1e-10 floor keeps a rank-deficient design (fewer samples than features) solvable.
  const ridge = Math.max(lambda, 1e-10) * (trace / p || 1);
  for (let j = 0; j < p; j++) xx[j * p + j] += ridge;
  const weights = choleskySolve(xx, xy, p, q);
  const bias = Float64Array.from(my);
  for (let k = 0; k < q; k++) for (let j = 0; j < p; j++) bias[k] -= mx[j] * weights[j * q + k];
  return { weights, bias, inDim: p, outDim: q, lambda };
}

/** Applies a ridge probe: x [n, p] -> y [n, q]. */
export function applyRidge(probe: RidgeProbe, x: ArrayLike<number>, n: number): Float64Array {
  const { weights, bias, inDim: p, outDim: q } = probe;
  const out = new Float64Array(n * q);
  for (let i = 0; i < n; i++) {
    for (let k = 0; k < q; k++) out[i * q + k] = bias[k];
    for (let j = 0; j < p; j++) {
      const v = x[i * p + j];
      for (let k = 0; k < q; k++) out[i * q + k] += v * weights[j * q + k];
    }
  }
  return out;
}

/** Scores of a regression probe on held-out rows. */
export interface RegressionScore {
  /** sqrt of the mean squared error over all rows and outputs (in the target's units). */
  rmse: number;
  /** Per-output RMSE [q]. */
  rmsePerOutput: number[];
  /** Mean over outputs of 1 - SS_res / SS_tot on the held-out rows. */
  r2: number;
}

/** RMSE and R^2 of predictions [n, q] against targets [n, q]. */
export function regressionScore(
  predicted: ArrayLike<number>,
  target: ArrayLike<number>,
  n: number,
  q: number,
): RegressionScore {
  const mean = new Float64Array(q);
  for (let i = 0; i < n; i++) for (let k = 0; k < q; k++) mean[k] += target[i * q + k] / n;
  const res = new Float64Array(q);
  const tot = new Float64Array(q);
  for (let i = 0; i < n; i++) {
    for (let k = 0; k < q; k++) {
      res[k] += (target[i * q + k] - predicted[i * q + k]) ** 2;
      tot[k] += (target[i * q + k] - mean[k]) ** 2;
    }
  }
  const rmsePerOutput = Array.from(res, (r) => Math.sqrt(r / n));
  const r2 = Array.from(res, (r, k) => (tot[k] > 0 ? 1 - r / tot[k] : 0)).reduce((a, b) => a + b, 0) / q;
  return { rmse: Math.sqrt(res.reduce((a, b) => a + b, 0) / (n * q)), rmsePerOutput, r2 };
}

/** Rows of a row-major matrix [*, width], gathered by index. */
export function takeRows(x: ArrayLike<number>, width: number, rows: ArrayLike<number>): Float64Array {
  const out = new Float64Array(rows.length * width);
  for (let i = 0; i < rows.length; i++)
    for (let j = 0; j < width; j++) out[i * width + j] = x[rows[i] * width + j];
  return out;
}

/** Fits a ridge probe on (trainX, trainY) and scores it on (testX, testY); x has p columns, y q. */
export function regressionProbe(
  train: { x: ArrayLike<number>; y: ArrayLike<number> },
  test: { x: ArrayLike<number>; y: ArrayLike<number> },
  p: number,
  q: number,
  lambda = 1e-3,
): RegressionScore & { probe: RidgeProbe } {
  const probe = fitRidge(train.x, train.y, train.y.length / q, p, q, lambda);
  const n = test.y.length / q;
  return { ...regressionScore(applyRidge(probe, test.x, n), test.y, n, q), probe };
}

/**
 * A least-squares classifier: ridge onto one-hot labels (targets +1 / 0), predicted class the
 * argmax. Returns the held-out accuracy.
 */
export function classificationProbe(
  train: { x: ArrayLike<number>; labels: ArrayLike<number> },
  test: { x: ArrayLike<number>; labels: ArrayLike<number> },
  p: number,
  classes: number,
  lambda = 1e-2,
): { accuracy: number; probe: RidgeProbe } {
  const n = train.labels.length;
  const onehot = new Float64Array(n * classes);
  for (let i = 0; i < n; i++) onehot[i * classes + train.labels[i]] = 1;
  const probe = fitRidge(train.x, onehot, n, p, classes, lambda);
  const m = test.labels.length;
  const scores = applyRidge(probe, test.x, m);
  let correct = 0;
  for (let i = 0; i < m; i++) {
    let best = 0;
    for (let k = 1; k < classes; k++) if (scores[i * classes + k] > scores[i * classes + best]) best = k;
    if (best === test.labels[i]) correct++;
  }
  return { accuracy: correct / Math.max(m, 1), probe };
}

/**
 * Indices of a low-shot training set: `perClass` rows of each class drawn without replacement
 * (seeded). Throws when a class has fewer rows than asked for.
 */
export function lowShotIndices(
  labels: ArrayLike<number>,
  classes: number,
  perClass: number,
  seed: number,
): number[] {
  const rng = new Random(deriveSeed(seed, perClass));
  const out: number[] = [];
  for (let c = 0; c < classes; c++) {
    const rows: number[] = [];
    for (let i = 0; i < labels.length; i++) if (labels[i] === c) rows.push(i);
    if (rows.length < perClass)
      throw new Error(`class ${c} has ${rows.length} rows; ${perClass} per class asked for`);
    for (let k = 0; k < perClass; k++) {
      const j = k + rng.int(rows.length - k); // partial Fisher-Yates
      [rows[k], rows[j]] = [rows[j], rows[k]];
      out.push(rows[k]);
    }
  }
  return out;
}

/**
 * The k nearest bank rows [n, d] of each query row [m, d] by Euclidean distance:
 * indices and distances [m, k], nearest first.
 */
export function nearestNeighbours(
  queries: ArrayLike<number>,
  bank: ArrayLike<number>,
  d: number,
  k = 1,
): { indices: Int32Array; distances: Float64Array } {
  const m = queries.length / d;
  const n = bank.length / d;
  if (k > n) throw new Error(`nearestNeighbours: k ${k} exceeds the ${n} bank rows`);
  const indices = new Int32Array(m * k);
  const distances = new Float64Array(m * k).fill(Number.POSITIVE_INFINITY);
  for (let i = 0; i < m; i++) {
    for (let r = 0; r < n; r++) {
      let s = 0;
      for (let j = 0; j < d; j++) s += (queries[i * d + j] - bank[r * d + j]) ** 2;
      // Insertion into the sorted top-k of this query.
      let pos = k;
      while (pos > 0 && s < distances[i * k + pos - 1]) pos--;
      if (pos === k) continue;
      for (let t = k - 1; t > pos; t--) {
        distances[i * k + t] = distances[i * k + t - 1];
        indices[i * k + t] = indices[i * k + t - 1];
      }
      distances[i * k + pos] = s;
      indices[i * k + pos] = r;
    }
  }
  return { indices, distances: distances.map(Math.sqrt) };
}

/**
 * Rollout error curve: mean squared error per dimension at each step of predicted [B, H, D]
 * against target [B, H, D] embeddings, -> [H] (step h is h + 1 predictor steps ahead).
 */
export function rolloutErrorCurve(
  predicted: ArrayLike<number>,
  target: ArrayLike<number>,
  b: number,
  h: number,
  d: number,
): number[] {
  if (predicted.length !== b * h * d || target.length !== b * h * d) {
    throw new Error(`rolloutErrorCurve: predicted and target must both be [${b}, ${h}, ${d}]`);
  }
  const curve = new Array<number>(h).fill(0);
  for (let i = 0; i < b; i++)
    for (let t = 0; t < h; t++)
      for (let j = 0; j < d; j++) {
        const o = (i * h + t) * d + j;
        curve[t] += (predicted[o] - target[o]) ** 2 / (b * d);
      }
  return curve;
}

/** Mean per-dimension variance of rows [n, d]: the scale that makes a latent MSE comparable. */
export function meanVariance(x: ArrayLike<number>, n: number, d: number): number {
  let total = 0;
  for (let j = 0; j < d; j++) {
    let m = 0;
    for (let i = 0; i < n; i++) m += x[i * d + j] / n;
    for (let i = 0; i < n; i++) total += (x[i * d + j] - m) ** 2 / (n - 1);
  }
  return total / d;
}

/** Principal components of rows [n, d]: axes [k, d], their variances [k], projections [n, k]. */
export interface LatentPca {
  components: Float64Array;
  variances: number[];
  /** Share of the total variance each component explains. */
  explained: number[];
  projected: Float64Array;
  mean: Float64Array;
}

/** PCA by power iteration with deflation on the covariance [d, d]; deterministic. */
export function latentPca(x: ArrayLike<number>, n: number, d: number, k = 2): LatentPca {
  const mean = new Float64Array(d);
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) mean[j] += x[i * d + j] / n;
  const cov = new Float64Array(d * d);
  for (let i = 0; i < n; i++)
    for (let a = 0; a < d; a++) {
      const u = x[i * d + a] - mean[a];
      for (let c = a; c < d; c++) cov[a * d + c] += (u * (x[i * d + c] - mean[c])) / Math.max(n - 1, 1);
    }
  for (let a = 0; a < d; a++) for (let c = 0; c < a; c++) cov[a * d + c] = cov[c * d + a];
  let total = 0;
  for (let a = 0; a < d; a++) total += cov[a * d + a];
  const components = new Float64Array(k * d);
  const variances: number[] = [];
  for (let comp = 0; comp < k; comp++) {
    let v = Float64Array.from({ length: d }, (_, j) => 1 + Math.sin(3 * j + comp));
    let lambda = 0;
    for (let it = 0; it < 300; it++) {
      const w = new Float64Array(d);
      for (let a = 0; a < d; a++) for (let c = 0; c < d; c++) w[a] += cov[a * d + c] * v[c];
      lambda = Math.hypot(...w);
      if (lambda === 0) break;
      v = w.map((t) => t / lambda);
    }
    components.set(v, comp * d);
    variances.push(lambda);
    // Deflate: C <- C - lambda v v^T.
    for (let a = 0; a < d; a++) for (let c = 0; c < d; c++) cov[a * d + c] -= lambda * v[a] * v[c];
  }
  const projected = new Float64Array(n * k);
  for (let i = 0; i < n; i++)
    for (let comp = 0; comp < k; comp++) {
      let s = 0;
      for (let j = 0; j < d; j++) s += (x[i * d + j] - mean[j]) * components[comp * d + j];
      projected[i * k + comp] = s;
    }
  return {
    components,
    variances,
    explained: variances.map((v) => (total > 0 ? v / total : 0)),
    projected,
    mean,
  };
}
