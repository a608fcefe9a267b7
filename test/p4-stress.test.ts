// P4 end to end at a tiny size: an untrained world model (P4 measures the model it is given;
// training is not the point here) runs the paired clean / perturbed episodes and produces a
// complete table. The clean run is P1's: same episodes, same planner, same outcomes.
import assert from "node:assert/strict";
import { test } from "node:test";
import { keyFromSeed } from "../src/engine/index.ts";
import { nodeBackend } from "../src/engine/node.ts";
import { PERTURBATIONS } from "../src/envs/index.ts";
import {
  compileLatentWorld,
  evaluateP1,
  evaluateP4,
  P4_DEFAULTS,
  P4_QUICK,
  p4Table,
  runStressEpisode,
} from "../src/eval/index.ts";
import { initWorldModel } from "../src/world/index.ts";
import { TINY_TWO_ROOMS_MODEL } from "./plan-helpers.ts";

const MODEL = TINY_TWO_ROOMS_MODEL;
const TINY = {
  ...P4_QUICK,
  imageSize: 32,
  episodes: 3,
  budget: 20,
  horizon: 5,
  population: 8,
  iterations: 2,
  elites: 2,
  executeSteps: 5,
  sensitivityFrames: 6,
  bootstrapResamples: 200,
};

async function tinyWorld(seed: number) {
  const params = initWorldModel(keyFromSeed(seed), MODEL);
  return compileLatentWorld(params as never, MODEL, {
    population: TINY.population,
    horizon: TINY.horizon,
    backend: nodeBackend(),
  });
}

test("P4 clean episodes are P1's episodes (same outcomes and distances)", async () => {
  const world = await tinyWorld(0);
  const p1 = await evaluateP1(world, TINY);
  for (let e = 0; e < TINY.episodes; e++) {
    const out = await runStressEpisode(world, { ...P4_DEFAULTS, ...TINY }, e);
    assert.equal(out.success, p1.episodes[e].success);
    assert.equal(out.finalDistance, p1.episodes[e].finalDistance);
    assert.equal(out.steps, p1.episodes[e].steps);
  }
  await world.release();
});

test("P4 tiny: a complete table for every perturbation and severity, with a reference model", async () => {
  const world = await tinyWorld(0);
  const reference = await tinyWorld(1);
  const settings = { ...TINY, severities: [1, 5] };
  const ref = await evaluateP4(reference, settings, { protocol: "p4-stress-tiny" });
  const report = await evaluateP4(world, settings, { protocol: "p4-stress-tiny", reference: ref });
  assert.equal(report.protocol, "p4-stress-tiny");
  assert.equal(report.cells.length, PERTURBATIONS.length * 2);
  assert.deepEqual(report.seeds, [0, 1, 2]);
  for (const kind of PERTURBATIONS) {
    for (const sev of [1, 5]) {
      const name = `${kind}/s${sev}`;
      for (const m of ["success", "difference", "mcnemar_p", "sensitivity"])
        assert.ok(Number.isFinite(report.metrics[`${name}/${m}`]), `${name}/${m}`);
      assert.equal(report.ci95[`${name}/difference`].length, 2);
      // At severity 5 every perturbation moves the embedding (an untrained encoder is still a
      // function of pixels); at severity 1 a 32 px blur can round back to the same bytes.
      if (sev === 5) assert.ok(report.metrics[`${name}/sensitivity`] > 0, `${name} sensitivity`);
    }
  }
  // Pixel noise at severity 5 moves embeddings more than at severity 1.
  assert.ok(
    report.metrics["gaussian-noise/s5/sensitivity"] > report.metrics["gaussian-noise/s1/sensitivity"],
  );
  assert.ok(report.metrics.mean_corruption_failure >= 0 && report.metrics.mean_corruption_failure <= 1);
  assert.ok(Number.isFinite(report.metrics.reference_mean_corruption_failure));
  if (ref.metrics.mean_corruption_failure > 0)
    assert.ok(Number.isFinite(report.metrics.relative_mean_corruption_failure));
  // Same seed, same report.
  const again = await evaluateP4(world, settings, { protocol: "p4-stress-tiny", reference: ref });
  assert.deepEqual(again.metrics, report.metrics);
  assert.match(p4Table(report), /\| agent-size \| 5 \|/);
  await world.release();
  await reference.release();
});
