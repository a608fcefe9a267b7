// Every example under examples/ runs at its tiny size and passes its own asserted thresholds.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { repoRoot } from "./helpers/fixtures.ts";

const examples = readdirSync(join(repoRoot, "examples")).filter((f) => /^\d\d-.*\.ts$/.test(f));

test("there are examples", () => assert.ok(examples.length > 0));
for (const file of examples) {
  test(`example ${file} runs at its tiny size`, () => {
    const r = spawnSync(process.execPath, ["--import", "tsx", join(repoRoot, "examples", file), "--tiny"], {
      encoding: "utf8",
      timeout: 180_000,
      env: process.env,
    });
    assert.equal(r.status, 0, `${file} failed:\n${r.stdout}\n${r.stderr}`);
  });
}
