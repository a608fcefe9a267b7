import assert from "node:assert/strict";
import { test } from "node:test";
import { deriveSeed, Random, wrapAngle } from "./random.ts";

test("same seed gives the same stream, different seeds differ", () => {
  const a = new Random(42);
  const b = new Random(42);
  const c = new Random(43);
  const xs = Array.from({ length: 100 }, () => a.uint32());
  assert.deepEqual(
    xs,
    Array.from({ length: 100 }, () => b.uint32()),
  );
  assert.notDeepEqual(
    xs,
    Array.from({ length: 100 }, () => c.uint32()),
  );
  assert.notEqual(deriveSeed(1, 2), deriveSeed(2, 1));
  assert.notEqual(deriveSeed(0, 2 ** 32), deriveSeed(0, 0));
});

test("uniform, normal, gamma and von Mises have the right moments", () => {
  const r = new Random(7);
  const n = 40000;
  let su = 0;
  let sn = 0;
  let sn2 = 0;
  let sg = 0;
  let cos = 0;
  let sin = 0;
  for (let i = 0; i < n; i++) {
    const u = r.float();
    assert.ok(u > 0 && u < 1);
    su += u;
    const z = r.normal();
    sn += z;
    sn2 += z * z;
    sg += r.gamma(0.5);
    const a = r.vonMises(1, 4);
    cos += Math.cos(a - 1);
    sin += Math.sin(a - 1);
  }
  assert.ok(Math.abs(su / n - 0.5) < 0.01);
  assert.ok(Math.abs(sn / n) < 0.02);
  assert.ok(Math.abs(sn2 / n - 1) < 0.03);
  assert.ok(Math.abs(sg / n - 0.5) < 0.02, `gamma(0.5) mean ${sg / n}`);
  // Mean resultant length of von Mises(kappa = 4) is I1(4) / I0(4) = 0.8635.
  assert.ok(Math.abs(cos / n - 0.8635) < 0.01, `von Mises resultant ${cos / n}`);
  assert.ok(Math.abs(sin / n) < 0.01);
});

test("wrapAngle maps to (-pi, pi]", () => {
  assert.equal(wrapAngle(-Math.PI), Math.PI);
  assert.ok(Math.abs(wrapAngle(3 * Math.PI + 0.5) - (-Math.PI + 0.5)) < 1e-12);
  assert.ok(Math.abs(wrapAngle(0.25)) - 0.25 < 1e-15);
});
