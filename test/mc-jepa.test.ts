// MC-JEPA: bilinear warping (built from gather) against hand-computed samples and finite
// differences, and a tiny run on bouncing-sprites whose true flow is known: the learned flow
// beats the zero-flow baseline and the content features classify the sprite's shape.
import assert from "node:assert/strict";
import { test } from "node:test";
import { grad, hostTensor, interpret, ops, trace } from "../src/engine/index.ts";
import { nodeBackend } from "../src/engine/node.ts";
import { warp } from "../src/world/index.ts";
import { spriteClips } from "./mc-jepa-data.ts";
import { runMcJepa } from "./mc-jepa-run.ts";

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

test("MC-JEPA on bouncing sprites (tiny run): flow beats zero flow, content probe beats chance", async () => {
  const train = spriteClips(64, 8, { seed: 1 });
  const held = spriteClips(16, 8, { seed: 2 });
  const r = await runMcJepa(train, held, { steps: 30, batch: 16, backend: nodeBackend() });
  assert.ok(r.epe < 0.85 * r.zeroFlow, `end-point error ${r.epe} vs zero flow ${r.zeroFlow}`);
  assert.ok(r.epe < r.initEpe, `trained ${r.epe} vs untrained ${r.initEpe}`);
  assert.ok(r.probe >= 0.75, `shape probe accuracy ${r.probe} (chance 0.5)`);
});
