// The benchmark suite: each workload of ../shared/reference/workloads.py implemented with
// jepa-ts, alternated with the PyTorch reference in the same run when Debian's PyTorch is
// present. Prints a table, or one JSON line per workload with --json.
//   npm run bench -- [--only a,b] [--reps N] [--rounds R] [--json]
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { median, timed, type Workload } from "./timing.ts";
import { cemPlan, cemPlanMatmulFloor, cemPlanUnfused } from "./workloads/cem-plan.ts";
import { collectTwoRooms } from "./workloads/collect-two-rooms.ts";
import { predictorBatch } from "./workloads/predictor-batch.ts";
import { sigregStep } from "./workloads/sigreg-step.ts";
import { vitStep } from "./workloads/vit-step.ts";
import { worldModelStep } from "./workloads/world-model-step.ts";

const WORKLOADS: Workload[] = [
  collectTwoRooms,
  vitStep,
  predictorBatch,
  worldModelStep,
  sigregStep(false),
  sigregStep(true),
  cemPlan,
  cemPlanUnfused,
  cemPlanMatmulFloor,
];

const { values } = parseArgs({
  options: {
    only: { type: "string", default: "" },
    reps: { type: "string", default: "8" },
    rounds: { type: "string", default: "3" },
    json: { type: "boolean", default: false },
    "no-torch": { type: "boolean", default: false },
  },
});
const reps = Number(values.reps);
const rounds = Number(values.rounds);
const only = values.only ? values.only.split(",") : [];
const unknown = only.filter((n) => !WORKLOADS.some((w) => w.name === n));
if (unknown.length) {
  console.error(
    `bench: unknown workload ${unknown.join(", ")}; choose from ${WORKLOADS.map((w) => w.name).join(", ")}${
      unknown.some((n) => n.startsWith("web")) ? " (the browser benchmark is npm run bench:web)" : ""
    }`,
  );
  process.exit(2);
}
const selected = WORKLOADS.filter((w) => only.length === 0 || only.includes(w.name));

const referenceScript = join(process.cwd(), "..", "shared", "reference", "workloads.py");
const python = "/usr/bin/python3";
function torchAvailable(): boolean {
  if (values["no-torch"] || !existsSync(referenceScript) || !existsSync(python)) return false;
  return spawnSync(python, ["-c", "import torch"], { stdio: "ignore" }).status === 0;
}
const haveTorch = torchAvailable();

/** One block of the PyTorch reference: its median over `n` reps (null if the name is not a reference workload). */
function torchBlock(name: string, n: number): number | null {
  const r = spawnSync(python, [referenceScript, "--only", name, "--reps", String(n)], {
    encoding: "utf8",
    env: process.env,
  });
  if (r.status !== 0) {
    if (/KeyError/.test(r.stderr)) return null;
    throw new Error(`PyTorch reference failed for ${name}: ${r.stderr.trim().split("\n").pop()}`);
  }
  return JSON.parse(r.stdout.trim().split("\n").pop()!).ms_median;
}

const results = [];
for (const w of selected) {
  const { run, release } = await w.setup();
  const ours: number[] = [];
  const theirs: number[] = [];
  const referenceName = w.referenceName ?? w.name.replace(/_recurrence$/, "");
  for (let r = 0; r < rounds; r++) {
    // Alternate the two in the same process tree, so drift on a shared machine hits both.
    if (haveTorch && w.reference !== false) {
      const t = torchBlock(referenceName, reps);
      if (t !== null) theirs.push(t);
    }
    const block = await timed(run, w.fixedReps ?? reps * (w.repsScale ?? 1), w.fixedReps ? 1 : 2);
    ours.push(...block.samples);
  }
  await release();
  const jepa = median(ours);
  const torch = theirs.length ? median(theirs) : null;
  const row = {
    workload: w.name,
    jepa_ms: Number(jepa.toFixed(3)),
    torch_ms: torch === null ? null : Number(torch.toFixed(3)),
    ratio: torch === null ? null : Number((torch / jepa).toFixed(3)),
    jepa_min_ms: Number(Math.min(...ours).toFixed(3)),
    jepa_max_ms: Number(Math.max(...ours).toFixed(3)),
    torch_block_medians_ms: theirs.map((v) => Number(v.toFixed(3))),
    reps: ours.length,
    ...(w.units ? { [`${w.units.name}_per_second`]: Math.round(w.units.perRun / (jepa / 1000)) } : {}),
  };
  results.push(row);
  if (values.json) console.log(JSON.stringify(row));
  else {
    const ratio = row.ratio === null ? "   n/a" : row.ratio.toFixed(2).padStart(6);
    const spread = `[${row.jepa_min_ms.toFixed(2)}, ${row.jepa_max_ms.toFixed(2)}]`;
    console.log(
      `${w.name.padEnd(22)} jepa ${jepa.toFixed(2).padStart(9)} ms ${spread.padEnd(20)} torch ${torch === null ? "     n/a" : `${torch.toFixed(2).padStart(8)} ms`}  ratio ${ratio}${w.units ? `  (${Math.round(w.units.perRun / (jepa / 1000))} ${w.units.name}/s)` : ""}`,
    );
  }
}
if (!values.json && !haveTorch)
  console.log("(PyTorch not found: install it as ../shared/reference/README.md says to get ratios)");
