// I-JEPA end to end: the loss traces, its gradient reaches the context encoder and the
// predictor but never the EMA target encoder, and a tiny run on shapes trains on ONNX
// Runtime: the loss falls and a linear probe of the frozen encoder beats chance.
import assert from "node:assert/strict";
import { test } from "node:test";
import {
  compile,
  grad,
  type HostTensor,
  hostTensor,
  keyFromSeed,
  layoutOf,
  packTree,
  type Tensor,
  type Tree,
  unpackSymbolic,
} from "../src/engine/index.ts";
import { nodeBackend } from "../src/engine/node.ts";
import { generateShapes } from "../src/envs/index.ts";
import { fitLinear } from "../src/eval/linear-fit.ts";
import { type ViTParams, vit } from "../src/nn/index.ts";
import {
  type IjepaConfig,
  type IjepaParams,
  ijepaLoss,
  ijepaLossFn,
  initIjepa,
  multiBlockSampler,
  normalizeLast,
} from "../src/objectives/index.ts";
import { collapseStats } from "../src/train/index.ts";
import { train } from "../src/train/node.ts";
import {
  buildIjepaRun,
  compileIjepaEmbedder,
  IJEPA_PRESETS,
  type IjepaPreset,
  imageBatch,
} from "../src/train/preset-ijepa.ts";

const TINY: IjepaConfig = {
  encoder: { imageSize: 16, patchSize: 4, channels: 3, dim: 16, depth: 1, heads: 2, mlpDim: 32 },
  predictor: { dim: 8, depth: 1, heads: 2, mlpDim: 16 },
};

const norm = (data: ArrayLike<number>, from = 0, to = data.length) => {
  let s = 0;
  for (let i = from; i < to; i++) s += data[i] ** 2;
  return Math.sqrt(s);
};

test("I-JEPA loss: gradient reaches the context encoder and the predictor, not the target encoder", async () => {
  const backend = nodeBackend();
  const params = initIjepa(keyFromSeed(0), TINY) as unknown as Tree<HostTensor>;
  const target = initIjepa(keyFromSeed(1), TINY).encoder as unknown as Tree<HostTensor>;
  const layout = layoutOf(params);
  const targetLayout = layoutOf(target);
  const sampler = multiBlockSampler({ gridHeight: 4, gridWidth: 4 });
  const { numTargets: m, targetTokens: kt, contextTokens: kc } = sampler.config;
  const masks = sampler.sample(keyFromSeed(2), 2);
  const images = hostTensor(
    [2, 3, 16, 16],
    Array.from({ length: 2 * 3 * 256 }, (_, i) => Math.sin(i * 0.37) * 0.5 + 0.5),
  );
  const compiled = await compile(
    (i) => {
      const p = unpackSymbolic(i.params, layout, params) as unknown as IjepaParams<Tensor>;
      const t = unpackSymbolic(i.target, targetLayout, target) as unknown as ViTParams<Tensor>;
      const { loss, terms } = ijepaLoss(
        p,
        t,
        { images: i.images, context: i.context, targets: i.targets },
        TINY,
      );
      const [gParams, gTarget] = grad(loss, [i.params, i.target]);
      return { loss, prediction: terms.prediction, gParams, gTarget };
    },
    {
      params: { shape: [layout.total] },
      target: { shape: [targetLayout.total] },
      images: { shape: [2, 3, 16, 16] },
      context: { shape: [2, kc], dtype: "int32" },
      targets: { shape: [2, m, kt], dtype: "int32" },
    },
    backend,
  );
  const out = await compiled.run({
    params: hostTensor([layout.total], packTree(params, layout)),
    target: hostTensor([targetLayout.total], packTree(target, targetLayout)),
    images,
    context: masks.context,
    targets: masks.targets,
  });
  const loss = Number(out.loss.data[0]);
  assert.ok(Number.isFinite(loss) && loss > 0, `loss ${loss}`);
  assert.equal(Number(out.prediction.data[0]), loss);
  const g = out.gParams.data as Float32Array;
  const encoderEnd = layout.entries.filter((e) => e.path.startsWith("encoder.")).at(-1)!;
  const split = encoderEnd.offset + encoderEnd.size;
  assert.ok(norm(g, 0, split) > 1e-6, "no gradient reaches the context encoder");
  assert.ok(norm(g, split) > 1e-6, "no gradient reaches the predictor");
  // The target encoder's positional embedding and blocks feed the loss, but under stopGradient.
  assert.equal(norm(out.gTarget.data as Float32Array), 0);
  await compiled.release();
});

test("ijepaLossFn without an EMA names the fix", () => {
  assert.throws(
    () => ijepaLossFn(TINY)({}, {}, { step: undefined as unknown as Tensor }),
    /compile the step with ema: \{ of: "encoder"/,
  );
});

/**
 * Effective rank of an encoder's layer-normed token embeddings minus each position's mean
 * over the images: what the image adds beyond where a token sits. A collapsed I-JEPA maps
 * every token to one vector (or to a function of its position only) and this falls to ~1.
 */
async function tokenContentRank(
  preset: IjepaPreset,
  encoder: Tree<HostTensor>,
  images: Float32Array,
  n: number,
  backend: ReturnType<typeof nodeBackend>,
): Promise<number> {
  const config = preset.model.encoder;
  const { imageSize: s, dim: d } = config;
  const layout = layoutOf(encoder);
  const compiled = await compile(
    (i) =>
      normalizeLast(
        vit(unpackSymbolic(i.params, layout, encoder) as unknown as ViTParams<Tensor>, i.images, config),
      ),
    { params: { shape: [layout.total] }, images: { shape: [n, 3, s, s] } },
    backend,
  );
  const out = await compiled.run({
    params: hostTensor([layout.total], packTree(encoder, layout)),
    images: hostTensor([n, 3, s, s], images.subarray(0, n * 3 * s * s)),
  });
  await compiled.release();
  const h = Float64Array.from(out.output.data as Float32Array);
  const per = h.length / n;
  const mean = new Float64Array(per);
  for (let k = 0; k < h.length; k++) mean[k % per] += h[k] / n;
  for (let k = 0; k < h.length; k++) h[k] -= mean[k % per];
  return collapseStats(h, h.length / d, d).effectiveRank;
}

test("tiny I-JEPA on shapes: trains without collapse and a linear probe of the frozen encoder beats chance", async (t) => {
  const backend = nodeBackend();
  const base = IJEPA_PRESETS["ijepa-shapes"];
  const steps = 80;
  const preset: IjepaPreset = {
    ...base,
    data: { ...base.data, images: 512 },
    model: {
      encoder: { ...base.model.encoder, dim: 48, depth: 2, heads: 4, mlpDim: 96 },
      predictor: { dim: 24, depth: 1, heads: 2, mlpDim: 48 },
    },
    train: { ...base.train, steps, batch: 16, warmupSteps: 10 },
  };
  const spec = buildIjepaRun(preset, { backend, probeImages: 64 });
  const result = await train(spec, { steps, backend, logEvery: 10, monitorEvery: 80 });
  const monitored = result.history.at(-1)!.collapse;
  assert.ok(monitored, "the collapse monitor ran at the last step");
  t.diagnostic(`collapse monitor at step ${steps}: ${JSON.stringify(monitored)}`);
  const losses = result.history.map((r) => r.loss);
  const last = (losses.at(-1)! + losses.at(-2)! + losses.at(-3)!) / 3;
  assert.ok(last < losses[0], `loss ${losses[0]} -> ${last}`);
  const ema = result.trainStep.emaParams()!;
  const encoder = (result.trainStep.params() as Record<string, Tree<HostTensor>>).encoder;
  const init = (spec.params as Record<string, Tree<HostTensor>>).encoder;
  const pos = (t: Tree<HostTensor>) => (t as unknown as ViTParams<HostTensor>).pos.data as Float32Array;
  assert.notDeepEqual(pos(ema), pos(init), "the EMA target never moved");
  assert.notDeepEqual(pos(ema), pos(encoder), "the EMA target equals the context encoder");

  // Linear probe (least squares on one-hot labels) of mean-pooled frozen EMA features.
  const n = 600;
  const train0 = 400;
  const classes = 5;
  const shapes = generateShapes(77, n, { size: 32, sizeRange: base.data.sizeRange });
  const frame = 3 * 32 * 32;
  const images = imageBatch(
    shapes.images,
    frame,
    Array.from({ length: n }, (_, i) => i),
  );
  // Collapse guard on the context encoder, which collapses first. Measured over these 80
  // steps: token rank 16.0 at init -> 4.6 at the preset's lr 3e-4; -> 1.5 at lr 2e-3 (the
  // old setting, where the trainer's monitor also flags "collapsed", pooled rank 1.3).
  const rankInit = await tokenContentRank(preset, init, images, 100, backend);
  const rankContext = await tokenContentRank(preset, encoder, images, 100, backend);
  t.diagnostic(`token content rank: init ${rankInit.toFixed(2)}, context encoder ${rankContext.toFixed(2)}`);
  assert.ok(rankContext > 3, `the context encoder collapsed: rank ${rankInit} -> ${rankContext}`);

  const embed = await compileIjepaEmbedder(preset, init, n, backend);
  const z = await embed(ema, images);
  const d = z.length / n;
  const y = new Float64Array(n * classes);
  for (let i = 0; i < n; i++) y[i * classes + shapes.labels[i]] = 1;
  const fit = fitLinear(z.subarray(0, train0 * d), y.subarray(0, train0 * classes), train0, d, classes);
  let correct = 0;
  for (let i = train0; i < n; i++) {
    let best = 0;
    let bestScore = -Infinity;
    for (let k = 0; k < classes; k++) {
      let s = fit.bias[k];
      for (let j = 0; j < d; j++) s += fit.weights[k * d + j] * z[i * d + j];
      if (s > bestScore) [best, bestScore] = [k, s];
    }
    if (best === shapes.labels[i]) correct++;
  }
  const accuracy = correct / (n - train0);
  t.diagnostic(`loss ${losses[0].toFixed(4)} -> ${last.toFixed(4)}; probe accuracy ${accuracy}`);
  // Chance is 1/5; an untrained encoder and pooled pixels both score ~0.47-0.50 here (shape
  // class is not linear in pixels), so this checks the features stay usable, not that 80
  // steps improved them (examples/02-ijepa-shapes.ts measures that at full length).
  assert.ok(accuracy >= 0.2 + 0.15, `probe accuracy ${accuracy}`);
  await result.trainStep.release();
});
