// The world model's pixel encoders beyond the reference conv encoder (pooling, MLP, keypoint),
// the layout-blind regulariser (clipsPerEpisode) and the summed rollout cost.
import assert from "node:assert/strict";
import { test } from "node:test";
import { collectInMemory, sampleClips } from "../src/data/index.ts";
import {
  compile,
  constant,
  hostTensor,
  keyFromSeed,
  mapTree,
  ops,
  referenceBackend,
  type Tensor,
} from "../src/engine/index.ts";
import { spatialSoftmax } from "../src/nn/index.ts";
import { worldModelLoss } from "../src/objectives/index.ts";
import { rolloutCostGraph } from "../src/planners/index.ts";
import { encode, initWorldModel, type WorldModelConfig, type WorldModelParams } from "../src/world/index.ts";

const backend = referenceBackend();

test("spatialSoftmax puts each channel's keypoint at its peak, in [-1, 1] coordinates", async () => {
  const side = 5;
  const data = new Float32Array(2 * side * side);
  data[1 * side + 3] = 50; // channel 0: row 1, column 3
  data[side * side + 4 * side + 0] = 50; // channel 1: row 4, column 0
  const out = await compile((i) => spatialSoftmax(i.f), { f: { shape: [1, 2, side, side] } }, backend).then(
    (c) => c.run({ f: hostTensor([1, 2, side, side], data) }),
  );
  const xy = Array.from(out.output.data as Float64Array);
  const expected = [2 * (3 / 4) - 1, 2 * (1 / 4) - 1, -1, 1];
  for (const [i, v] of xy.entries()) {
    assert.ok(Math.abs(v - expected[i]) < 1e-6, `coordinate ${i}: ${v} vs ${expected[i]}`);
  }
});

const base: Omit<WorldModelConfig, "encoder"> = {
  observation: [2, 8, 8],
  actionDim: 2,
  embedDim: 3,
  predictor: { kind: "mlp", hidden: 4 },
};

const encoders: WorldModelConfig["encoder"][] = [
  { kind: "conv", channels: [2, 2], pool: 2 },
  { kind: "conv", channels: [2, 2], pool: 1, norm: false },
  { kind: "mlp", hidden: [5], pool: 4 },
  { kind: "keypoint", channels: [3], strides: [1], hidden: [4], pool: 2 },
];
for (const encoder of encoders) {
  test(`a ${encoder.kind} encoder with pool ${encoder.pool}${"norm" in encoder ? " and no norm" : ""} maps [B, 2, 8, 8] to [B, 3]`, async () => {
    const config: WorldModelConfig = { ...base, encoder };
    const params = initWorldModel(keyFromSeed(1), config);
    const frames = hostTensor(
      [4, 2, 8, 8],
      Float32Array.from({ length: 4 * 128 }, (_, i) => (i % 7) / 7),
    );
    const run = await compile(
      (i) => encode(mapTree(params, (t) => constant(t)) as unknown as WorldModelParams<Tensor>, i.x, config),
      { x: { shape: [4, 2, 8, 8] } },
      backend,
    );
    const z = (await run.run({ x: frames })).output;
    assert.deepEqual(z.shape, [4, 3]);
    assert.ok(Array.from(z.data as Float64Array).every(Number.isFinite));
  });
}

test("a conv encoder without its output norm has no norm parameters", () => {
  const config: WorldModelConfig = { ...base, encoder: { kind: "conv", channels: [2, 2], norm: false } };
  const params = initWorldModel(keyFromSeed(1), config).encoder as { norm?: unknown };
  assert.equal(params.norm, undefined);
});

test("an encoder pool that does not divide the image is refused, naming the field", () => {
  const config = { ...base, encoder: { kind: "conv", pool: 3 } } as WorldModelConfig;
  assert.throws(
    () => initWorldModel(keyFromSeed(1), config),
    /model\.encoder\.pool: 3 must .* dividing the image size 8x8/,
  );
});

test("sampleClips with clipsPerEpisode draws runs of clips from one episode", () => {
  const data = collectInMemory("two-rooms", { size: 16 }, "explore", { episodes: 20, steps: 24, seed: 3 });
  const plain = sampleClips(data, { seed: 5, step: 2, batch: 8, length: 5 });
  const same = sampleClips(data, { seed: 5, step: 2, batch: 8, length: 5, clipsPerEpisode: 1 });
  assert.deepEqual(same.episodes, plain.episodes);
  const runs = sampleClips(data, { seed: 5, step: 2, batch: 8, length: 5, clipsPerEpisode: 4 });
  for (const r of [0, 4]) for (let j = 1; j < 4; j++) assert.equal(runs.episodes[r + j], runs.episodes[r]);
  assert.notEqual(runs.episodes[0], runs.episodes[4]); // 20 episodes: a collision here would be a fluke of this seed
  assert.ok(new Set(Array.from(runs.starts.slice(0, 4))).size > 1, "start frames within a run differ");
  assert.throws(
    () => sampleClips(data, { seed: 5, step: 2, batch: 8, length: 5, clipsPerEpisode: 3 }),
    /clipsPerEpisode 3/,
  );
});

test("with clipsPerEpisode the regulariser ignores what is constant within a run", async () => {
  const [b, l, d] = [4, 3, 2];
  // Embeddings = observations; run 0 and run 1 differ by a large constant offset (a "layout").
  const moving = Float32Array.from({ length: b * l * d }, (_, i) => Math.round(8 * Math.sin(1.7 * i)) / 8); // exact in float32
  const offset = Float32Array.from(moving, (v, i) => v + (i < (b / 2) * l * d ? 0 : 40));
  const terms = async (obs: Float32Array, k: number, layoutDims = 0, layoutInvariance = 0) => {
    const run = await compile(
      (i) =>
        worldModelLoss(
          {
            embedDim: d,
            embed: (o: Tensor) => o,
            rollout: (z0: Tensor, a: Tensor) =>
              ops.broadcastTo(ops.reshape(z0, [b, 1, d]), [b, a.shape[1], d]),
          },
          { observations: i.o, actions: i.a },
          {
            regularizer: "vicreg",
            timeSimilarity: 0,
            inverseDynamics: 0,
            clipsPerEpisode: k,
            layoutDims,
            layoutInvariance,
          },
        ).terms,
      { o: { shape: [b, l, d] }, a: { shape: [b, l - 1, 2] } },
      backend,
    );
    const out = await run.run({
      o: hostTensor([b, l, d], obs),
      a: hostTensor([b, l - 1, 2], new Float32Array(b * (l - 1) * 2)),
    });
    return {
      variance: (out.variance.data as Float64Array)[0],
      covariance: (out.covariance.data as Float64Array)[0],
      invariance: out.layout_invariance ? (out.layout_invariance.data as Float64Array)[0] : undefined,
    };
  };
  const centredA = await terms(moving, 2);
  const centredB = await terms(offset, 2);
  assert.ok(Math.abs(centredA.variance - centredB.variance) < 1e-9);
  assert.ok(Math.abs(centredA.covariance - centredB.covariance) < 1e-9);
  const plain = await terms(offset, 1);
  assert.ok(plain.variance < centredB.variance - 0.1, "without centring the offset supplies the variance");
  // layoutDims 1: the last dimension keeps its run mean, so the offset counts there again.
  const lastKept = await terms(offset, 2, 1);
  assert.ok(lastKept.variance < centredB.variance - 0.05, "the layout dimension sees the offset");
  assert.ok(lastKept.variance > plain.variance + 0.05, "the other dimension does not");
  assert.equal(lastKept.invariance, undefined, "no invariance term unless weighted");
  // layoutInvariance: the layout dimension's mean squared deviation from its run mean (the
  // offset, constant within a run, does not count).
  const held = await terms(offset, 2, 1, 3);
  let want = 0;
  for (let r = 0; r < 2; r++) {
    const v = Array.from({ length: 2 * l }, (_, j) => moving[(r * 2 * l + j) * d + d - 1]);
    const m = v.reduce((a, x) => a + x, 0) / v.length;
    want += v.reduce((a, x) => a + (x - m) ** 2, 0);
  }
  want /= b * l;
  assert.ok(
    held.invariance !== undefined && Math.abs(held.invariance - want) < 1e-6,
    `${held.invariance} vs ${want}`,
  );
});

test('a rollout cost with accumulate "sum" adds the distance of every predicted step', async () => {
  // z' = z + a from z0 = 0 toward goal (3, 0): actions 1, 1, 1 pass 1, 2, 3 -> 4 + 1 + 0 = 5.
  const step = (z: Tensor, a: Tensor) => ops.add(z, a);
  const actions = hostTensor([1, 3, 2], Float32Array.of(1, 0, 1, 0, 1, 0));
  const cost = async (accumulate: "sum" | "final") => {
    const run = await compile(
      (i) => rolloutCostGraph(step, i.a, i.z0, i.g, { accumulate }),
      { a: { shape: [1, 3, 2] }, z0: { shape: [1, 2] }, g: { shape: [1, 2] } },
      backend,
    );
    const out = await run.run({
      a: actions,
      z0: hostTensor([1, 2], new Float32Array(2)),
      g: hostTensor([1, 2], Float32Array.of(3, 0)),
    });
    return (out.output.data as Float64Array)[0];
  };
  assert.ok(Math.abs((await cost("sum")) - 5) < 1e-9);
  assert.ok(Math.abs(await cost("final")) < 1e-9);
});
