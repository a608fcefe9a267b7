// The Gaussian-latent worlds of P3 (identifiability): latents z ~ N(0, I_n), or a generalised
// normal of shape alpha scaled to unit variance; pairs follow one Ornstein-Uhlenbeck step
// z' = rho z + sqrt(1 - rho^2) eta (eta from the same family, so Corr(z, z') = rho); and
// observations x = g(z) through a fixed nonlinear mixing. Not an image Env: a batch sampler.
import { Random } from "./random.ts";

export type Mixing = "identity" | "spiral" | "banana" | "sinusoid" | "coupling";

export const MIXINGS: readonly Mixing[] = ["identity", "spiral", "banana", "sinusoid", "coupling"];

/** log Gamma(x) for x > 0 (Lanczos, g = 7, 9 terms; relative error ~1e-15). */
export function logGamma(x: number): number {
  const c = [
    0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
    12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
  ];
  if (x < 0.5) return Math.log(Math.PI / Math.abs(Math.sin(Math.PI * x))) - logGamma(1 - x);
  x -= 1;
  let a = c[0];
  const t = x + 7.5;
  for (let i = 1; i < 9; i++) a += c[i] / (x + i);
  return 0.5 * Math.log(2 * Math.PI) + (x + 0.5) * Math.log(t) - t + Math.log(a);
}

/**
 * One draw from the generalised normal with density proportional to exp(-|x|^alpha), scaled
 * to unit variance: |x| = G^(1/alpha) with G ~ Gamma(1/alpha), times sqrt(Gamma(1/a) / Gamma(3/a)).
 * alpha = 2 is the standard normal.
 */
export function generalisedNormal(rng: Random, alpha: number): number {
  if (alpha === 2) return rng.normal();
  const scale = Math.exp(0.5 * (logGamma(1 / alpha) - logGamma(3 / alpha)));
  const magnitude = rng.gamma(1 / alpha) ** (1 / alpha);
  return (rng.float() < 0.5 ? -1 : 1) * magnitude * scale;
}

/** A random invertible affine coupling flow (RealNVP-style) with seeded weights. */
export interface CouplingFlow {
  n: number;
  forward(z: Float64Array): Float64Array;
  inverse(x: Float64Array): Float64Array;
}

/**
 * Builds a coupling flow on R^n (n >= 2): `layers` affine couplings, each scaling and
 * shifting one half of the coordinates by tanh networks of the other half (halves alternate).
 * The log-scale is bounded by 0.5 * tanh, so the map is smooth and well conditioned.
 */
export function couplingFlow(seed: number, n: number, layers = 4, hidden = 16): CouplingFlow {
  if (n < 2) throw new Error(`coupling flow needs n >= 2 latent dimensions, got ${n}`);
  const rng = new Random(seed);
  const dense = (rows: number, cols: number, gain: number) =>
    Float64Array.from({ length: rows * cols }, () => rng.normal(0, gain / Math.sqrt(cols)));
  const stack = Array.from({ length: layers }, (_, l) => {
    const a: number[] = [];
    const b: number[] = [];
    for (let k = 0; k < n; k++) ((k + l) % 2 === 0 ? a : b).push(k);
    return {
      a,
      b,
      w1: dense(hidden, a.length, 1.5),
      b1: dense(hidden, 1, 0.5),
      ws: dense(b.length, hidden, 1),
      wt: dense(b.length, hidden, 1),
    };
  });
  type Layer = (typeof stack)[number];
  const net = (layer: Layer, v: Float64Array): [Float64Array, Float64Array] => {
    const h = new Float64Array(hidden);
    for (let i = 0; i < hidden; i++) {
      let s = layer.b1[i];
      for (let j = 0; j < layer.a.length; j++) s += layer.w1[i * layer.a.length + j] * v[layer.a[j]];
      h[i] = Math.tanh(s);
    }
    const logScale = new Float64Array(layer.b.length);
    const shift = new Float64Array(layer.b.length);
    for (let i = 0; i < layer.b.length; i++) {
      let s = 0;
      let t = 0;
      for (let j = 0; j < hidden; j++) {
        s += layer.ws[i * hidden + j] * h[j];
        t += layer.wt[i * hidden + j] * h[j];
      }
      logScale[i] = 0.5 * Math.tanh(s);
      shift[i] = t;
    }
    return [logScale, shift];
  };
  return {
    n,
    forward(z) {
      const v = z.slice();
      for (const layer of stack) {
        const [logScale, shift] = net(layer, v);
        layer.b.forEach((k, i) => {
          v[k] = v[k] * Math.exp(logScale[i]) + shift[i];
        });
      }
      return v;
    },
    inverse(x) {
      const v = x.slice();
      for (let l = stack.length - 1; l >= 0; l--) {
        const layer = stack[l];
        const [logScale, shift] = net(layer, v);
        layer.b.forEach((k, i) => {
          v[k] = (v[k] - shift[i]) * Math.exp(-logScale[i]);
        });
      }
      return v;
    },
  };
}

/**
 * Applies a P3 mixing to one latent vector: spiral rotates (z0, z1) by pi * |z|; banana maps
 * z1 to z1 + z0^2; sinusoid maps z0 to z0 + sin(1.5 z1); coupling uses `flow`. Other
 * coordinates pass through.
 */
export function mixLatent(z: Float64Array, mixing: Mixing, flow?: CouplingFlow): Float64Array {
  const x = z.slice();
  switch (mixing) {
    case "identity":
      return x;
    case "spiral": {
      let r = 0;
      for (const v of z) r += v * v;
      const angle = Math.PI * Math.sqrt(r);
      const c = Math.cos(angle);
      const s = Math.sin(angle);
      x[0] = c * z[0] - s * z[1];
      x[1] = s * z[0] + c * z[1];
      return x;
    }
    case "banana":
      x[1] = z[1] + z[0] * z[0];
      return x;
    case "sinusoid":
      x[0] = z[0] + Math.sin(1.5 * z[1]);
      return x;
    case "coupling":
      if (!flow) throw new Error("the coupling mixing needs a flow (see couplingFlow)");
      return flow.forward(z);
  }
}

export interface GaussianLatentOptions {
  /** Latent dimension n (default 2). */
  n?: number;
  /** Shape of the generalised normal; 2 is the Gaussian (default). */
  alpha?: number;
  /** Ornstein-Uhlenbeck correlation between z and z' (default 0.95). */
  rho?: number;
  mixing?: Mixing;
  /** Seed of the coupling flow's weights: the mixing is fixed across samples (default 0). */
  flowSeed?: number;
}

/** A batch of P3 pairs, each array `[count, n]` row-major. */
export interface GaussianLatentBatch {
  count: number;
  n: number;
  z: Float64Array;
  zNext: Float64Array;
  x: Float64Array;
  xNext: Float64Array;
}

/** Samples `count` pairs (x, x', z, z') of a P3 world; a pure function of the seed and options. */
export function sampleGaussianLatent(
  seed: number,
  count: number,
  opts: GaussianLatentOptions = {},
): GaussianLatentBatch {
  const { n = 2, alpha = 2, rho = 0.95, mixing = "spiral", flowSeed = 0 } = opts;
  if (!MIXINGS.includes(mixing)) throw new Error(`unknown mixing "${mixing}"; known: ${MIXINGS.join(", ")}`);
  if (mixing !== "identity" && n < 2) throw new Error(`mixing "${mixing}" needs n >= 2, got ${n}`);
  if (!(alpha > 0)) throw new Error(`alpha must be positive, got ${alpha}`);
  if (!(rho >= -1 && rho <= 1)) throw new Error(`rho must be in [-1, 1], got ${rho}`);
  const rng = new Random(seed);
  const flow = mixing === "coupling" ? couplingFlow(flowSeed, n) : undefined;
  const z = new Float64Array(count * n);
  const zNext = new Float64Array(count * n);
  const x = new Float64Array(count * n);
  const xNext = new Float64Array(count * n);
  const noise = Math.sqrt(1 - rho * rho);
  const row = new Float64Array(n);
  const next = new Float64Array(n);
  for (let i = 0; i < count; i++) {
    for (let k = 0; k < n; k++) row[k] = generalisedNormal(rng, alpha);
    for (let k = 0; k < n; k++) next[k] = rho * row[k] + noise * generalisedNormal(rng, alpha);
    z.set(row, i * n);
    zNext.set(next, i * n);
    x.set(mixLatent(row, mixing, flow), i * n);
    xNext.set(mixLatent(next, mixing, flow), i * n);
  }
  return { count, n, z, zNext, x, xNext };
}
