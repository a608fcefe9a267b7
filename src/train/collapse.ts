// Collapse monitors on a batch of embeddings h [N, D] (host side, plain arrays): a JEPA
// trained without its anti-collapse term maps everything to a point or a low-dimensional
// subspace; these numbers say so before the loss does.

export interface CollapseStats {
  /** Mean and minimum over dimensions of the per-dimension standard deviation. */
  stdMean: number;
  stdMin: number;
  /** exp(entropy of the normalised covariance eigenvalues): 1 for a line, D for isotropy. */
  effectiveRank: number;
  /** Mean Epps-Pulley statistic of standardised random projections (0 for Gaussian data). */
  sigreg: number;
  collapsed: boolean;
  /** Why `collapsed` is set, or "" */
  reason: string;
}

/** Eigenvalues of a symmetric matrix [D, D] (cyclic Jacobi rotations; fine for D <= 512). */
export function symmetricEigenvalues(a: Float64Array, d: number, sweeps = 30): Float64Array {
  const m = Float64Array.from(a);
  for (let sweep = 0; sweep < sweeps; sweep++) {
    let off = 0;
    for (let p = 0; p < d; p++) for (let q = p + 1; q < d; q++) off += m[p * d + q] ** 2;
    if (off < 1e-22) break;
    for (let p = 0; p < d; p++) {
      for (let q = p + 1; q < d; q++) {
        const apq = m[p * d + q];
        if (Math.abs(apq) < 1e-300) continue;
        const theta = (m[q * d + q] - m[p * d + p]) / (2 * apq);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        for (let k = 0; k < d; k++) {
          const akp = m[k * d + p];
          const akq = m[k * d + q];
          m[k * d + p] = c * akp - s * akq;
          m[k * d + q] = s * akp + c * akq;
        }
        for (let k = 0; k < d; k++) {
          const apk = m[p * d + k];
          const aqk = m[q * d + k];
          m[p * d + k] = c * apk - s * aqk;
          m[q * d + k] = s * apk + c * aqk;
        }
      }
    }
  }
  return Float64Array.from({ length: d }, (_, i) => m[i * d + i]);
}

/** Covariance [D, D] of rows h [N, D] (unbiased). */
export function covariance(h: ArrayLike<number>, n: number, d: number): Float64Array {
  const mean = new Float64Array(d);
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) mean[j] += h[i * d + j] / n;
  const cov = new Float64Array(d * d);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < d; j++) {
      const a = h[i * d + j] - mean[j];
      for (let k = j; k < d; k++) cov[j * d + k] += (a * (h[i * d + k] - mean[k])) / (n - 1);
    }
  }
  for (let j = 0; j < d; j++) for (let k = 0; k < j; k++) cov[j * d + k] = cov[k * d + j];
  return cov;
}

/** Epps-Pulley statistic of one standardised sample against N(0, 1) (17 knots on [0, 3]). */
function eppsPulley1d(x: Float64Array): number {
  const knots = 17;
  const dt = 3 / (knots - 1);
  let stat = 0;
  for (let k = 0; k < knots; k++) {
    const t = k * dt;
    let re = 0;
    let im = 0;
    for (const v of x) {
      re += Math.cos(t * v);
      im += Math.sin(t * v);
    }
    re /= x.length;
    im /= x.length;
    const phi = Math.exp((-t * t) / 2);
    const w = (k === 0 || k === knots - 1 ? dt : 2 * dt) * phi;
    stat += w * ((re - phi) ** 2 + im ** 2);
  }
  return stat * x.length;
}

/** Collapse statistics of embeddings h [N, D]; `directions` are fixed unit vectors [K, D] for SIGReg. */
export function collapseStats(
  h: ArrayLike<number>,
  n: number,
  d: number,
  directions?: Float64Array,
): CollapseStats {
  const cov = covariance(h, n, d);
  const stds = Array.from({ length: d }, (_, j) => Math.sqrt(Math.max(cov[j * d + j], 0)));
  const stdMean = stds.reduce((a, b) => a + b, 0) / d;
  const stdMin = Math.min(...stds);
  // Eigenvalues at rounding level of the data's scale are zero (identical float32 rows give
  // ~1e-17 covariances whose "rank" would otherwise look like 1.5).
  let meanSquare = 0;
  for (let i = 0; i < n * d; i++) meanSquare += h[i] * h[i];
  const floor = 1e-10 * Math.max(meanSquare / (n * d), 1e-30);
  const eig = symmetricEigenvalues(cov, d).map((v) => (v > floor ? v : 0));
  const total = eig.reduce((a, b) => a + b, 0);
  let entropy = 0;
  for (const v of eig) if (v > 0 && total > 0) entropy -= (v / total) * Math.log(v / total);
  const effectiveRank = total > 0 ? Math.exp(entropy) : 0;
  let sigreg = 0;
  if (directions) {
    const k = directions.length / d;
    for (let s = 0; s < k; s++) {
      const proj = new Float64Array(n);
      for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) proj[i] += h[i * d + j] * directions[s * d + j];
      const mean = proj.reduce((a, b) => a + b, 0) / n;
      const sd = Math.sqrt(proj.reduce((a, b) => a + (b - mean) ** 2, 0) / n) || 1;
      sigreg += eppsPulley1d(proj.map((v) => (v - mean) / sd)) / k;
    }
  }
  let reason = "";
  if (stdMean < 1e-3)
    reason = `embeddings collapsed to a point (mean per-dimension std ${stdMean.toExponential(2)})`;
  else if (effectiveRank < Math.max(1.5, 0.02 * d)) {
    reason = `embeddings collapsed to a subspace (effective rank ${effectiveRank.toFixed(2)} of ${d})`;
  }
  return { stdMean, stdMin, effectiveRank, sigreg, collapsed: reason !== "", reason };
}
