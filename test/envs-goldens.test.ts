// Rendering goldens: for each env, a strip of 4 frames (reset, then 3 explore steps) is
// compared pixel for pixel with a committed PNG under test/goldens, so any change to what
// an env draws shows up in review. Regenerate with UPDATE_GOLDENS=1 npm test -- goldens.
import assert from "node:assert/strict";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { frameStrip } from "../src/data/index.ts";
import { decodePng, encodePng } from "../src/data/node.ts";
import { ENV_NAMES, makeEnv, makePolicy, PIXEL_PERTURBATIONS, perturbFrame } from "../src/envs/index.ts";

const DIR = join(import.meta.dirname, "goldens");
const UPDATE = process.env.UPDATE_GOLDENS === "1";

function checkGolden(name: string, strip: { pixels: Uint8Array; height: number; width: number }): void {
  const path = join(DIR, `${name}.png`);
  if (UPDATE) writeFileSync(path, encodePng(strip.pixels, 3, strip.height, strip.width));
  assert.ok(existsSync(path), `missing golden ${path}; run UPDATE_GOLDENS=1 npm test -- goldens`);
  const golden = decodePng(readFileSync(path));
  assert.deepEqual([golden.height, golden.width], [strip.height, strip.width], `${name}: size changed`);
  let differing = 0;
  for (let k = 0; k < strip.pixels.length; k++) if (golden.pixels[k] !== strip.pixels[k]) differing++;
  assert.equal(
    differing,
    0,
    `${name}: ${differing} pixel values differ from ${path} (UPDATE_GOLDENS=1 to accept)`,
  );
}

for (const name of ENV_NAMES) {
  test(`${name} renders as its golden`, () => {
    const env = makeEnv(name);
    const frames = [env.reset({ seed: 1 }).observation];
    const policy = makePolicy("explore", env, 2);
    frames[0] = env.render(); // the explorer may have moved the start
    for (let t = 0; t < 3; t++) frames.push(env.step(policy.act()).observation);
    checkGolden(name, frameStrip(frames, env.observationSpace.shape));
  });
}

test("pixel perturbations at severity 3 render as their golden", () => {
  const env = makeEnv("push-t");
  const frame = env.reset({ seed: 3 }).observation;
  const shape = env.observationSpace.shape;
  const frames = [
    frame,
    ...PIXEL_PERTURBATIONS.map((kind) => perturbFrame(frame, shape, kind, 3, 1, { t: 4 })),
  ];
  checkGolden("perturbations-push-t", frameStrip(frames, shape));
});

test("the PNG codec round-trips", () => {
  const pixels = Uint8Array.from({ length: 3 * 5 * 7 }, (_, k) => (k * 37) & 255);
  const back = decodePng(encodePng(pixels, 3, 5, 7));
  assert.deepEqual([back.channels, back.height, back.width], [3, 5, 7]);
  assert.deepEqual(back.pixels, pixels);
});
