// `jepa eval`: runs one protocol of PROTOCOLS.md and writes report.json. Protocols are entries
// of PROTOCOLS below; one without a runner yet is listed and refused with a one-line error.
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { nodeBackend, writeFileAtomic } from "../engine/node.ts";
import {
  evaluateMcJepaProbe,
  evaluateP3,
  evaluateP3Sweep,
  evaluateP4,
  evaluateP5,
  evaluateP6,
  MC_PROBE_DEFAULTS,
  MC_PROBE_QUICK,
  type McJepaProbeSettings,
  type P1Settings,
  P2_QUICK,
  type P2Settings,
  type P3Settings,
  P4_QUICK,
  type P4Report,
  type P4Settings,
  P5_QUICK,
  P3_SWEEP_ALPHAS,
  P3_SWEEP_BASELINES,
  p3SweepTable,
  renderP3SweepHtml,
} from "../eval/index.ts";
import { PRESETS, quickPreset } from "../train/index.ts";
import { train } from "../train/node.ts";
import { optionalInteger, parseOptions } from "./args.ts";
import { type Command, UsageError } from "./command.ts";
import { generativeReferenceWorld, planPushT, planTwoRooms, stressWorld } from "./planning.ts";
import { progress } from "./progress.ts";

/** What every protocol runner gets from the command line. */
interface EvalArgs {
  quick: boolean;
  seeds?: number;
  steps?: number;
  /** p1-two-rooms, p2-push-t: episodes; p4-stress: episodes per cell. */
  episodes?: number;
  model?: string;
  /** p3-alpha-sweep: the whitening and InfoNCE rows' lambda. */
  baselineLambda?: number;
  /** p4-stress: the reference model to normalise by ("generative": P6's pixel baseline). */
  reference?: "generative";
}

/**
 * A runner returns report.json's object (protocol, settings, seeds, metrics, ci95, ...); one
 * with `html` also gets DIR/report.html, and one with `table` prints it (markdown) at the end.
 */
type Runner = (
  args: EvalArgs,
) => Promise<{ protocol: string; metrics: Record<string, number>; html?: string; table?: string }>;

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

/**
 * P3's ablation (issue #5): the P3 run for generalised-normal latents of each alpha in
 * {0.5, 1, 2, 4, 8}, then whitening and InfoNCE in place of SIGReg at alpha = 2; a markdown
 * table on the console, report.html, and the peak (argmax of mean R^2) computed from the rows.
 */
async function runP3Sweep(args: EvalArgs) {
  const settings: Partial<P3Settings> = args.quick ? { ...P3_QUICK } : {};
  if (args.steps !== undefined) settings.steps = args.steps;
  const seeds = Array.from({ length: args.seeds ?? 3 }, (_, i) => i);
  const steps = settings.steps ?? 20_000;
  const rows = P3_SWEEP_ALPHAS.length + P3_SWEEP_BASELINES.length;
  const bar = progress("p3-alpha-sweep", steps * seeds.length * rows, { unit: "steps" });
  let row = 0;
  let label = "";
  const report = await evaluateP3Sweep(settings, {
    backend: nodeBackend(),
    train,
    seeds,
    protocol: args.quick ? "p3-alpha-sweep-quick" : "p3-alpha-sweep",
    baselineLambda: args.baselineLambda,
    onRowStart: (index, _total, name) => {
      row = index;
      label = name;
    },
    onRow: (r) =>
      console.error(
        `[p3-alpha-sweep] ${r.label}: R^2 h->z ${r.metrics.r2_h_to_z.toFixed(3)} [${r.ci95.r2_h_to_z
          .map((v) => v.toFixed(3))
          .join(", ")}], orthogonality ${r.metrics.orthogonality_error.toFixed(3)}`,
      ),
    onLog: (seed, r) =>
      bar.update(
        (row * seeds.length + seeds.indexOf(seed)) * steps + r.step,
        `${label} seed ${seed} loss ${r.loss.toFixed(4)}${r.warning ? ` | ${r.warning}` : ""}`,
      ),
  });
  bar.finish();
  return { ...report, html: renderP3SweepHtml(report), table: p3SweepTable(report) };
}

const P1_QUICK = { episodes: 10, horizon: 20, population: 64, iterations: 5, elites: 8 };

async function runP1(args: EvalArgs) {
  const settings: Partial<P1Settings> = args.quick ? { ...P1_QUICK } : {};
  if (args.episodes !== undefined) settings.episodes = args.episodes;
  return planTwoRooms(args.model, settings, args.quick ? "p1-two-rooms-quick" : "p1-two-rooms");
}

async function runP2(args: EvalArgs) {
  const settings: Partial<P2Settings> = args.quick ? { ...P2_QUICK } : {};
  if (args.episodes !== undefined) settings.episodes = args.episodes;
  return planPushT(args.model, settings, args.quick ? "p2-push-t-quick" : "p2-push-t");
}

async function runP4(args: EvalArgs) {
  const requested: Partial<P4Settings> = args.quick ? { ...P4_QUICK } : {};
  if (args.episodes !== undefined) requested.episodes = args.episodes;
  const protocol = args.quick ? "p4-stress-quick" : "p4-stress";
  // The model plans as "jepa plan" would (its preset's planner settings), cells in lockstep.
  const { world, model, settings, compileOpts } = await stressWorld(args.model, requested);
  const stress = async (w: typeof world, label: string, reference?: P4Report) => {
    let bar: ReturnType<typeof progress> | undefined;
    const report = await evaluateP4(w, settings, {
      protocol,
      reference,
      onEpisode: (done, total, cell) => {
        bar ??= progress(label, total, { unit: "episodes" });
        bar.update(done, cell);
      },
    });
    bar?.finish();
    return report;
  };
  // The reference first (its report is what the model's failures are divided by): the
  // pixel-reconstruction baseline of P6, trained on the same data, planning the same episodes.
  let reference: { report: P4Report; info: object } | undefined;
  if (args.reference === "generative") {
    const ref = await generativeReferenceWorld(model, compileOpts, args.steps);
    const report = await stress(ref.world, "p4-stress reference");
    await ref.world.release();
    reference = { report, info: ref.info };
  }
  const report = await stress(world, "p4-stress", reference?.report);
  await world.release();
  return {
    ...report,
    model: { checkpoint: model.checkpoint, step: model.step, preset: model.preset.name },
    ...(reference && {
      reference: {
        ...reference.info,
        metrics: reference.report.metrics,
        ci95: reference.report.ci95,
        clean: reference.report.clean,
        cells: reference.report.cells,
      },
    }),
  };
}

async function runP5(args: EvalArgs) {
  const settings = args.quick ? { ...P5_QUICK } : {};
  if (args.steps !== undefined) Object.assign(settings, { steps: args.steps });
  const bar = progress("p5-video", 1, { unit: "steps" });
  const report = await evaluateP5(settings, {
    backend: nodeBackend(),
    train,
    protocol: args.quick ? "p5-video-quick" : "p5-video",
    onLog: (r) => bar.update(r.step, `loss ${r.loss.toFixed(4)}`),
  });
  bar.finish();
  return report;
}

async function runP6(args: EvalArgs) {
  const base = args.quick ? quickPreset(PRESETS["two-rooms-vicreg"]) : PRESETS["two-rooms-vicreg"];
  const preset = args.steps === undefined ? base : { ...base, train: { ...base.train, steps: args.steps } };
  const p1: Partial<P1Settings> = args.quick
    ? { episodes: 4, horizon: 10, population: 32, iterations: 3, elites: 4 }
    : {};
  if (args.episodes !== undefined) p1.episodes = args.episodes;
  const settings = { p1 };
  return evaluateP6(preset, settings, {
    backend: nodeBackend(),
    train,
    protocol: args.quick ? "p6-jepa-vs-generative-quick" : "p6-jepa-vs-generative",
    onProgress: (label) => console.error(`[p6] ${label}`),
  });
}

/** MC-JEPA on bouncing sprites (issue #8): flow end-point error and a shape probe with its baselines. */
async function runMcJepa(args: EvalArgs) {
  const settings: Partial<McJepaProbeSettings> = args.quick ? { ...MC_PROBE_QUICK } : {};
  if (args.steps !== undefined) settings.steps = args.steps;
  const seeds = Array.from({ length: args.seeds ?? 1 }, (_, i) => i);
  const protocol = args.quick ? "mc-jepa-sprites-quick" : "mc-jepa-sprites";
  const reports = [];
  for (const seed of seeds) {
    const bar = progress(`mc-jepa seed ${seed}`, settings.steps ?? MC_PROBE_DEFAULTS.steps, {
      unit: "steps",
    });
    const r = await evaluateMcJepaProbe(
      { ...settings, seed },
      {
        backend: nodeBackend(),
        protocol,
        onStep: (step, loss) => bar.update(step, `loss ${loss.toFixed(4)}`),
      },
    );
    bar.finish();
    reports.push(r);
  }
  if (reports.length === 1) return reports[0];
  // Several seeds: metrics are means over seeds; each seed's report is kept whole.
  const metrics: Record<string, number> = {};
  for (const k of Object.keys(reports[0].metrics))
    metrics[k] = reports.reduce((a, r) => a + r.metrics[k], 0) / reports.length;
  return { protocol, settings: reports[0].settings, seeds, metrics, perSeed: reports };
}

const PROTOCOLS: Record<string, Runner | undefined> = {
  "p1-two-rooms": runP1,
  "p2-push-t": runP2,
  "p3-identifiability": runP3,
  "p3-alpha-sweep": runP3Sweep,
  "p4-stress": runP4,
  "p5-video": runP5,
  "p6-jepa-vs-generative": runP6,
  "mc-jepa-sprites": runMcJepa,
};

const usage = `usage: jepa eval --protocol NAME --out DIR [--quick] [--seeds N] [--steps N] [--model DIR]
                 [--baseline-lambda X] [--reference generative]

Runs an evaluation protocol of PROTOCOLS.md and writes DIR/report.json with top-level
protocol, settings, seeds, metrics (name -> number) and ci95 (name -> [low, high]).
Protocols: ${Object.keys(PROTOCOLS).join(", ")}
(mc-jepa-sprites: MC-JEPA's flow error and shape probe against its baselines, issue #8;
p3-alpha-sweep: P3 for latent shapes alpha 0.5, 1, 2, 4, 8 and the whitening and InfoNCE
baselines at alpha 2, with DIR/report.html and where the peak lies, issue #5).
  --quick     reduced settings for 2 CPU cores (the report's protocol name ends in -quick)
  --seeds N   number of seeds 0..N-1 (default 3; mc-jepa-sprites 1)
  --steps N   training steps per seed (overrides the protocol's or --quick's); p6: per model;
              p4-stress: the reference model's (default the model's preset's)
  --episodes N  p1-two-rooms, p2-push-t: episodes; p4-stress: episodes per cell;
              p6-jepa-vs-generative: P1 episodes per trained model
  --baseline-lambda X  p3-alpha-sweep: lambda of the whitening and InfoNCE rows (default
              SIGReg's 1e-3, where both collapse; 0.1 lets them train)
  --reference generative  p4-stress: also train P6's pixel-reconstruction baseline on the
              model's data, stress it on the same episodes, and report the model's failures
              relative to it (relative_mean_corruption_failure, mce; ImageNet-C's mCE)
  --model DIR a trained world model ("jepa train" or "jepa demo" folder): two-rooms for
              p1-two-rooms and p4-stress, push-t ("jepa train --preset push-t") for p2-push-t`;

function positiveNumber(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const x = Number(value);
  if (!(x > 0 && x <= 1)) throw new UsageError(`--${name} must be a number in (0, 1], got "${value}"`);
  return x;
}

const positiveInteger = (name: string, value: string | undefined): number | undefined =>
  optionalInteger(name, value, 1);

export const command: Command = {
  name: "eval",
  summary: "run an evaluation protocol (P1-P6) and write report.json",
  usage,
  async run(argv) {
    const values = parseOptions("eval", argv, {
      protocol: { type: "string" },
      out: { type: "string" },
      quick: { type: "boolean" },
      seeds: { type: "string" },
      steps: { type: "string" },
      episodes: { type: "string" },
      model: { type: "string" },
      "baseline-lambda": { type: "string" },
      reference: { type: "string" },
    });
    const name = values.protocol as string | undefined;
    const out = values.out as string | undefined;
    if (!name) throw new UsageError(`missing --protocol NAME; one of ${Object.keys(PROTOCOLS).join(", ")}`);
    if (!(name in PROTOCOLS))
      throw new UsageError(`unknown protocol "${name}"; one of ${Object.keys(PROTOCOLS).join(", ")}`);
    const runner = PROTOCOLS[name];
    if (!runner) throw new UsageError(`protocol "${name}" is not implemented in jepa eval yet`);
    if (!out) throw new UsageError(`missing --out DIR; see "jepa help eval"`);
    const reference = values.reference as string | undefined;
    if (reference !== undefined && name !== "p4-stress")
      throw new UsageError(`--reference is for p4-stress only; drop it for ${name}`);
    if (reference !== undefined && reference !== "generative")
      throw new UsageError(
        `--reference "${reference}" is not a reference model; use --reference generative (P6's pixel baseline)`,
      );
    const { html, table, ...report } = await runner({
      quick: Boolean(values.quick),
      seeds: positiveInteger("seeds", values.seeds as string | undefined),
      steps: positiveInteger("steps", values.steps as string | undefined),
      episodes: positiveInteger("episodes", values.episodes as string | undefined),
      model: values.model as string | undefined,
      baselineLambda: positiveNumber("baseline-lambda", values["baseline-lambda"] as string | undefined),
      reference: reference as EvalArgs["reference"],
    });
    mkdirSync(out, { recursive: true });
    writeFileAtomic(join(out, "report.json"), `${JSON.stringify(report, null, 2)}\n`);
    if (html !== undefined) writeFileAtomic(join(out, "report.html"), html);
    const written = [join(out, "report.json"), ...(html !== undefined ? [join(out, "report.html")] : [])];
    if (table !== undefined) console.log(`${report.protocol}\n\n${table}\n\nwrote ${written.join(", ")}`);
    else {
      const summary = Object.entries(report.metrics)
        .map(([k, v]) => `${k} ${v.toFixed(4)}`)
        .join(", ");
      console.log(`${report.protocol}: ${summary}\nwrote ${written.join(", ")}`);
    }
    return 0;
  },
};
