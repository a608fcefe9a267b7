// Paired comparisons of binary outcomes (P4: the same episodes run clean and perturbed):
//   - McNemar's exact test: under H0 the discordant pairs split 50/50, so
//     p = min(1, 2 * P(Bin(b + c, 1/2) <= min(b, c)));
//   - a percentile bootstrap interval of the mean paired difference (episodes resampled
//     with replacement, seeded).
import { deriveSeed, Random } from "../envs/index.ts";

/** log C(n, k). */
function logChoose(n: number, k: number): number {
  let s = 0;
  for (let i = 1; i <= k; i++) s += Math.log(n - k + i) - Math.log(i);
  return s;
}

/**
 * Two-sided exact McNemar p-value from the discordant counts: `b` pairs where only the first
 * condition succeeded, `c` where only the second did.
 */
export function mcnemarExact(b: number, c: number): number {
  const n = b + c;
  if (n === 0) return 1;
  const lo = Math.min(b, c);
  let tail = 0;
  for (let k = 0; k <= lo; k++) tail += Math.exp(logChoose(n, k) - n * Math.LN2);
  return Math.min(1, 2 * tail);
}

/** Discordant counts of paired outcomes: b = first only, c = second only. */
export function discordantPairs(
  first: readonly boolean[],
  second: readonly boolean[],
): { b: number; c: number } {
  if (first.length !== second.length)
    throw new Error(`paired outcomes differ in length: ${first.length} and ${second.length}`);
  let b = 0;
  let c = 0;
  for (let i = 0; i < first.length; i++) {
    if (first[i] && !second[i]) b++;
    else if (!first[i] && second[i]) c++;
  }
  return { b, c };
}

export interface BootstrapOptions {
  seed?: number;
  /** Resamples (default 2000). */
  resamples?: number;
  /** Coverage of the interval (default 0.95). */
  level?: number;
}

/** Percentile bootstrap interval of the mean of `values` (resampled with replacement). */
export function bootstrapMeanInterval(
  values: readonly number[],
  opts: BootstrapOptions = {},
): [number, number] {
  const { seed = 0, resamples = 2000, level = 0.95 } = opts;
  const n = values.length;
  if (n === 0) return [Number.NaN, Number.NaN];
  const rng = new Random(deriveSeed(seed, 0xb007));
  const means = new Float64Array(resamples);
  for (let r = 0; r < resamples; r++) {
    let s = 0;
    for (let i = 0; i < n; i++) s += values[rng.int(n)];
    means[r] = s / n;
  }
  means.sort();
  const alpha = (1 - level) / 2;
  const at = (q: number) => means[Math.min(resamples - 1, Math.max(0, Math.floor(q * resamples)))];
  return [at(alpha), at(1 - alpha)];
}

/**
 * Paired difference second - first of success indicators: its mean and a seeded percentile
 * bootstrap interval over pairs (episode difficulty cancels within each pair).
 */
export function pairedDifference(
  first: readonly boolean[],
  second: readonly boolean[],
  opts: BootstrapOptions = {},
): { difference: number; ci95: [number, number]; pValue: number } {
  const { b, c } = discordantPairs(first, second);
  const diffs = first.map((f, i) => Number(second[i]) - Number(f));
  return {
    difference: diffs.reduce((a, v) => a + v, 0) / Math.max(diffs.length, 1),
    ci95: bootstrapMeanInterval(diffs, opts),
    pValue: mcnemarExact(b, c),
  };
}

/**
 * Percentile bootstrap interval of mean(a) / mean(b) over paired rows (a row's a and b are
 * resampled together, e.g. two models on the same episodes). Draws with mean(b) = 0 are dropped.
 */
export function bootstrapRatioInterval(
  a: readonly number[],
  b: readonly number[],
  opts: BootstrapOptions = {},
): [number, number] {
  const { seed = 0, resamples = 2000, level = 0.95 } = opts;
  if (a.length !== b.length) throw new Error(`paired rows differ in length: ${a.length} and ${b.length}`);
  const n = a.length;
  const rng = new Random(deriveSeed(seed, 0xb0a7));
  const draws: number[] = [];
  for (let r = 0; r < resamples; r++) {
    let sa = 0;
    let sb = 0;
    for (let k = 0; k < n; k++) {
      const i = rng.int(n);
      sa += a[i];
      sb += b[i];
    }
    if (sb !== 0) draws.push(sa / sb);
  }
  if (!draws.length) return [Number.NaN, Number.NaN];
  draws.sort((x, y) => x - y);
  const alpha = (1 - level) / 2;
  const at = (q: number) => draws[Math.min(draws.length - 1, Math.max(0, Math.floor(q * draws.length)))];
  return [at(alpha), at(1 - alpha)];
}
