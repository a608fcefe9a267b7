// Faults and checkpoints: a NaN injected at a known step stops training at that step with a
// message naming the step and the term, leaving the last checkpoint intact and loadable;
// checkpoints round-trip, prune to the last K, and a truncated file is a one-line error.
import assert from "node:assert/strict";
import { mkdirSync, readFileSync, truncateSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import {
  type HostTensor,
  hostTensor,
  layoutOf,
  ops,
  type TrainState,
  type Tree,
} from "../src/engine/index.ts";
import { nodeBackend } from "../src/engine/node.ts";
import { adamw } from "../src/optim/index.ts";
import {
  checkpointName,
  listCheckpoints,
  loadCheckpoint,
  pruneCheckpoints,
  saveCheckpoint,
  TrainingDiverged,
  type TrainSpec,
  train,
} from "../src/train/node.ts";
import { tempDir } from "./train-helpers.ts";

const NAN_STEP = 5;

/** Fits w [8] so that x * w ~ 1; the batch x [4, 8] is NaN at step `nanStep`. */
function regressionSpec(nanStep: number): TrainSpec {
  return {
    params: { w: hostTensor([8], new Float32Array(8).fill(0.1)) },
    loss: (p, batch) => {
      const w = (p as Record<string, import("../src/engine/index.ts").Tensor>).w;
      const fit = ops.mean(ops.sub(ops.mul(batch.x, w), 1).square());
      const reg = ops.mean(w.square());
      return { loss: ops.add(fit, ops.mul(reg, 0.01)), terms: { fit, reg } };
    },
    optimizer: adamw({ lr: 0.05, weightDecay: 0 }),
    batchSpec: { x: { shape: [4, 8] } },
    batch: (step) => ({
      x: hostTensor([4, 8], new Float32Array(32).fill(step === nanStep ? Number.NaN : 1)),
    }),
  } as TrainSpec;
}

test("a NaN batch at step k stops training at step k naming the term; the last checkpoint is intact", async () => {
  const out = tempDir("nan");
  const backend = nodeBackend();
  const logged: number[] = [];
  await assert.rejects(
    train(regressionSpec(NAN_STEP), {
      steps: 20,
      backend,
      outDir: out,
      checkpointEvery: 2,
      logEvery: 1,
      onLog: (r) => logged.push(r.step),
    }),
    (err: Error) => {
      assert.ok(err instanceof TrainingDiverged, String(err));
      assert.equal(err.message.split("\n").length, 1);
      assert.match(err.message, new RegExp(`at step ${NAN_STEP}: loss term "fit" is NaN`));
      return true;
    },
  );
  assert.deepEqual(logged, [1, 2, 3, 4, 5], "no step after the NaN one is logged");
  const ckpt = join(out, "checkpoints");
  assert.deepEqual(listCheckpoints(ckpt), [2, 4]);
  // The last checkpoint loads and equals a clean run stopped at the same step.
  const clean = await train(regressionSpec(-1), { steps: 4, backend });
  const { state } = loadCheckpoint(join(ckpt, checkpointName(4)), clean.trainStep.layout);
  assert.equal(state.step, 4);
  assert.ok(state.params.every(Number.isFinite));
  assert.deepEqual(state.params, clean.trainStep.getState().params);
  // Resuming from it with clean data continues normally.
  const resumed = await train(regressionSpec(-1), { steps: 8, backend, outDir: out, resume: true });
  assert.equal(resumed.resumedFrom, 4);
  assert.equal(resumed.trainStep.step, 8);
});

function sampleState(step: number): { state: TrainState; tree: Tree<HostTensor> } {
  const tree = {
    encoder: { weight: hostTensor([2, 3], [1, 2, 3, 4, 5, 6]), bias: hostTensor([3], [0.5, -0.5, 0]) },
    head: hostTensor([4], [7, 8, 9, 10]),
  };
  const P = 13;
  const params = Float32Array.from({ length: P }, (_, i) => Math.sin(i + step));
  return {
    tree,
    state: {
      step,
      params,
      slots: { m: params.map((v) => v / 3), v: params.map((v) => v * v) },
      ema: params.slice(0, 9).map((v) => v * 0.5),
    },
  };
}

test("checkpoint save/load round trip restores params, slots, EMA, step and config", () => {
  const dir = tempDir("ckpt");
  const { tree, state } = sampleState(7);
  const layout = layoutOf(tree);
  const path = saveCheckpoint(dir, state, layout, { config: { lr: 0.1 } });
  assert.equal(path, join(dir, "step-000000007"));
  const { state: back, meta } = loadCheckpoint(path, layout);
  assert.equal(back.step, 7);
  assert.deepEqual(back.params, state.params);
  assert.deepEqual(back.slots, state.slots);
  assert.deepEqual(back.ema, state.ema);
  assert.deepEqual(meta.config, { lr: 0.1 });
  assert.deepEqual(
    meta.layout.map((e) => e.path),
    layout.entries.map((e) => e.path),
  );
});

test("keep-last-K pruning keeps the newest K and removes half-written folders", () => {
  const dir = tempDir("prune");
  const { tree } = sampleState(0);
  const layout = layoutOf(tree);
  for (let s = 1; s <= 5; s++) saveCheckpoint(dir, sampleState(s).state, layout, { config: null });
  // A folder left by a kill in the middle of a save: not listed, removed by the next prune.
  mkdirSync(join(dir, ".tmp-step-000000006-1234"));
  writeFileSync(join(dir, ".tmp-step-000000006-1234", "params.safetensors"), "partial");
  assert.deepEqual(listCheckpoints(dir), [1, 2, 3, 4, 5]);
  pruneCheckpoints(dir, 2);
  assert.deepEqual(listCheckpoints(dir), [4, 5]);
  assert.throws(() => readFileSync(join(dir, ".tmp-step-000000006-1234", "params.safetensors")));
});

test("a truncated params.safetensors is a one-line error naming the file", () => {
  const dir = tempDir("trunc");
  const { tree, state } = sampleState(3);
  const layout = layoutOf(tree);
  const path = saveCheckpoint(dir, state, layout, { config: null });
  const file = join(path, "params.safetensors");
  truncateSync(file, readFileSync(file).byteLength - 10);
  assert.throws(
    () => loadCheckpoint(path, layout),
    (err: Error) => {
      assert.equal(err.message.split("\n").length, 1, err.message);
      assert.ok(err.message.includes(file), err.message);
      assert.match(err.message, /truncated/);
      return true;
    },
  );
});
