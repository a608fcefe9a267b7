// `jepa eval`: runs one protocol of PROTOCOLS.md and writes report.json. Protocols are entries
// of PROTOCOLS below; one without a runner yet is listed and refused with a one-line error.
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { nodeBackend } from "../engine/node.ts";
import { evaluateP3, type P3Settings } from "../eval/index.ts";
import { train } from "../train/node.ts";
import { type Command, UsageError } from "./command.ts";
import { progress } from "./progress.ts";

/** What every protocol runner gets from the command line. */
interface EvalArgs {
  quick: boolean;
  seeds?: number;
  steps?: number;
  model?: string;
}

/** A runner returns report.json's object (protocol, settings, seeds, metrics, ci95, ...). */
type Runner = (args: EvalArgs) => Promise<{ protocol: string; metrics: Record<string, number> }>;

/** P3 reduced for 2 CPU cores: a 64 x3 encoder, batch 128, 3 000 steps, 2 000 held-out points. */
const P3_QUICK: Partial<P3Settings> = { hidden: 64, depth: 3, batch: 128, steps: 3000, evalPoints: 2000 };

async function runP3(args: EvalArgs) {
  const settings: Partial<P3Settings> = args.quick ? { ...P3_QUICK } : {};
  if (args.steps !== undefined) settings.steps = args.steps;
  const seeds = Array.from({ length: args.seeds ?? 3 }, (_, i) => i);
  const steps = settings.steps ?? 20_000;
  const bar = progress("p3-identifiability", steps * seeds.length, { unit: "steps" });
  const report = await evaluateP3(settings, {
    backend: nodeBackend(),
    train,
    seeds,
    protocol: args.quick ? "p3-identifiability-quick" : "p3-identifiability",
    onLog: (seed, r) =>
      bar.update(
        seeds.indexOf(seed) * steps + r.step,
        `seed ${seed} loss ${r.loss.toFixed(4)}${r.warning ? ` | ${r.warning}` : ""}`,
      ),
  });
  bar.finish();
  return report;
}

const PROTOCOLS: Record<string, Runner | undefined> = {
  "p1-two-rooms": undefined,
  "p2-push-t": undefined,
  "p3-identifiability": runP3,
  "p4-stress": undefined,
  "p5-video": undefined,
  "p6-jepa-vs-generative": undefined,
};

const usage = `usage: jepa eval --protocol NAME --out DIR [--quick] [--seeds N] [--steps N] [--model DIR]

Runs an evaluation protocol of PROTOCOLS.md and writes DIR/report.json with top-level
protocol, settings, seeds, metrics (name -> number) and ci95 (name -> [low, high]).
Protocols: ${Object.keys(PROTOCOLS).join(", ")}.
  --quick     reduced settings for 2 CPU cores (the report's protocol name ends in -quick)
  --seeds N   number of seeds 0..N-1 (default 3)
  --steps N   training steps per seed (overrides the protocol's or --quick's)`;

function positiveInteger(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const v = Number(value);
  if (!Number.isInteger(v) || v < 1)
    throw new UsageError(`--${name} must be an integer >= 1, got "${value}"`);
  return v;
}

export const command: Command = {
  name: "eval",
  summary: "run an evaluation protocol (P1-P6) and write report.json",
  usage,
  async run(argv) {
    let values: Record<string, string | boolean | undefined>;
    try {
      values = parseArgs({
        args: argv,
        strict: true,
        options: {
          protocol: { type: "string" },
          out: { type: "string" },
          quick: { type: "boolean" },
          seeds: { type: "string" },
          steps: { type: "string" },
          model: { type: "string" },
        },
      }).values;
    } catch (err) {
      throw new UsageError(`${(err as Error).message}; see "jepa help eval"`);
    }
    const name = values.protocol as string | undefined;
    const out = values.out as string | undefined;
    if (!name) throw new UsageError(`missing --protocol NAME; one of ${Object.keys(PROTOCOLS).join(", ")}`);
    if (!(name in PROTOCOLS))
      throw new UsageError(`unknown protocol "${name}"; one of ${Object.keys(PROTOCOLS).join(", ")}`);
    const runner = PROTOCOLS[name];
    if (!runner) throw new UsageError(`protocol "${name}" is not implemented in jepa eval yet`);
    if (!out) throw new UsageError(`missing --out DIR; see "jepa help eval"`);
    const report = await runner({
      quick: Boolean(values.quick),
      seeds: positiveInteger("seeds", values.seeds as string | undefined),
      steps: positiveInteger("steps", values.steps as string | undefined),
      model: values.model as string | undefined,
    });
    mkdirSync(out, { recursive: true });
    writeFileSync(join(out, "report.json"), `${JSON.stringify(report, null, 2)}\n`);
    const summary = Object.entries(report.metrics)
      .map(([k, v]) => `${k} ${v.toFixed(4)}`)
      .join(", ");
    console.log(`${report.protocol}: ${summary}\nwrote ${join(out, "report.json")}`);
    return 0;
  },
};
