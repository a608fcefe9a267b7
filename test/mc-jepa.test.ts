// MC-JEPA: bilinear warping (built from gather) against hand-computed samples and finite
// differences; the content probe's machinery (it reads a class that is there, not one that is
// not, and the sprite data leaves colour and pixel count uninformative); and a tiny run on
// bouncing sprites whose true flow is known: the learned flow beats the zero-flow baseline.
import assert from "node:assert/strict";
import { test } from "node:test";
import { grad, hostTensor, interpret, ops, trace } from "../src/engine/index.ts";
import { nodeBackend } from "../src/engine/node.ts";
import { Random } from "../src/envs/index.ts";
import {
  evaluateMcJepaProbe,
  linearProbe,
  MC_PROBE_QUICK,
  shortcutFeatures,
  spriteClips,
} from "../src/eval/index.ts";
import { warp } from "../src/world/index.ts";

const image = hostTensor(
  [1, 1, 3, 4],
  Array.from({ length: 12 }, (_, i) => i * i * 0.1),
);

test("warp samples the image at grid + flow, bilinearly, clamped at the border", () => {
  const flowAt = (fx: number, fy: number) =>
    hostTensor([1, 2, 3, 4], [...Array(12).fill(fx), ...Array(12).fill(fy)]);
  const traced = trace((i) => warp(i.image, i.flow), {
    image: { shape: [1, 1, 3, 4] },
    flow: { shape: [1, 2, 3, 4] },
  });
  const at = (fx: number, fy: number) =>
    interpret(traced, { image, flow: flowAt(fx, fy) }).output.data as Float32Array;
  const px = (y: number, x: number) => (y * 4 + x) ** 2 * 0.1;
  // An integer flow shifts the image; samples past the edge take the border pixel.
  const shifted = at(1, 0);
  assert.ok(Math.abs(shifted[0] - px(0, 1)) < 1e-6 && Math.abs(shifted[3] - px(0, 3)) < 1e-6);
  // A fractional flow mixes the four neighbours.
  const frac = at(0.25, 0.5);
  const expected = 0.5 * (0.75 * px(1, 1) + 0.25 * px(1, 2)) + 0.5 * (0.75 * px(2, 1) + 0.25 * px(2, 2));
  assert.ok(Math.abs(frac[5] - expected) < 1e-5, `${frac[5]} vs ${expected}`);
});

test("warp's gradients with respect to the flow and the image match finite differences", () => {
  const flow = hostTensor(
    [1, 2, 3, 4],
    Array.from({ length: 24 }, (_, i) => Math.sin(i) * 0.7 + 0.3),
    "float64",
  );
  const weights = hostTensor(
    [1, 1, 3, 4],
    Array.from({ length: 12 }, (_, i) => Math.cos(i)),
    "float64",
  );
  const img = hostTensor([1, 1, 3, 4], Array.from(image.data as Float32Array), "float64");
  const spec = { image: { shape: [1, 1, 3, 4] }, flow: { shape: [1, 2, 3, 4] }, w: { shape: [1, 1, 3, 4] } };
  const loss = (i: Record<string, ReturnType<typeof ops.add>>) =>
    ops.sum(ops.mul(warp(i.image, i.flow), i.w));
  const withGrads = trace((i) => {
    const value = loss(i);
    const [gImage, gFlow] = grad(value, [i.image, i.flow]);
    return { value, gImage, gFlow };
  }, spec);
  const lossOnly = trace(loss, spec);
  const feeds = { image: img, flow, w: weights };
  const out = interpret(withGrads, feeds, { precision: "float64" });
  const h = 1e-6;
  for (const [name, g] of [
    ["flow", out.gFlow],
    ["image", out.gImage],
  ] as const) {
    const base = feeds[name];
    for (let k = 0; k < base.data.length; k += 5) {
      const shifted = (d: number) => {
        const data = Float64Array.from(base.data as Float64Array);
        data[k] += d;
        const f = { ...feeds, [name]: { ...base, data } };
        return (interpret(lossOnly, f, { precision: "float64" }).output.data as Float64Array)[0];
      };
      const numeric = (shifted(h) - shifted(-h)) / (2 * h);
      const analytic = (g.data as Float64Array)[k];
      assert.ok(
        Math.abs(numeric - analytic) < 1e-5 * (1 + Math.abs(numeric)),
        `${name}[${k}]: ${analytic} vs ${numeric}`,
      );
    }
  }
});

test("linear probe: reads a class that is in the features, stays at chance on features without it", () => {
  const rng = new Random(11);
  const make = (n: number, d: number, informative: boolean) => {
    const labels = Int32Array.from({ length: n }, () => rng.int(4));
    const x = Float32Array.from({ length: n * d }, (_, i) => {
      const hit = informative && i % d === labels[Math.floor(i / d)];
      return (hit ? 2.5 : 0) + rng.normal() + 5; // an offset and unit noise the probe must absorb
    });
    return { x, labels };
  };
  const [a, b] = [make(400, 6, true), make(400, 6, true)];
  const read = linearProbe(a.x, a.labels, b.x, b.labels, 6, 4);
  assert.ok(read.accuracy > 0.8, `informative features: accuracy ${read.accuracy}`);
  assert.ok(read.ci95[0] <= read.accuracy && read.accuracy <= read.ci95[1]);
  assert.equal(read.correct.length, 400);
  // 40 noise dimensions and 120 training rows: the probe fits its training rows well, so an
  // accuracy scored on them (or a test set leaking into the fit) would be far above chance.
  const [c, e] = [make(120, 40, false), make(400, 40, false)];
  const noise = linearProbe(c.x, c.labels, e.x, e.labels, 40, 4);
  assert.ok(noise.ci95[0] < 0.25 && noise.accuracy < 0.33, `noise features: accuracy ${noise.accuracy}`);
  assert.throws(
    () => linearProbe(a.x, a.labels, b.x.subarray(1), b.labels, 6, 4),
    /linearProbe: features must be/,
  );
});

test("sprite clips: colour and pixel count do not tell the shape, and the frames are seeded", () => {
  const train = spriteClips(300, 0, { seed: 5 });
  const test = spriteClips(300, 0, { seed: 6 });
  assert.deepEqual(spriteClips(300, 0, { seed: 5 }).frames, train.frames);
  assert.equal(new Set(train.shape).size, 4);
  const shortcut = linearProbe(
    shortcutFeatures(train),
    train.shape,
    shortcutFeatures(test),
    test.shape,
    4,
    4,
  );
  assert.ok(
    shortcut.accuracy < 0.4,
    `mean colour + pixel count read the shape: accuracy ${shortcut.accuracy}`,
  );
  // With colour tied to the class (the old data's flaw) the same probe reads it at once.
  const tied = (c: typeof train) => {
    const x = shortcutFeatures(c);
    c.shape.forEach((k, i) => {
      x[i * 4] += 0.6 * (k & 1);
      x[i * 4 + 1] += 0.6 * (k >> 1);
    });
    return x;
  };
  const leak = linearProbe(tied(train), train.shape, tied(test), test.shape, 4, 4);
  assert.ok(leak.accuracy > 0.6, `a colour tied to the class: accuracy ${leak.accuracy}`);
});

test("MC-JEPA on bouncing sprites (tiny run): flow beats zero flow; the content report has its baselines", async () => {
  const r = await evaluateMcJepaProbe(MC_PROBE_QUICK, { backend: nodeBackend() });
  const m = r.metrics;
  assert.ok(
    m.flow_epe < 0.85 * m.flow_epe_zero_flow,
    `end-point error ${m.flow_epe} vs zero flow ${m.flow_epe_zero_flow}`,
  );
  assert.ok(m.flow_epe < m.flow_epe_untrained, `trained ${m.flow_epe} vs untrained ${m.flow_epe_untrained}`);
  // Not a result at this size: only that every number is there and means what it says.
  assert.ok(m.probe_chance >= 0.25 && m.probe_chance < 0.35, `chance ${m.probe_chance}`);
  assert.ok(m.probe_accuracy_shortcut < 0.45, `shortcut probe ${m.probe_accuracy_shortcut}`);
  for (const k of ["probe_accuracy", "probe_accuracy_untrained"]) {
    const [lo, hi] = r.ci95[k];
    assert.ok(lo <= m[k] && m[k] <= hi && hi - lo < 0.2, `${k} ${m[k]} outside or loose in [${lo}, ${hi}]`);
  }
  assert.ok(m.probe_mcnemar_p > 0 && m.probe_mcnemar_p <= 1);
  assert.equal(r.untrainedAccuracies.length, MC_PROBE_QUICK.untrainedSeeds);
  assert.deepEqual(r.probeCurve.at(-1), { step: MC_PROBE_QUICK.steps, accuracy: m.probe_accuracy });
});
