// Colored (power-law) Gaussian noise along the time axis, as iCEM samples action sequences
// (Pinneri et al. 2020; the method of Timmer & Koenig 1995 used by the `colorednoise`
// package). The power spectrum falls as 1/f^beta: beta = 0 is white noise, beta = 2 is
// Brownian-like, smoother actions. The horizon is short, so the inverse real DFT is a small
// O(H^2) sum rather than an FFT.
//   1. Frequencies f_k = k / H, k = 0..floor(H/2); f_0 is raised to 1/H (the lowest resolved).
//   2. Draw real and imaginary parts ~ N(0, 1) scaled by f_k^(-beta/2); the DC term and (H
//      even) the Nyquist term are real, scaled by sqrt(2).
//   3. x = inverse real DFT of the spectrum, divided by its exact std (unit variance).
import { type Key, normal } from "../engine/index.ts";

/**
 * Unit-variance noise [N, H, A] whose power spectrum along H falls as 1/f^beta, independent
 * across samples and action dimensions.
 */
export function coloredNoise(
  key: Key,
  beta: number,
  population: number,
  horizon: number,
  actionDim: number,
): Float32Array {
  const H = horizon;
  const bins = Math.floor(H / 2) + 1;
  // 1. per-frequency amplitude
  const scale = Float64Array.from({ length: bins }, (_, k) => Math.max(k / H, 1 / H) ** (-beta / 2));
  // Exact std of each output entry: the DC and Nyquist terms carry 2 s^2, the others 4 s^2.
  let variance = 2 * scale[0] ** 2;
  for (let k = 1; k < bins; k++) variance += (H % 2 === 0 && k === bins - 1 ? 2 : 4) * scale[k] ** 2;
  const sigma = Math.sqrt(variance) / H;
  // 2. random spectra, one per (sample, action dimension)
  const z = normal(key, population * actionDim * 2 * bins);
  const out = new Float32Array(population * H * actionDim);
  const re = new Float64Array(bins);
  const im = new Float64Array(bins);
  for (let n = 0; n < population; n++) {
    for (let d = 0; d < actionDim; d++) {
      const base = (n * actionDim + d) * 2 * bins;
      for (let k = 0; k < bins; k++) {
        re[k] = z[base + k] * scale[k];
        im[k] = z[base + bins + k] * scale[k];
      }
      im[0] = 0;
      re[0] *= Math.SQRT2;
      if (H % 2 === 0 && bins > 1) {
        im[bins - 1] = 0;
        re[bins - 1] *= Math.SQRT2;
      }
      // 3. inverse real DFT (Hermitian extension), normalised
      for (let t = 0; t < H; t++) {
        let x = re[0];
        for (let k = 1; k < bins; k++) {
          const angle = (2 * Math.PI * k * t) / H;
          const term = re[k] * Math.cos(angle) - im[k] * Math.sin(angle);
          x += H % 2 === 0 && k === bins - 1 ? term : 2 * term;
        }
        out[(n * H + t) * actionDim + d] = x / H / sigma;
      }
    }
  }
  return out;
}
