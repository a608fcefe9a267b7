// Interval estimates for the reports: every rate comes with a 95% interval (PROTOCOLS.md).

/** Wilson score interval for k successes in n trials (95% by default). */
export function wilsonInterval(k: number, n: number, z = 1.959964): [number, number] {
  if (n === 0) return [0, 1];
  const p = k / n;
  const denom = 1 + (z * z) / n;
  const center = (p + (z * z) / (2 * n)) / denom;
  const half = (z * Math.sqrt((p * (1 - p)) / n + (z * z) / (4 * n * n))) / denom;
  return [Math.max(0, center - half), Math.min(1, center + half)];
}

export const meanOf = (xs: readonly number[]): number =>
  xs.reduce((a, b) => a + b, 0) / Math.max(xs.length, 1);
