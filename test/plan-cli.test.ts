// `jepa plan` end to end at a tiny size: push-t episodes planned with CEM from a push-t run
// folder write report.json with one entry per episode (frames left out) and print success
// with its 95% interval; an unknown env lists the valid ones, a planner push-t cannot use
// names the fix, and a model trained on the other env is refused.
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { command as planCommand } from "../src/cli/plan.ts";
import { saveUntrainedRun, TINY_PUSH_T_MODEL } from "./plan-helpers.ts";

const MODEL = TINY_PUSH_T_MODEL;

/** Runs `jepa plan` with console.log captured; returns its exit code and printed lines. */
async function plan(argv: string[]) {
  const lines: string[] = [];
  const log = console.log;
  console.log = (...a: unknown[]) => void lines.push(a.join(" "));
  try {
    return { code: await planCommand.run(argv), out: lines.join("\n") };
  } finally {
    console.log = log;
  }
}

test("jepa plan --env push-t: report.json with every episode, success with its 95% CI", async (t) => {
  const dir = mkdtempSync(join(tmpdir(), "jepa-plan-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const run = saveUntrainedRun(dir, "push-t", "push-t", MODEL);
  const out = join(dir, "out");
  const args = ["--model", run, "--env", "push-t", "--episodes", "2", "--seed", "3", "--out", out];
  const { code, out: printed } = await plan([...args, "--planner", "cem"]);
  assert.equal(code, 0);
  assert.match(printed, /^success \d+\.\d% \(95% CI \d+\.\d-\d+\.\d%\), mean final block error /);
  assert.match(printed, /wrote .*report\.json/);
  const report = JSON.parse(readFileSync(join(out, "report.json"), "utf8"));
  assert.equal(report.protocol, "plan-push-t-cem");
  assert.equal(report.settings.planner, "cem");
  assert.equal(report.settings.episodes, 2);
  assert.equal(report.settings.seed, 3);
  assert.equal(report.settings.imageSize, 16, "episodes render at the model's input size");
  assert.deepEqual(report.seeds, [300_000, 300_001]);
  assert.deepEqual(report.model, { checkpoint: report.model.checkpoint, step: 2, preset: "push-t" });
  for (const k of ["success", "mean_position_error", "mean_angle_error", "mean_steps", "trivial"])
    assert.ok(Number.isFinite(report.metrics[k]), k);
  assert.equal(report.ci95.success.length, 2);
  assert.ok(
    report.ci95.success[0] <= report.metrics.success && report.metrics.success <= report.ci95.success[1],
  );
  assert.equal(report.episodes.length, 2);
  for (const e of report.episodes) {
    assert.equal(typeof e.success, "boolean");
    assert.equal(typeof e.trivial, "boolean");
    // mpc counts a whole executed chunk, so an episode that succeeds mid-chunk has a
    // shorter path than its steps.
    assert.equal(e.path.length, e.steps);
    assert.ok(e.path.length >= 1);
    assert.ok(e.steps >= 1 && e.steps <= report.settings.budget);
    assert.equal(e.final.length, e.goal.length);
    for (const row of e.path) assert.equal(row.length, 5, "[agentX, agentY, blockX, blockY, blockAngle]");
    assert.ok(!("goalObservation" in e) && !("finalObservation" in e), "frames stay out of report.json");
  }
  // The default planner is cem; the same seed plans the same episodes.
  await plan(args);
  const again = JSON.parse(readFileSync(join(out, "report.json"), "utf8"));
  assert.deepEqual(
    again.episodes.map((e: { final: number[] }) => e.final),
    report.episodes.map((e: { final: number[] }) => e.final),
  );
});

test("jepa plan: a bad --env lists the valid ones; push-t's unsupported planners and wrong models name the fix", async (t) => {
  const dir = mkdtempSync(join(tmpdir(), "jepa-plan-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const rooms = saveUntrainedRun(dir, "rooms", "two-rooms", { ...MODEL, observation: [2, 16, 16] });
  const out = join(dir, "out");
  await assert.rejects(
    planCommand.run(["--model", rooms, "--env", "pong", "--out", out]),
    (err: Error) =>
      err.name === "UsageError" && err.message === "--env pong: choose one of two-rooms, push-t",
  );
  for (const planner of ["icem", "mppi", "gd"])
    await assert.rejects(
      planCommand.run(["--model", rooms, "--env", "push-t", "--planner", planner, "--out", out]),
      new RegExp(`^UsageError: --planner ${planner}: push-t plans with cem only .*; use --planner cem$`),
    );
  await assert.rejects(
    planCommand.run(["--model", rooms, "--env", "push-t", "--out", out]),
    /was trained on two-rooms; planning here needs a push-t model/,
  );
  await assert.rejects(planCommand.run(["--env", "push-t", "--out", out]), /pass --model DIR/);
});
