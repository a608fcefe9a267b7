// Gradient planning with a world model at a tiny size: the compiled rollout gradient lowers
// the latent cost, P1 episodes planned with it are deterministic for a seed, `jepa plan`'s
// path plans with it from a run folder, and a cost without a gradient is refused.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { planTwoRooms } from "../src/cli/planning.ts";
import { keyFromSeed } from "../src/engine/index.ts";
import { nodeBackend } from "../src/engine/node.ts";
import { sampleEvalEpisode } from "../src/envs/index.ts";
import { compileGradLatentWorld, evaluateP1, gradientBoundPlanner } from "../src/eval/index.ts";
import { initWorldModel } from "../src/world/index.ts";
import { saveUntrainedRun, TINY_TWO_ROOMS_MODEL } from "./plan-helpers.ts";

const MODEL = TINY_TWO_ROOMS_MODEL;
const TINY = {
  imageSize: 32,
  episodes: 2,
  budget: 10,
  horizon: 5,
  population: 4,
  iterations: 4,
  executeSteps: 5,
};

const tinyWorld = () =>
  compileGradLatentWorld(initWorldModel(keyFromSeed(0), MODEL) as never, MODEL, {
    population: TINY.population,
    horizon: TINY.horizon,
    backend: nodeBackend(),
  });

test("gd: Adam through the compiled rollout lowers the latent cost of the plan", async () => {
  const world = await tinyWorld();
  const ep = sampleEvalEpisode(3, { size: 32 });
  const cost = world.costFor(await world.embed(ep.startObservation), await world.embed(ep.goalObservation));
  const scale = 32 / 65;
  const plan = await gradientBoundPlanner({
    horizon: TINY.horizon,
    actionDim: 2,
    population: TINY.population,
    iterations: 20,
    learningRate: 0.3 * scale,
    initStd: 1.5 * scale,
    low: -2.45 * scale,
    high: 2.45 * scale,
  })(keyFromSeed(1), cost);
  const first = plan.iterations[0].best;
  assert.ok(plan.cost < 0.9 * first, `cost ${plan.cost} not below 0.9 x the first iterate's ${first}`);
  // The forward cost and the gradient graph's cost agree on the returned plan.
  const again = await cost(
    new Float32Array(TINY.population * plan.actions.length)
      .fill(0)
      .map((_, j) => plan.actions[j % plan.actions.length]),
  );
  assert.ok(Math.abs(again[0] - plan.cost) <= 1e-4 * (1 + plan.cost), `${again[0]} vs ${plan.cost}`);
  await world.release();
});

test("gd: P1 episodes with the gradient planner are deterministic for a seed", async () => {
  const world = await tinyWorld();
  const a = await evaluateP1(world, { ...TINY, planner: "gd", seed: 0 });
  const b = await evaluateP1(world, { ...TINY, planner: "gd", seed: 0 });
  const c = await evaluateP1(world, { ...TINY, planner: "gd", seed: 1 });
  assert.equal(a.settings.planner, "gd");
  assert.equal(a.settings.cost, "final");
  assert.equal(a.protocol, "p1-two-rooms");
  assert.deepEqual(a.seeds, [0, 1]);
  assert.equal(a.episodes.length, 2);
  assert.equal(a.ci95.success.length, 2);
  for (const e of a.episodes) assert.equal(e.path.length, e.steps);
  assert.deepEqual(
    a.episodes.map((e) => e.path),
    b.episodes.map((e) => e.path),
  );
  assert.notDeepEqual(
    a.episodes.map((e) => e.path),
    c.episodes.map((e) => e.path),
  );
  await world.release();
});

test("gd: a cost without a gradient is refused, naming the fix", async () => {
  const planner = gradientBoundPlanner({
    horizon: 2,
    actionDim: 2,
    population: 2,
    iterations: 1,
    learningRate: 0.1,
    initStd: 1,
  });
  await assert.rejects(
    planner(keyFromSeed(0), async () => new Float32Array(2)),
    /^Error: gradient planner: the cost has no gradient; build the world with compileGradLatentWorld/,
  );
});

test("gd: jepa plan's path plans P1 episodes from a run folder with the gradient planner", async (t) => {
  const dir = mkdtempSync(join(tmpdir(), "jepa-gd-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const model = { ...MODEL, observation: [2, 16, 16] as [number, number, number] };
  const run = saveUntrainedRun(dir, "rooms", "two-rooms", model);
  const report = await planTwoRooms(
    run,
    { ...TINY, imageSize: undefined, planner: "gd", episodes: 1 },
    "plan-gd",
  );
  assert.equal(report.protocol, "plan-gd");
  assert.equal(report.settings.planner, "gd");
  assert.equal(report.settings.imageSize, 16, "episodes render at the model's input size");
  assert.equal(report.episodes.length, 1);
  assert.equal(report.episodes[0].steps, 10);
  assert.equal(report.model.step, 2);
});
