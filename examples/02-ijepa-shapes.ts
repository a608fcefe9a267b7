// Example 2: I-JEPA on the shapes world through the library API, checked against collapse.
// Train the ijepa-shapes preset (a small ViT predicts the layer-normed EMA embeddings of masked
// blocks from a context block), then read the frozen EMA target encoder with held-out linear
// probes (shape class; shape position) next to the same probes on the untrained encoder, and
// the collapse monitors: effective rank of the mean-pooled embeddings and of the token
// embeddings minus their position's mean (what the image adds beyond where a token sits).
//   npx tsx examples/02-ijepa-shapes.ts [--tiny]
import assert from "node:assert/strict";
import {
  compile,
  type HostTensor,
  hostTensor,
  layoutOf,
  ops,
  packTree,
  type Tensor,
  type Tree,
  unpackSymbolic,
} from "../src/engine/index.ts";
import { nodeBackend } from "../src/engine/node.ts";
import { generateShapes } from "../src/envs/index.ts";
import { classificationProbe, regressionProbe, takeRows, wilsonInterval } from "../src/eval/index.ts";
import { type ViTParams, vit } from "../src/nn/index.ts";
import { normalizeLast } from "../src/objectives/index.ts";
import { buildIjepaRun, collapseStats, getIjepaPreset, quickIjepaPreset } from "../src/train/index.ts";
import { train } from "../src/train/node.ts";
import { imageBatch } from "../src/train/preset-ijepa.ts";

const tiny = process.argv.includes("--tiny");
const base = getIjepaPreset("ijepa-shapes");
const preset = tiny ? quickIjepaPreset(base) : base;
const backend = nodeBackend();

// 1. Train. Batches (images and multi-block masks) are pure functions of the step.
const spec = buildIjepaRun(preset, { backend });
const started = performance.now();
const { trainStep } = await train(spec, {
  steps: preset.train.steps,
  backend,
  logEvery: Math.max(1, Math.floor(preset.train.steps / 6)),
  monitorEvery: Math.max(1, Math.floor(preset.train.steps / 3)),
  onLog: (r) =>
    console.log(
      `step ${r.step}: loss ${r.loss.toFixed(4)}${r.collapse ? `, context-encoder pooled rank ${r.collapse.effectiveRank.toFixed(2)}` : ""}`,
    ),
});
console.log(`trained ${preset.train.steps} steps in ${((performance.now() - started) / 1000).toFixed(0)} s`);

// 2. Held-out images (another seed than the training set): 1000 to fit probes, 500 to score.
const { imageSize: s, patchSize, dim: d } = preset.model.encoder;
const [n, nFit, chunk] = tiny ? [300, 200, 100] : [1500, 1000, 250];
const shapes = generateShapes(77, n, { size: s, sizeRange: preset.data.sizeRange });
const frame = 3 * s * s;
const images = imageBatch(
  shapes.images,
  frame,
  Array.from({ length: n }, (_, i) => i),
);
const tokens = (s / patchSize) ** 2;
const init = (spec.params as Record<string, Tree<HostTensor>>).encoder;
const layout = layoutOf(init);
const embed = await compile(
  (i) => {
    const h = vit(
      unpackSymbolic(i.params, layout, init) as unknown as ViTParams<Tensor>,
      i.images,
      preset.model.encoder,
    );
    return { pooled: ops.mean(h, 1), tokens: normalizeLast(h) };
  },
  { params: { shape: [layout.total] }, images: { shape: [chunk, 3, s, s] } },
  backend,
);

/** Probes and collapse monitors of one encoder's frozen features. */
async function evaluate(encoder: Tree<HostTensor>) {
  const pooled = new Float64Array(n * d);
  const tok = new Float64Array(chunk * tokens * d); // the first chunk's tokens
  const posMean = new Float64Array(tokens * d);
  for (let c = 0; c < n; c += chunk) {
    const out = await embed.run({
      params: hostTensor([layout.total], packTree(encoder, layout)),
      images: hostTensor([chunk, 3, s, s], images.subarray(c * frame, (c + chunk) * frame)),
    });
    pooled.set(out.pooled.data as Float32Array, c * d);
    const t = out.tokens.data as Float32Array;
    if (c === 0) tok.set(t);
    for (let k = 0; k < t.length; k++) posMean[k % (tokens * d)] += t[k] / n;
  }
  for (let k = 0; k < tok.length; k++) tok[k] -= posMean[k % (tokens * d)];
  const fit = Array.from({ length: nFit }, (_, i) => i);
  const held = Array.from({ length: n - nFit }, (_, i) => nFit + i);
  const labels = (rows: number[]) => rows.map((i) => shapes.labels[i]);
  const cls = classificationProbe(
    { x: takeRows(pooled, d, fit), labels: labels(fit) },
    { x: takeRows(pooled, d, held), labels: labels(held) },
    d,
    shapes.classNames.length,
  );
  const xy = Float64Array.from({ length: 2 * n }, (_, k) => shapes.factors[Math.floor(k / 2) * 6 + (k % 2)]);
  const position = regressionProbe(
    { x: takeRows(pooled, d, fit), y: takeRows(xy, 2, fit) },
    { x: takeRows(pooled, d, held), y: takeRows(xy, 2, held) },
    d,
    2,
  );
  const correct = Math.round(cls.accuracy * held.length);
  return {
    pooledRank: collapseStats(pooled, n, d).effectiveRank,
    tokenRank: collapseStats(tok, chunk * tokens, d).effectiveRank,
    accuracy: cls.accuracy,
    interval: wilsonInterval(correct, held.length),
    positionRmse: position.rmse,
  };
}

const before = await evaluate(init);
const after = await evaluate(trainStep.emaParams()!);
const show = (name: string, r: typeof before) =>
  console.log(
    `${name}: shape class ${(100 * r.accuracy).toFixed(1)} % [${r.interval.map((v) => (100 * v).toFixed(1)).join(", ")}] (chance 20 %), position RMSE ${r.positionRmse.toFixed(2)} px; effective rank pooled ${r.pooledRank.toFixed(2)}, tokens ${r.tokenRank.toFixed(2)} of ${d}`,
  );
show("untrained encoder ", before);
show("trained EMA target", after);
// No collapse: the token embeddings keep image content (a collapsed I-JEPA maps every token
// to one vector, and its rank falls toward 1).
assert.ok(after.tokenRank > 2, `the target encoder's tokens collapsed (effective rank ${after.tokenRank})`);
await trainStep.release();
await embed.release();
