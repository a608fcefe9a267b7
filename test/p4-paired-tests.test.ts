// P4's paired statistics against known answers: McNemar's exact test on tables whose p-values
// are binomial tails computed by hand, and a simulation in which the bootstrap interval of
// the paired difference covers the true difference about 95% of the time.
import assert from "node:assert/strict";
import { test } from "node:test";
import { Random } from "../src/envs/index.ts";
import { bootstrapMeanInterval, discordantPairs, mcnemarExact, pairedDifference } from "../src/eval/index.ts";

test("mcnemarExact: known tables", () => {
  // b = 1, c = 9: 2 * (C(10,0) + C(10,1)) / 2^10 = 22 / 1024 (statsmodels mcnemar exact).
  assert.ok(Math.abs(mcnemarExact(1, 9) - 22 / 1024) < 1e-12);
  assert.ok(Math.abs(mcnemarExact(9, 1) - 22 / 1024) < 1e-12);
  // b = 0, c = 6: 2 / 64.
  assert.ok(Math.abs(mcnemarExact(0, 6) - 1 / 32) < 1e-12);
  // b = 3, c = 7: 2 * (1 + 10 + 45 + 120) / 1024 = 0.34375.
  assert.ok(Math.abs(mcnemarExact(3, 7) - 0.34375) < 1e-12);
  assert.equal(mcnemarExact(5, 5), 1);
  assert.equal(mcnemarExact(0, 0), 1);
});

test("discordantPairs and pairedDifference count the right pairs", () => {
  const clean = [true, true, true, false, false, true];
  const perturbed = [true, false, false, false, true, false];
  assert.deepEqual(discordantPairs(clean, perturbed), { b: 3, c: 1 });
  const d = pairedDifference(clean, perturbed, { seed: 1 });
  assert.ok(Math.abs(d.difference - -2 / 6) < 1e-12);
  assert.ok(d.ci95[0] <= d.difference && d.difference <= d.ci95[1]);
  assert.equal(d.pValue, mcnemarExact(3, 1));
});

test("bootstrap interval of the paired difference covers the truth ~95% of the time", () => {
  // Pairs: clean success 0.8; perturbed fails a clean success with prob 0.3 and rescues a
  // clean failure with prob 0.1. True difference = -0.8 * 0.3 + 0.2 * 0.1 = -0.22.
  const truth = -0.22;
  const rng = new Random(11);
  const trials = 300;
  let covered = 0;
  for (let r = 0; r < trials; r++) {
    const clean: boolean[] = [];
    const perturbed: boolean[] = [];
    for (let i = 0; i < 100; i++) {
      const c = rng.float() < 0.8;
      clean.push(c);
      perturbed.push(c ? rng.float() >= 0.3 : rng.float() < 0.1);
    }
    const { ci95 } = pairedDifference(clean, perturbed, { seed: r, resamples: 1000 });
    if (ci95[0] <= truth && truth <= ci95[1]) covered++;
  }
  assert.ok(covered / trials > 0.9 && covered / trials < 0.99, `coverage ${covered / trials}`);
});

test("bootstrapMeanInterval is seeded and narrows with n", () => {
  const rng = new Random(5);
  const small = Array.from({ length: 20 }, () => rng.normal(0, 1));
  const large = Array.from({ length: 2000 }, () => rng.normal(0, 1));
  assert.deepEqual(bootstrapMeanInterval(small, { seed: 3 }), bootstrapMeanInterval(small, { seed: 3 }));
  const w = (ci: [number, number]) => ci[1] - ci[0];
  assert.ok(w(bootstrapMeanInterval(large)) < w(bootstrapMeanInterval(small)) / 5);
});
