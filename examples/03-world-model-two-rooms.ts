// Example 3: a JEPA world model on two-rooms, end to end through the library API:
// collect -> train (no decoder, VICReg against collapse) -> plan with CEM toward a goal image.
//   npx tsx examples/03-world-model-two-rooms.ts [--tiny]
import assert from "node:assert/strict";
import { collectInMemory } from "../src/data/index.ts";
import { nodeBackend } from "../src/engine/node.ts";
import { compileLatentWorld, evaluateP1 } from "../src/eval/index.ts";
import { buildWorldModelRun, getPreset, quickPreset } from "../src/train/index.ts";
import { train } from "../src/train/node.ts";

const tiny = process.argv.includes("--tiny");
const base = getPreset("two-rooms-vicreg");
const preset = tiny ? quickPreset(base) : base;
const backend = nodeBackend();

// 1. Data: seeded exploration of the two-rooms world (protocol P1).
const data = collectInMemory(preset.env.name, preset.env.options, preset.data.policy, {
  episodes: preset.data.episodes,
  steps: preset.data.steps,
  seed: preset.data.seed,
});

// 2. Train: every batch is a pure function of the step, so reruns give the same bits.
const { trainStep, history } = await train(buildWorldModelRun(preset, data), {
  steps: preset.train.steps,
  backend,
  logEvery: Math.max(1, Math.floor(preset.train.steps / 5)),
  onLog: (r) =>
    console.log(`step ${r.step}: loss ${r.loss.toFixed(3)}, prediction ${r.terms.prediction.toFixed(4)}`),
});
const firstLoss = history[0].loss;
const lastLoss = history[history.length - 1].loss;
assert.ok(lastLoss < firstLoss, `the loss should fall (${firstLoss} -> ${lastLoss})`);

// 3. Plan: CEM in latent space toward the embedding of a goal image in the other room.
const world = await compileLatentWorld(trainStep.params(), preset.model, {
  population: 32,
  horizon: 10,
  backend,
});
const report = await evaluateP1(world, {
  episodes: tiny ? 1 : 10,
  horizon: 10,
  population: 32,
  iterations: 3,
  elites: 4,
});
console.log(`P1 (reduced) success ${report.metrics.success} over ${report.episodes.length} episodes`);
assert.ok(
  report.episodes.every((e) => e.path.length > 0),
  "every episode should have moved the agent",
);
await world.release();
await trainStep.release();
