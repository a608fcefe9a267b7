// A small seeded random stream for environments, policies and data: sfc32 (Chris Doty-
// Humphrey's Small Fast Counting generator, 128-bit state, passes PractRand to 2^40+),
// seeded through splitmix32 so that nearby seeds give unrelated streams. The engine has
// its own counter-based generator for graphs; envs cannot import it (DESIGN.md).

/** splitmix32's finaliser: a bijective avalanche of a 32-bit integer. */
export function mix32(x: number): number {
  x = (x + 0x9e3779b9) | 0;
  x = Math.imul(x ^ (x >>> 16), 0x21f0aaad);
  x = Math.imul(x ^ (x >>> 15), 0x735a2d97);
  return (x ^ (x >>> 15)) >>> 0;
}

/**
 * Derives one 32-bit seed from a list of integers (a seed and indices), so that e.g. episode
 * `i` of a dataset gets `deriveSeed(seed, i)` whatever the order episodes are collected in.
 */
export function deriveSeed(...parts: number[]): number {
  let h = 0x6a09e667;
  for (const p of parts) {
    // Fold in both 32-bit halves so seeds up to 2^53 stay distinct.
    const lo = p >>> 0;
    const hi = Math.floor(p / 4294967296) >>> 0;
    h = mix32(h ^ lo);
    h = mix32(h ^ hi ^ 0x85ebca6b);
  }
  return h;
}

/** A seeded stream of random numbers (sfc32). Same seed, same numbers, on every platform. */
export class Random {
  private a: number;
  private b: number;
  private c: number;
  private d: number;
  private spare = Number.NaN;

  constructor(seed: number) {
    const s = deriveSeed(seed);
    this.a = mix32(s);
    this.b = mix32(s ^ 0x1b873593);
    this.c = mix32(s ^ 0xcc9e2d51);
    this.d = 1;
    for (let i = 0; i < 12; i++) this.uint32();
  }

  /** A uniform 32-bit unsigned integer. */
  uint32(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return t >>> 0;
  }

  /** Uniform in the open interval (0, 1), never exactly 0 or 1 (safe under log). */
  float(): number {
    return (this.uint32() + 0.5) / 4294967296;
  }

  /** Uniform in [low, high). */
  uniform(low = 0, high = 1): number {
    return low + (high - low) * this.float();
  }

  /** A uniform integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.float() * n);
  }

  /** Standard normal by the Marsaglia polar method (the second value is kept for the next call). */
  normal(mean = 0, std = 1): number {
    if (!Number.isNaN(this.spare)) {
      const z = this.spare;
      this.spare = Number.NaN;
      return mean + std * z;
    }
    let u: number;
    let v: number;
    let s: number;
    do {
      u = 2 * this.float() - 1;
      v = 2 * this.float() - 1;
      s = u * u + v * v;
    } while (s >= 1 || s === 0);
    const f = Math.sqrt((-2 * Math.log(s)) / s);
    this.spare = v * f;
    return mean + std * u * f;
  }

  /**
   * Von Mises angle around `mu` with concentration `kappa` (Best and Fisher 1979, the
   * algorithm of numpy's `vonmises`); kappa 0 is uniform on the circle. Result in (-pi, pi].
   */
  vonMises(mu: number, kappa: number): number {
    if (kappa < 1e-8) return wrapAngle(mu + Math.PI * (2 * this.float() - 1));
    const tau = 1 + Math.sqrt(1 + 4 * kappa * kappa);
    const rho = (tau - Math.sqrt(2 * tau)) / (2 * kappa);
    const r = (1 + rho * rho) / (2 * rho);
    let f: number;
    for (;;) {
      const z = Math.cos(Math.PI * this.float());
      f = (1 + r * z) / (r + z);
      const c = kappa * (r - f);
      const u2 = this.float();
      if (c * (2 - c) - u2 > 0 || Math.log(c / u2) + 1 - c >= 0) break;
    }
    const theta = Math.acos(Math.max(-1, Math.min(1, f)));
    return wrapAngle(mu + (this.float() < 0.5 ? -theta : theta));
  }

  /** Gamma(shape, 1) by Marsaglia and Tsang (2000), with the u^(1/shape) boost for shape < 1. */
  gamma(shape: number): number {
    if (shape < 1) return this.gamma(shape + 1) * this.float() ** (1 / shape);
    const d = shape - 1 / 3;
    const c = 1 / Math.sqrt(9 * d);
    for (;;) {
      let x: number;
      let v: number;
      do {
        x = this.normal();
        v = 1 + c * x;
      } while (v <= 0);
      v = v * v * v;
      const u = this.float();
      if (u < 1 - 0.0331 * x * x * x * x || Math.log(u) < 0.5 * x * x + d * (1 - v + Math.log(v)))
        return d * v;
    }
  }
}

/** Wraps an angle to (-pi, pi]. */
export function wrapAngle(a: number): number {
  const twoPi = 2 * Math.PI;
  a = a - twoPi * Math.floor((a + Math.PI) / twoPi);
  return a === -Math.PI ? Math.PI : a;
}
