// Linear diagnostics for identifiability (P3): how well one set of vectors is an affine image
// of another. Host-side plain arrays: rows are samples, matrices are row-major.
//   - least squares with bias, y ~ x A^T + b, and its coefficient of determination R^2;
//   - orthogonality error ||A^T A - I||_F of a fitted map;
//   - orthogonal Procrustes: the rotation Q minimising ||Y_c - X_c Q||_F (SVD of X_c^T Y_c);
//   - covariance error ||Cov(y) - I||_F.
import { covariance } from "../train/index.ts";

/** A fitted affine map y ~ A x + b: `weights` A is [q, p] row-major, `bias` b is [q]. */
export interface LinearFit {
  weights: Float64Array;
  bias: Float64Array;
  inDim: number;
  outDim: number;
  /** Mean over output dimensions of 1 - SS_res / SS_tot (sklearn's uniform average). */
  r2: number;
}

/** Solves the symmetric positive (semi)definite system M w = r in place (Gaussian elimination, partial pivoting). */
function solve(m: Float64Array, r: Float64Array, d: number): Float64Array {
  const a = Float64Array.from(m);
  const b = Float64Array.from(r);
  for (let col = 0; col < d; col++) {
    let pivot = col;
    for (let row = col + 1; row < d; row++)
      if (Math.abs(a[row * d + col]) > Math.abs(a[pivot * d + col])) pivot = row;
    if (pivot !== col) {
      for (let k = 0; k < d; k++) [a[col * d + k], a[pivot * d + k]] = [a[pivot * d + k], a[col * d + k]];
      [b[col], b[pivot]] = [b[pivot], b[col]];
    }
    const diag = a[col * d + col] || 1e-300; // a singular design leaves that coefficient at 0
    for (let row = col + 1; row < d; row++) {
      const f = a[row * d + col] / diag;
      if (f === 0) continue;
      for (let k = col; k < d; k++) a[row * d + k] -= f * a[col * d + k];
      b[row] -= f * b[col];
    }
  }
  const w = new Float64Array(d);
  for (let row = d - 1; row >= 0; row--) {
    let s = b[row];
    for (let k = row + 1; k < d; k++) s -= a[row * d + k] * w[k];
    const diag = a[row * d + row];
    w[row] = Math.abs(diag) > 1e-300 ? s / diag : 0;
  }
  return w;
}

/**
 * Least squares with bias of y [N, q] on x [N, p]: A, b minimising sum ||y_i - A x_i - b||^2
 * (normal equations on centred data, tiny ridge 1e-12 for stability), and the fit's R^2.
 */
export function fitLinear(
  x: ArrayLike<number>,
  y: ArrayLike<number>,
  n: number,
  p: number,
  q: number,
): LinearFit {
  const mx = new Float64Array(p);
  const my = new Float64Array(q);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < p; j++) mx[j] += x[i * p + j] / n;
    for (let j = 0; j < q; j++) my[j] += y[i * q + j] / n;
  }
  const xx = new Float64Array(p * p); // X_c^T X_c
  const xy = new Float64Array(p * q); // X_c^T Y_c
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < p; j++) {
      const a = x[i * p + j] - mx[j];
      for (let k = 0; k < p; k++) xx[j * p + k] += a * (x[i * p + k] - mx[k]);
      for (let k = 0; k < q; k++) xy[j * q + k] += a * (y[i * q + k] - my[k]);
    }
  }
  let trace = 0;
  for (let j = 0; j < p; j++) trace += xx[j * p + j];
  for (let j = 0; j < p; j++) xx[j * p + j] += 1e-12 * (trace / p || 1);
  const weights = new Float64Array(q * p);
  const bias = new Float64Array(q);
  for (let k = 0; k < q; k++) {
    const w = solve(
      xx,
      Float64Array.from({ length: p }, (_, j) => xy[j * q + k]),
      p,
    );
    let b = my[k];
    for (let j = 0; j < p; j++) {
      weights[k * p + j] = w[j];
      b -= w[j] * mx[j];
    }
    bias[k] = b;
  }
  let r2 = 0;
  for (let k = 0; k < q; k++) {
    let res = 0;
    let tot = 0;
    for (let i = 0; i < n; i++) {
      let pred = bias[k];
      for (let j = 0; j < p; j++) pred += weights[k * p + j] * x[i * p + j];
      res += (y[i * q + k] - pred) ** 2;
      tot += (y[i * q + k] - my[k]) ** 2;
    }
    r2 += (tot > 0 ? 1 - res / tot : res > 0 ? 0 : 1) / q;
  }
  return { weights, bias, inDim: p, outDim: q, r2 };
}

/** ||A^T A - I||_F of A [q, p] row-major: 0 exactly when A's columns are orthonormal. */
export function orthogonalityError(a: ArrayLike<number>, q: number, p: number): number {
  let s = 0;
  for (let i = 0; i < p; i++) {
    for (let j = 0; j < p; j++) {
      let dot = 0;
      for (let k = 0; k < q; k++) dot += a[k * p + i] * a[k * p + j];
      s += (dot - (i === j ? 1 : 0)) ** 2;
    }
  }
  return Math.sqrt(s);
}

/** ||Cov(h) - I||_F of rows h [N, d] (unbiased covariance). */
export function covarianceError(h: ArrayLike<number>, n: number, d: number): number {
  const cov = covariance(h, n, d);
  let s = 0;
  for (let i = 0; i < d; i++) for (let j = 0; j < d; j++) s += (cov[i * d + j] - (i === j ? 1 : 0)) ** 2;
  return Math.sqrt(s);
}

/**
 * Singular value decomposition M = U diag(s) V^T of a small square matrix [d, d] by one-sided
 * Jacobi rotations (Hestenes): columns of M V become orthogonal, their norms are s.
 */
export function svdSmall(
  m: ArrayLike<number>,
  d: number,
  sweeps = 60,
): { u: Float64Array; s: Float64Array; v: Float64Array } {
  const a = Float64Array.from(m);
  const v = new Float64Array(d * d);
  for (let i = 0; i < d; i++) v[i * d + i] = 1;
  for (let sweep = 0; sweep < sweeps; sweep++) {
    let rotated = false;
    for (let p = 0; p < d; p++) {
      for (let q = p + 1; q < d; q++) {
        let alpha = 0;
        let beta = 0;
        let gamma = 0;
        for (let k = 0; k < d; k++) {
          alpha += a[k * d + p] ** 2;
          beta += a[k * d + q] ** 2;
          gamma += a[k * d + p] * a[k * d + q];
        }
        if (Math.abs(gamma) <= 1e-15 * Math.sqrt(alpha * beta)) continue;
        rotated = true;
        const zeta = (beta - alpha) / (2 * gamma);
        const t = Math.sign(zeta || 1) / (Math.abs(zeta) + Math.sqrt(1 + zeta * zeta));
        const c = 1 / Math.sqrt(1 + t * t);
        const s = c * t;
        for (const mat of [a, v]) {
          for (let k = 0; k < d; k++) {
            const x = mat[k * d + p];
            const y = mat[k * d + q];
            mat[k * d + p] = c * x - s * y;
            mat[k * d + q] = s * x + c * y;
          }
        }
      }
    }
    if (!rotated) break;
  }
  const s = new Float64Array(d);
  const u = new Float64Array(d * d);
  for (let j = 0; j < d; j++) {
    let norm = 0;
    for (let k = 0; k < d; k++) norm += a[k * d + j] ** 2;
    s[j] = Math.sqrt(norm);
    for (let k = 0; k < d; k++) u[k * d + j] = s[j] > 1e-300 ? a[k * d + j] / s[j] : k === j ? 1 : 0;
  }
  return { u, s, v };
}

/**
 * Orthogonal Procrustes of y [N, d] against x [N, d]: Q = U V^T from the SVD of X_c^T Y_c
 * minimises ||Y_c - X_c Q||_F over orthogonal Q. The error is relative to the reference x,
 * ||Y_c - X_c Q||_F / ||X_c||_F: 0 when y is a rotation (or reflection) of x plus a shift,
 * 1 when y collapses to a point (no scale is fitted: P3 expects Cov(h) = I = Cov(z)).
 */
export function procrustes(
  x: ArrayLike<number>,
  y: ArrayLike<number>,
  n: number,
  d: number,
): { rotation: Float64Array; error: number } {
  const mx = new Float64Array(d);
  const my = new Float64Array(d);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < d; j++) {
      mx[j] += x[i * d + j] / n;
      my[j] += y[i * d + j] / n;
    }
  }
  const m = new Float64Array(d * d);
  for (let i = 0; i < n; i++)
    for (let j = 0; j < d; j++)
      for (let k = 0; k < d; k++) m[j * d + k] += (x[i * d + j] - mx[j]) * (y[i * d + k] - my[k]);
  const { u, v } = svdSmall(m, d);
  const rotation = new Float64Array(d * d); // U V^T
  for (let i = 0; i < d; i++)
    for (let j = 0; j < d; j++)
      for (let k = 0; k < d; k++) rotation[i * d + j] += u[i * d + k] * v[j * d + k];
  let res = 0;
  let tot = 0;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < d; j++) {
      let pred = 0;
      for (let k = 0; k < d; k++) pred += (x[i * d + k] - mx[k]) * rotation[k * d + j];
      const target = y[i * d + j] - my[j];
      res += (target - pred) ** 2;
      tot += (x[i * d + j] - mx[j]) ** 2;
    }
  }
  return { rotation, error: tot > 0 ? Math.sqrt(res / tot) : 0 };
}
