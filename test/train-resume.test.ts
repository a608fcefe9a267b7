// `jepa train` end to end: a run SIGKILLed at seeded random points (between steps or in the
// middle of writing a checkpoint) and resumed each time ends with the same parameter bytes as
// an uninterrupted run; an existing run folder is never overwritten without --resume.
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { checkpointName, listCheckpoints } from "../src/train/node.ts";
import { jepa, seededRandom, startJepa, tempDir, tinyConfig } from "./train-helpers.ts";

const STEPS = 16;

function finalBytes(out: string): { params: Buffer; optimizer: Buffer } {
  const dir = join(out, "checkpoints", checkpointName(STEPS));
  return {
    params: readFileSync(join(dir, "params.safetensors")),
    optimizer: readFileSync(join(dir, "optimizer.safetensors")),
  };
}

test("a run SIGKILLed 3 times and resumed ends byte-identical to an uninterrupted run", async () => {
  const dir = tempDir("resume");
  const config = join(dir, "tiny.json");
  writeFileSync(config, JSON.stringify(tinyConfig()));
  const args = (out: string) => [
    "train",
    "--config",
    config,
    "--out",
    out,
    "--checkpoint-every",
    "1",
    "--log-every",
    "1",
  ];

  const straight = join(dir, "straight");
  const r = jepa(args(straight));
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(listCheckpoints(join(straight, "checkpoints")), [STEPS - 2, STEPS - 1, STEPS]);

  const killed = join(dir, "killed");
  const random = seededRandom(4);
  const kills: number[] = [];
  for (let k = 0; k < 3; k++) {
    const { exited, kill } = startJepa([...args(killed), "--resume"]);
    let done = false;
    void exited.then(() => {
      done = true;
    });
    // Wait for a few more checkpoints than before, then kill after a random delay (ms), which
    // lands between steps or inside a checkpoint write.
    const target = (listCheckpoints(join(killed, "checkpoints")).at(-1) ?? 0) + 1 + Math.floor(random() * 4);
    while (!done && (listCheckpoints(join(killed, "checkpoints")).at(-1) ?? 0) < target) await sleep(5);
    await sleep(random() * 40);
    if (!done) kill("SIGKILL");
    await exited;
    kills.push(listCheckpoints(join(killed, "checkpoints")).at(-1) ?? 0);
  }
  assert.ok(kills.at(-1)! < STEPS, `the kills should land before the end, got checkpoints ${kills}`);
  const resumed = jepa([...args(killed), "--resume"]);
  assert.equal(resumed.status, 0, resumed.stderr);
  const a = finalBytes(straight);
  const b = finalBytes(killed);
  assert.ok(a.params.equals(b.params), `params differ after kills at checkpoints ${kills}`);
  assert.ok(a.optimizer.equals(b.optimizer), `optimizer state differs after kills at checkpoints ${kills}`);
  // metrics.jsonl has every logged step once, in order.
  const steps = readFileSync(join(killed, "metrics.jsonl"), "utf8")
    .trim()
    .split("\n")
    .map((l) => JSON.parse(l).step);
  assert.deepEqual(
    steps,
    Array.from({ length: STEPS }, (_, i) => i + 1),
  );
});

test("jepa train refuses an out dir that holds checkpoints unless --resume is given", () => {
  const dir = tempDir("refuse");
  const config = join(dir, "tiny.json");
  const cfg = tinyConfig();
  cfg.train.steps = 3;
  writeFileSync(config, JSON.stringify(cfg));
  const out = join(dir, "run");
  assert.equal(jepa(["train", "--config", config, "--out", out]).status, 0);
  const before = readFileSync(join(out, "checkpoints", checkpointName(3), "params.safetensors"));
  const again = jepa(["train", "--config", config, "--out", out]);
  assert.equal(again.status, 2);
  const lines = again.stderr.trim().split("\n");
  assert.equal(lines.length, 1, again.stderr);
  assert.match(lines[0], /already holds a run .*--resume/);
  assert.ok(before.equals(readFileSync(join(out, "checkpoints", checkpointName(3), "params.safetensors"))));
  // With --resume and a finished run there is nothing to do.
  const resumed = jepa(["train", "--config", config, "--out", out, "--resume"]);
  assert.equal(resumed.status, 0, resumed.stderr);
  assert.match(resumed.stdout, /already trained to step 3/);
  // A bad config is one line naming the field, before anything is written.
  writeFileSync(config, JSON.stringify({ ...cfg, train: { ...cfg.train, batch: 1 } }));
  const bad = jepa(["train", "--config", config, "--out", join(dir, "never")]);
  assert.equal(bad.status, 2);
  assert.equal(bad.stderr.trim().split("\n").length, 1, bad.stderr);
  assert.match(bad.stderr, /config\.train\.batch: expected a number >= 2, got 1/);
});
