// `jepa eval --protocol p4-stress --reference generative` end to end at a tiny size: the
// pixel-reconstruction baseline of P6 is trained on the model's data, stressed on the same
// episodes, and the model's failures are reported relative to it; a misused flag is refused.
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { command as evalCommand } from "../src/cli/eval.ts";
import { saveUntrainedRun, TINY_TWO_ROOMS_MODEL } from "./plan-helpers.ts";

const MODEL = TINY_TWO_ROOMS_MODEL;

async function quiet<T>(fn: () => Promise<T>): Promise<T> {
  const log = console.log;
  const err = process.stderr.write;
  console.log = () => {};
  process.stderr.write = (() => true) as typeof process.stderr.write;
  try {
    return await fn();
  } finally {
    console.log = log;
    process.stderr.write = err;
  }
}

test("p4-stress --reference generative: the reference's report beside the model's, failures relative to it", async (t) => {
  const dir = mkdtempSync(join(tmpdir(), "jepa-p4ref-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const run = saveUntrainedRun(dir, "two-rooms", "two-rooms", MODEL);
  const out = join(dir, "out");
  const argv = ["--protocol", "p4-stress", "--quick", "--model", run, "--episodes", "1", "--out", out];
  const code = await quiet(() => evalCommand.run([...argv, "--reference", "generative", "--steps", "3"]));
  assert.equal(code, 0);
  const report = JSON.parse(readFileSync(join(out, "report.json"), "utf8"));
  assert.equal(report.protocol, "p4-stress-quick");
  assert.equal(report.reference.kind, "generative");
  assert.equal(report.reference.trainSteps, 3);
  assert.ok(Number.isFinite(report.reference.finalLoss));
  // Both models ran the same episodes: one outcome per cell each, and the relative numbers
  // follow from the two reports' failures.
  assert.equal(report.reference.cells.length, report.cells.length);
  assert.equal(report.reference.clean.length, report.clean.length);
  const failures = (cells: { successPerturbed: number }[]) =>
    cells.reduce((a, c) => a + 1 - c.successPerturbed, 0) / cells.length;
  const refMcf = failures(report.reference.cells);
  assert.ok(Math.abs(report.metrics.reference_mean_corruption_failure - refMcf) < 1e-12);
  assert.ok(Math.abs(report.reference.metrics.mean_corruption_failure - refMcf) < 1e-12);
  if (refMcf > 0) {
    const mcf = failures(report.cells);
    assert.ok(Math.abs(report.metrics.relative_mean_corruption_failure - mcf / refMcf) < 1e-12);
  }
});

test("--reference is refused with a one-line fix outside p4-stress or with an unknown model", async () => {
  const base = ["--out", join(tmpdir(), "never-written")];
  await assert.rejects(
    evalCommand.run(["--protocol", "p1-two-rooms", "--reference", "generative", ...base]),
    /--reference is for p4-stress only; drop it for p1-two-rooms/,
  );
  await assert.rejects(
    evalCommand.run(["--protocol", "p4-stress", "--reference", "dino", ...base]),
    /--reference "dino" is not a reference model; use --reference generative/,
  );
});
