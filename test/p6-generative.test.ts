// P6 at a tiny size: the generative baseline trains (its reconstruction loss falls), its FLOP
// count follows from the layer shapes, and the whole protocol produces a complete table.
import assert from "node:assert/strict";
import { test } from "node:test";
import { collectInMemory } from "../src/data/index.ts";
import { nodeBackend } from "../src/engine/node.ts";
import { buildGenerativeRun, evaluateP6, p6Table, trainingFlopsPerStep } from "../src/eval/index.ts";
import type { WorldModelPreset } from "../src/train/index.ts";
import { train } from "../src/train/node.ts";

const TINY: WorldModelPreset = {
  name: "two-rooms-tiny",
  description: "P6 test preset",
  env: { name: "two-rooms", options: { size: 32 } },
  data: { episodes: 16, steps: 8, seed: 1, policy: "explore" },
  model: {
    observation: [2, 32, 32],
    actionDim: 2,
    embedDim: 16,
    encoder: { kind: "conv", channels: [8, 8] },
    predictor: { kind: "mlp", hidden: 32, layers: 2 },
    inverseDynamicsHidden: 16,
  },
  loss: { regularizer: "vicreg" },
  train: { steps: 12, batch: 4, clipLength: 5, lr: 3e-3, warmupSteps: 2, weightDecay: 0, seed: 0 },
};
const DECODER = { channels: [8, 8] };

test("generative baseline: next-frame reconstruction loss falls with training", async () => {
  const data = collectInMemory("two-rooms", { size: 32 }, "explore", { episodes: 8, steps: 8, seed: 1 });
  const spec = buildGenerativeRun({ ...TINY, train: { ...TINY.train, steps: 40 } }, data, DECODER);
  const result = await train(spec, { steps: 40, backend: nodeBackend(), logEvery: 1 });
  const first = result.history[0].terms.reconstruction;
  const last = result.history.at(-1)!.terms.reconstruction;
  assert.ok(last < 0.5 * first, `reconstruction ${first} -> ${last}`);
  await result.trainStep.release();
});

test("training FLOPs from layer shapes: a hand count of the tiny models", () => {
  // Encoder per image: conv 2->8 at 16x16: 2*2*8*9*256 = 73 728; conv 8->8 at 8x8: 2*8*8*9*64
  // = 73 728; fc 8*8*8 -> 16: 2*512*16 = 16 384. Total 163 840.
  const enc = 163_840;
  // Predictor per step: 2*(16+2)*32 + 2*32*16 = 2 176. IDM: 2*32*16 + 2*16*2 = 1 088.
  const pred = 2176;
  const idm = 1088;
  const vicreg = 2 * 4 * 5 * 16 * 16;
  assert.equal(
    trainingFlopsPerStep("jepa", TINY.model, DECODER, 4, 5),
    3 * (20 * enc + 16 * (pred + idm) + vicreg),
  );
  // Decoder per frame: fc 16 -> 8*8*8: 2*16*512 = 16 384; convT 8->8 from 8x8: 2*8*8*16*64 =
  // 131 072; convT 8->2 from 16x16: 2*8*2*16*256 = 131 072.
  const dec = 16_384 + 131_072 + 131_072;
  assert.equal(
    trainingFlopsPerStep("generative", TINY.model, DECODER, 4, 5),
    3 * (4 * enc + 16 * (pred + dec)),
  );
});

test("P6 tiny: complete table (success, probe, FLOPs vs data; low-shot accuracies)", async () => {
  const report = await evaluateP6(
    TINY,
    {
      fractions: [0.5, 1],
      decoder: DECODER,
      p1: {
        episodes: 2,
        imageSize: 32,
        budget: 10,
        horizon: 4,
        population: 8,
        iterations: 1,
        elites: 2,
        executeSteps: 4,
      },
      probeEpisodes: 4,
      lowShot: { perClass: [1, 3], episodes: 8, steps: 8, imageSize: 32, testPerClass: 10, draws: 2 },
    },
    { backend: nodeBackend(), train, protocol: "p6-jepa-vs-generative-tiny" },
  );
  assert.equal(report.protocol, "p6-jepa-vs-generative-tiny");
  assert.equal(report.runs.length, 4);
  for (const model of ["jepa", "generative"])
    for (const f of [0.5, 1]) {
      for (const m of ["success", "probe_rmse_px", "probe_r2", "train_flops", "wall_s"])
        assert.ok(Number.isFinite(report.metrics[`${model}/f${f}/${m}`]), `${model}/f${f}/${m}`);
    }
  for (const model of ["jepa", "generative"])
    for (const k of [1, 3]) {
      const acc = report.metrics[`${model}/lowshot_${k}`];
      assert.ok(acc >= 0 && acc <= 1, `${model}/lowshot_${k}`);
    }
  // Same steps and batch: the data fraction does not change the compute.
  assert.equal(report.metrics["jepa/f0.5/train_flops"], report.metrics["jepa/f1/train_flops"]);
  assert.equal(report.runs[0].episodes, 8);
  assert.match(p6Table(report), /\| generative \| 1 \| 16 \|/);
});
