// Interop out and back in: `jepa export` writes a trained encoder, predictor or world model
// as ONNX; the exported encoder imports back as a frozen encoder with the same embeddings;
// every export passes the official ONNX checker (when Debian's python3-onnx is installed);
// a predictor trains on cached frozen embeddings and plans on them.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { exportWorldModelPart } from "../src/cli/export.ts";
import { collectInMemory } from "../src/data/index.ts";
import {
  compile,
  compileTrainStep,
  constant,
  decodeModel,
  type HostTensor,
  hostTensor,
  importOnnx,
  keyFromSeed,
  mapTree,
  type Tensor,
  type Tree,
} from "../src/engine/index.ts";
import { nodeBackend } from "../src/engine/node.ts";
import { adamw } from "../src/optim/index.ts";
import { cem, compileRolloutCost } from "../src/planners/index.ts";
import {
  embeddingCache,
  encode,
  type FrozenWorldParams,
  frozenEncoder,
  frozenStep,
  frozenWorldLoss,
  initFrozenWorld,
  initWorldModel,
  type WorldModelConfig,
  type WorldModelParams,
} from "../src/world/index.ts";
import { relError } from "./helpers/fixtures.ts";
import { jepa, tempDir, tinyConfig } from "./train-helpers.ts";

const backend = nodeBackend();
const config = tinyConfig();
const model = config.model as WorldModelConfig;
const data = collectInMemory(config.env.name, config.env.options, config.data.policy, {
  episodes: 4,
  steps: 8,
  seed: 3,
});
const frameSize = model.observation.reduce((a, b) => a * b, 1);
/** Frame `key` of the dataset (episode-major), scaled to [0, 1]. */
const frameOf = (key: number): Float32Array => {
  const steps = data.info.steps + 1;
  const e = data.episode(Math.floor(key / steps));
  const t = key % steps;
  return Float32Array.from(e.observations.subarray(t * frameSize, (t + 1) * frameSize), (v) => v / 255);
};

test("round trip: a trained encoder exported by `jepa export` imports back with the same embeddings (1e-5)", async () => {
  const dir = tempDir("export");
  writeFileSync(join(dir, "tiny.json"), JSON.stringify(config));
  const trained = jepa(["train", "--config", join(dir, "tiny.json"), "--out", join(dir, "run")]);
  assert.equal(trained.status, 0, trained.stderr);
  const file = join(dir, "encoder.onnx");
  const exported = jepa([
    "export",
    "--model",
    join(dir, "run"),
    "--part",
    "encoder",
    "--out",
    file,
    "--batch",
    "4",
  ]);
  assert.equal(exported.status, 0, exported.stderr);
  assert.match(exported.stdout, /wrote .*encoder\.onnx \(encoder, step 16/);

  const imported = importOnnx(readFileSync(file));
  assert.deepEqual(JSON.parse(imported.metadata["jepa.model_config"]), model);
  assert.equal(imported.metadata["jepa.step"], "16");
  assert.deepEqual(imported.inputs, [{ name: "observation", shape: [4, 2, 16, 16], dtype: "float32" }]);
  const frozen = frozenEncoder(imported);
  const frames = new Float32Array(4 * frameSize);
  for (let k = 0; k < 4; k++) frames.set(frameOf(k * 5), k * frameSize);
  const spec = { frames: { shape: [4, ...model.observation] } };
  const viaImport = await compile((i) => frozen.encode(i.frames), spec, backend);
  const a = (await viaImport.run({ frames: hostTensor([4, ...model.observation], frames) })).output;

  // The same checkpoint's parameters through jepa-ts's own encoder.
  const { loadRun } = await import("../src/cli/export.ts");
  const { params } = loadRun(join(dir, "run"));
  const direct = await compile((i) => encode(asConstants(params), i.frames, model), spec, backend);
  const b = (await direct.run({ frames: hostTensor([4, ...model.observation], frames) })).output;
  const err = relError(a.data as Float32Array, b.data as Float32Array);
  assert.ok(err <= 1e-5, `round-trip relative error ${err}`);
  await viaImport.release();
  await direct.release();
});

const asConstants = (p: WorldModelParams<HostTensor>) =>
  mapTree(p as unknown as Tree<HostTensor>, (t) => constant(t)) as unknown as WorldModelParams<Tensor>;

const haveOnnx = spawnSync("/usr/bin/python3", ["-c", "import onnx"]).status === 0;
test("every exported part passes onnx.checker.check_model(full_check=True)", {
  skip: haveOnnx ? false : "python3-onnx is not installed (apt-get install python3-onnx); checker not run",
}, () => {
  const dir = tempDir("checker");
  const configs: WorldModelConfig[] = [
    model,
    {
      observation: [3, 16, 16],
      actionDim: 2,
      embedDim: 16,
      encoder: { kind: "impala", channels: [4, 8], blocksPerStage: 1 },
      predictor: { kind: "mlp", hidden: 32, layers: 2 },
    },
  ];
  const files: string[] = [];
  configs.forEach((c, k) => {
    const params = initWorldModel(keyFromSeed(k), c);
    for (const part of ["encoder", "predictor", "world-model"] as const) {
      const file = join(dir, `${k}-${part}.onnx`);
      writeFileSync(file, exportWorldModelPart(params, c, part, { batch: 2, horizon: 3 }));
      const names = (
        decodeModel(readFileSync(file)) as { metadata_props: { key: string }[] }
      ).metadata_props.map((p) => p.key);
      assert.ok(names.includes("jepa.observation_normalisation") && names.includes("jepa.model_config"));
      files.push(file);
    }
  });
  const script = `import onnx, sys\nfor f in sys.argv[1:]:\n    onnx.checker.check_model(onnx.load(f), full_check=True)\nprint("checked", len(sys.argv) - 1)`;
  const r = spawnSync("/usr/bin/python3", ["-c", script, ...files], { encoding: "utf8" });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /checked 6/);
});

test("a predictor trains on cached frozen embeddings (each frame encoded once) and plans on them", async () => {
  // A frozen encoder: the jepa-ts encoder of a fresh model, exported and imported back.
  const params = initWorldModel(keyFromSeed(7), model);
  const imported = importOnnx(exportWorldModelPart(params, model, "encoder", { batch: 8 }));
  const frozen = frozenEncoder(imported);
  const encoder = await compile(
    (i) => frozen.encode(i.frames),
    { frames: { shape: [frozen.batch, ...frozen.frame] } },
    backend,
  );
  const cache = embeddingCache(
    async (frames) => (await encoder.run({ frames })).output.data as Float32Array,
    frozen,
  );
  const steps = data.info.steps + 1;
  const B = 4;
  const L = 5;
  const A = model.actionDim;
  const D = frozen.embedDim;
  const fw = { embedDim: D, actionDim: A, predictor: { kind: "mlp" as const, hidden: 32 } };
  const trainStep = await compileTrainStep(
    (p, batch) =>
      frozenWorldLoss(
        p as unknown as FrozenWorldParams<Tensor>,
        { embeddings: batch.embeddings, actions: batch.actions },
        fw,
      ),
    initFrozenWorld(keyFromSeed(1), fw) as unknown as Tree<HostTensor>,
    adamw({ lr: 3e-3 }),
    { embeddings: { shape: [B, L, D] }, actions: { shape: [B, L - 1, A] } },
    { backend },
  );
  const losses: number[] = [];
  for (let step = 0; step < 40; step++) {
    const keys: number[] = [];
    const actions = new Float32Array(B * (L - 1) * A);
    for (let b = 0; b < B; b++) {
      const episode = (b + step) % data.episodes;
      const start = (step * 3 + b) % (steps - L + 1);
      for (let t = 0; t < L; t++) keys.push(episode * steps + start + t);
      const acts = data.episode(episode).actions;
      actions.set(acts.subarray(start * A, (start + L - 1) * A), b * (L - 1) * A);
    }
    const embeddings = await cache.get(keys, frameOf);
    const r = await trainStep.run({
      embeddings: hostTensor([B, L, D], embeddings),
      actions: hostTensor([B, L - 1, A], actions),
    });
    losses.push(r.loss);
  }
  assert.equal(cache.computed, data.episodes * steps, "every frame is encoded exactly once");
  const first = losses.slice(0, 5).reduce((a, b) => a + b) / 5;
  const last = losses.slice(-5).reduce((a, b) => a + b) / 5;
  assert.ok(last < 0.5 * first, `predictor loss ${first} -> ${last}`);

  // Planning on cached embeddings: CEM over the trained predictor from frame 0 to frame 4.
  const predictor = trainStep.params() as unknown as FrozenWorldParams<HostTensor>;
  const weights = mapTree(
    predictor as unknown as Tree<HostTensor>,
    (t) => ({ ...t, data: t.data.slice() }) as HostTensor,
  );
  // Constants are built inside the trace that compileRolloutCost starts.
  const step = (z: Tensor, a: Tensor) =>
    frozenStep(mapTree(weights, (t) => constant(t)) as unknown as FrozenWorldParams<Tensor>, fw)(z, a);
  const [z0, goal] = [await cache.get([0], frameOf), await cache.get([4], frameOf)];
  const H = 4;
  const cost = await compileRolloutCost(step, {
    population: 64,
    horizon: H,
    actionDim: A,
    latentShape: [D],
    backend,
  });
  const costFn = cost.costFor(z0, goal);
  const plan = await cem(keyFromSeed(2), costFn, {
    horizon: H,
    actionDim: A,
    population: 64,
    elites: 8,
    iterations: 4,
    low: -1,
    high: 1,
  });
  const zeroCost = (await costFn(new Float32Array(64 * H * A)))[0];
  assert.ok(plan.cost < zeroCost, `planned cost ${plan.cost} vs doing nothing ${zeroCost}`);
  await cost.release();
  await encoder.release();
  await trainStep.release();
});
