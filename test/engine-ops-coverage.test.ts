// Every registered op has a test case: a new op fails this test until cases for it are added
// to one of the engine-op-cases-*.ts lists.
import assert from "node:assert/strict";
import { test } from "node:test";
import { registeredOps } from "../src/engine/index.ts";
import { elementwiseCases } from "./engine-op-cases-elementwise.ts";
import { nnCases } from "./engine-op-cases-nn.ts";
import { shapeCases } from "./engine-op-cases-shape.ts";
import { opsInGraph } from "./engine-op-harness.ts";

const cases = [...elementwiseCases, ...shapeCases, ...nnCases];

test("every registered op is declared by some case", () => {
  const covered = new Set(cases.flatMap((c) => c.ops));
  const missing = registeredOps().filter((op) => !covered.has(op));
  assert.deepEqual(
    missing,
    [],
    `ops without a test case: ${missing.join(", ")}; add cases in test/engine-op-cases-*.ts`,
  );
});

test("each case's graph contains the ops it declares", () => {
  for (const c of cases) {
    const seen = opsInGraph(c);
    for (const op of c.ops)
      assert.ok(seen.has(op), `case "${c.name}" declares ${op} but its graph has no ${op} node`);
  }
});

test("case names are unique (each is one test)", () => {
  const names = cases.map((c) => c.name);
  assert.equal(new Set(names).size, names.length);
});
