// P2 push-t at a tiny size: the report of an (untrained) latent world has P1's shape and is
// deterministic for a seed; with the true physics as the cost the CEM planner reaches the
// goal pose on easy episodes (goal 15 steps ahead) where a blind cost mostly does not; and
// `jepa eval --protocol p2-push-t` runs on a push-t run folder and refuses a two-rooms one.
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { command as evalCommand } from "../src/cli/eval.ts";
import { type HostTensor, keyFromSeed, type Tree } from "../src/engine/index.ts";
import { nodeBackend } from "../src/engine/node.ts";
import {
  compileLatentWorld,
  evaluateP2,
  latentP2World,
  movesToTargets,
  oracleP2World,
  type P2World,
  sampleP2Episode,
} from "../src/eval/index.ts";
import { initWorldModel } from "../src/world/index.ts";
import { saveUntrainedRun, TINY_PUSH_T_MODEL } from "./plan-helpers.ts";

const MODEL = TINY_PUSH_T_MODEL;
const TINY = { imageSize: 16, episodes: 2, budget: 10, population: 8, iterations: 2, elites: 2 };

test("P2 episodes: seeded, the goal 25 data-policy steps after the start", () => {
  const a = sampleP2Episode(7, { size: 16 });
  const b = sampleP2Episode(7, { size: 16 });
  assert.deepEqual(a, b);
  assert.notDeepEqual(a.goal, sampleP2Episode(8, { size: 16 }).goal);
  assert.notDeepEqual(Array.from(a.start), Array.from(a.goal));
  assert.equal(a.goalObservation.length, 3 * 16 * 16);
});

test("P2 plans pusher moves: targets are running sums from the pusher, inside the arena", () => {
  const moves = Float32Array.of(10, -5, 10, -5, 25, 25, /* row 2 */ -20, 0, -20, 0, -20, 0);
  const t = movesToTargets(moves, [30, 500], 3);
  assert.deepEqual(Array.from(t), [40, 495, 50, 490, 75, 512, 10, 500, 0, 500, 0, 500]);
});

test("P2 with a tiny latent world: P1's report shape, deterministic for a seed", async () => {
  const params = initWorldModel(keyFromSeed(0), MODEL) as unknown as Tree<HostTensor>;
  const latent = await compileLatentWorld(params, MODEL, {
    population: 8,
    horizon: 5,
    backend: nodeBackend(),
  });
  const world = latentP2World(latent, { actionScale: 1 / 512 });
  const a = await evaluateP2(world, TINY, { protocol: "p2-push-t-tiny" });
  const b = await evaluateP2(world, TINY, { protocol: "p2-push-t-tiny" });
  await latent.release();
  assert.equal(a.protocol, "p2-push-t-tiny");
  assert.equal(a.settings.population, 8);
  assert.equal(a.settings.horizon, 5);
  assert.deepEqual(a.seeds, [0, 1]);
  for (const [k, v] of Object.entries(a.metrics)) assert.ok(Number.isFinite(v), k);
  assert.ok(a.metrics.success >= 0 && a.metrics.success <= 1);
  assert.equal(a.ci95.success.length, 2);
  assert.equal(a.episodes.length, 2);
  for (const e of a.episodes) {
    assert.equal(e.path.length, e.steps);
    assert.ok(e.steps <= 10);
  }
  assert.deepEqual(
    a.episodes.map((e) => e.final),
    b.episodes.map((e) => e.final),
  );
});

test("P2 with the true physics as cost reaches easy goals that a blind cost misses", async () => {
  const easy = {
    episodes: 6,
    goalSteps: 15,
    startStep: 15,
    budget: 20,
    population: 24,
    iterations: 3,
    elites: 4,
    imageSize: 16,
  };
  const blind: P2World = { costFor: async (_c, _g, h) => async (t) => new Float32Array(t.length / (2 * h)) };
  const oracle = await evaluateP2(oracleP2World(), easy);
  const none = await evaluateP2(blind, easy);
  const hard = oracle.episodes.filter((e) => !e.trivial).length;
  assert.ok(hard >= 4, `only ${hard} of 6 episodes need the block moved`);
  assert.equal(oracle.metrics.success, 1, `oracle reached ${oracle.metrics.success * 6} of 6`);
  assert.ok(none.metrics.success <= 0.5, `a blind cost reached ${none.metrics.success * 6} of 6`);
});

test("jepa eval --protocol p2-push-t: a report from a push-t run folder; a two-rooms model is refused", async (t) => {
  const dir = mkdtempSync(join(tmpdir(), "jepa-p2-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const pushT = saveUntrainedRun(dir, "push-t", "push-t", MODEL);
  const rooms = saveUntrainedRun(dir, "rooms", "two-rooms", { ...MODEL, observation: [2, 16, 16] });
  const out = join(dir, "out");
  assert.equal(
    await evalCommand.run(["--protocol", "p2-push-t", "--quick", "--model", pushT, "--out", out]),
    0,
  );
  const report = JSON.parse(readFileSync(join(out, "report.json"), "utf8"));
  assert.equal(report.protocol, "p2-push-t-quick");
  assert.equal(report.settings.imageSize, 16);
  assert.equal(report.episodes.length, report.settings.episodes);
  assert.equal(report.ci95.success.length, 2);
  assert.equal(report.model.preset, "push-t");
  assert.ok(!("goalObservation" in report.episodes[0]), "frames stay out of report.json");
  await assert.rejects(
    evalCommand.run(["--protocol", "p2-push-t", "--model", rooms, "--out", out]),
    /was trained on two-rooms; planning here needs a push-t model/,
  );
  await assert.rejects(evalCommand.run(["--protocol", "p2-push-t", "--out", out]), /pass --model DIR/);
});
