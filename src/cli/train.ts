// `jepa train`: trains a world model from a preset or a run config into a run folder
// (config.json, metrics.jsonl, checkpoints/), with a progress display. Ctrl-C stops after
// the current step with a checkpoint; --resume continues bit-exactly from the newest one.
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { collectInMemory, type TrajectoryDataset } from "../data/index.ts";
import { openDataset } from "../data/node.ts";
import { nodeBackend, writeFileAtomic } from "../engine/node.ts";
import type { Backend } from "../engine/index.ts";
import {
  buildIjepaRun,
  buildVjepaRun,
  buildWorldModelRun,
  ConfigError,
  getPreset,
  IJEPA_PRESETS,
  PRESETS,
  quickIjepaPreset,
  quickPreset,
  quickVjepaPreset,
  VJEPA_PRESETS,
  validateRunConfig,
  type WorldModelPreset,
} from "../train/index.ts";
import { type LogRecord, listCheckpoints, TrainingDiverged, type TrainSpec, train } from "../train/node.ts";
import { optionalInteger } from "./args.ts";
import { type Command, UsageError } from "./command.ts";
import { progress } from "./progress.ts";

const usage = `usage: jepa train (--preset NAME | --config FILE) --out DIR [options]

Trains a world model and writes DIR/config.json (the resolved run config, usable as
--config), DIR/metrics.jsonl and DIR/checkpoints/step-N/. Ctrl-C stops after the current
step and saves a checkpoint; rerun with --resume to continue exactly where it stopped.

  --preset NAME           ${[...Object.keys(PRESETS), ...Object.keys(IJEPA_PRESETS), ...Object.keys(VJEPA_PRESETS)].join(", ")}
  --config FILE           a run config JSON (env, data, model, loss, train)
  --data DIR              a dataset from "jepa collect" (default: collect the config's data in memory)
  --out DIR               run folder; one that holds checkpoints needs --resume
  --steps N               train N steps in all (overrides train.steps)
  --resume                continue from the newest checkpoint in DIR
  --quick                 a shrunk run of the same config (few episodes and steps; smoke tests)
  --checkpoint-every N    checkpoint every N steps (default: steps / 10)
  --keep-last K           checkpoints to keep (default 3)
  --log-every N           metrics line every N steps (default 10)
  --monitor-every N       collapse monitors every N steps (default: as --log-every x 5; 0 = off)`;

const integer = (name: string, value: string | undefined, min: number): number | undefined =>
  optionalInteger(name, value, min);

/** The run config from --preset or --config, shrunk by --quick, with --steps applied, validated. */
function resolveConfig(values: Record<string, string | boolean | undefined>): WorldModelPreset {
  const { preset, config } = values as { preset?: string; config?: string };
  if ((preset === undefined) === (config === undefined))
    throw new UsageError(`pass exactly one of --preset NAME or --config FILE; see "jepa help train"`);
  let json: WorldModelPreset;
  if (preset !== undefined) {
    try {
      json = structuredClone(getPreset(preset));
    } catch (err) {
      throw new UsageError((err as Error).message);
    }
  } else {
    const file = config as string;
    if (!existsSync(file)) throw new UsageError(`--config ${file}: no such file`);
    try {
      json = JSON.parse(readFileSync(file, "utf8"));
    } catch (err) {
      throw new UsageError(`--config ${file}: not valid JSON (${(err as Error).message.split("\n")[0]})`);
    }
  }
  try {
    // Validate before --quick and --steps touch it, so errors name the file's own fields.
    let run = validateRunConfig(json);
    if (values.quick) run = quickPreset(run);
    const steps = integer("steps", values.steps as string | undefined, 1);
    if (steps !== undefined) {
      // The warmup must end before the last step; a short --steps run shortens it.
      run = {
        ...run,
        train: { ...run.train, steps, warmupSteps: Math.min(run.train.warmupSteps, steps - 1) },
      };
    }
    return validateRunConfig(run);
  } catch (err) {
    if (err instanceof ConfigError) throw new UsageError(`${config ?? `preset ${preset}`}: ${err.message}`);
    throw err;
  }
}

/** The dataset to train on: a collected folder (checked against the config) or collected in memory. */
function loadData(run: WorldModelPreset, dir: string | undefined): TrajectoryDataset {
  if (dir === undefined) {
    const { env, data } = run;
    return collectInMemory(env.name, env.options, data.policy, {
      episodes: data.episodes,
      steps: data.steps,
      seed: data.seed,
    });
  }
  const ds = openDataset(dir);
  const { info } = ds;
  if (info.env.name !== run.env.name)
    throw new UsageError(
      `--data ${dir} holds ${info.env.name} episodes but the config trains on ${run.env.name}`,
    );
  if (info.observationShape.join(",") !== run.model.observation.join(",")) {
    throw new UsageError(
      `--data ${dir} has observations [${info.observationShape}] but config.model.observation is [${run.model.observation}]; recollect with matching --size or fix the config`,
    );
  }
  if (info.actionDim !== run.model.actionDim)
    throw new UsageError(
      `--data ${dir} has ${info.actionDim}-d actions but config.model.actionDim is ${run.model.actionDim}`,
    );
  if (info.steps + 1 < run.train.clipLength) {
    throw new UsageError(
      `--data ${dir} has episodes of ${info.steps + 1} frames, shorter than config.train.clipLength ${run.train.clipLength}`,
    );
  }
  if (ds.episodes === 0)
    throw new UsageError(`--data ${dir} has no finished shards yet; run "jepa collect" to completion`);
  return ds;
}

/** What one `jepa train` run trains: its resolved config, length and TrainSpec. */
interface TrainJob {
  name: string;
  config: unknown;
  steps: number;
  embedDim: number;
  spec(backend: Backend): TrainSpec;
}

/** I-JEPA and V-JEPA presets (built-in only; their configs are not validated run configs). */
function jepaPresetJob(values: Record<string, string | boolean | undefined>): TrainJob | undefined {
  const name = values.preset as string | undefined;
  if (name === undefined || !(name in IJEPA_PRESETS || name in VJEPA_PRESETS)) return undefined;
  if (values.data !== undefined)
    throw new UsageError(`--data is for world-model presets; ${name} makes its own data`);
  const steps = integer("steps", values.steps as string | undefined, 1);
  const withSteps = <P extends { train: { steps: number; warmupSteps: number } }>(p: P): P =>
    steps === undefined
      ? p
      : { ...p, train: { ...p.train, steps, warmupSteps: Math.min(p.train.warmupSteps, steps - 1) } };
  if (name in IJEPA_PRESETS) {
    const p = withSteps(values.quick ? quickIjepaPreset(IJEPA_PRESETS[name]) : IJEPA_PRESETS[name]);
    return {
      name: p.name,
      config: p,
      steps: p.train.steps,
      embedDim: p.model.encoder.dim,
      spec: (backend) => buildIjepaRun(p, { backend }),
    };
  }
  const p = withSteps(values.quick ? quickVjepaPreset(VJEPA_PRESETS[name]) : VJEPA_PRESETS[name]);
  return {
    name: p.name,
    config: p,
    steps: p.train.steps,
    embedDim: (p.model as { encoder: { dim: number } }).encoder.dim,
    spec: (backend) =>
      buildVjepaRun(p, collectInMemory("bouncing-sprites", { size: p.data.size }, "random", p.data), {
        backend,
      }),
  };
}

/** A world-model run from --preset or --config (validated), with its data. */
function worldModelJob(values: Record<string, string | boolean | undefined>): TrainJob {
  const run = resolveConfig(values);
  return {
    name: run.name,
    config: run,
    steps: run.train.steps,
    embedDim: run.model.embedDim,
    spec: (backend) => buildWorldModelRun(run, loadData(run, values.data as string | undefined), { backend }),
  };
}

const isOutOfDisk = (err: unknown): boolean =>
  (err as NodeJS.ErrnoException)?.code === "ENOSPC" ||
  /out of disk space/.test((err as Error)?.message ?? "");

const formatTerms = (r: LogRecord): string =>
  [
    `loss ${r.loss.toPrecision(4)}`,
    ...Object.entries(r.terms).map(([k, v]) => `${k} ${v.toPrecision(3)}`),
  ].join(" ");

export const command: Command = {
  name: "train",
  summary: "train a world model from a preset or a run config, with exact resume",
  usage,
  async run(argv) {
    let values: Record<string, string | boolean | undefined>;
    try {
      values = parseArgs({
        args: argv,
        strict: true,
        options: {
          preset: { type: "string" },
          config: { type: "string" },
          data: { type: "string" },
          out: { type: "string" },
          steps: { type: "string" },
          resume: { type: "boolean" },
          quick: { type: "boolean" },
          "checkpoint-every": { type: "string" },
          "keep-last": { type: "string" },
          "log-every": { type: "string" },
          "monitor-every": { type: "string" },
        },
      }).values;
    } catch (err) {
      throw new UsageError(`${(err as Error).message}; see "jepa help train"`);
    }
    const out = values.out as string | undefined;
    if (!out) throw new UsageError(`missing --out DIR; see "jepa help train"`);
    const job = jepaPresetJob(values) ?? worldModelJob(values);
    const steps = job.steps;
    const checkpointEvery =
      integer("checkpoint-every", values["checkpoint-every"] as string | undefined, 1) ??
      Math.max(1, Math.round(steps / 10));
    const keepLast = integer("keep-last", values["keep-last"] as string | undefined, 1) ?? 3;
    const logEvery = integer("log-every", values["log-every"] as string | undefined, 1) ?? 10;
    const monitorEvery =
      integer("monitor-every", values["monitor-every"] as string | undefined, 0) ?? 5 * logEvery;

    // Never overwrite a run: checkpoints in --out need --resume, and then the same config.
    const ckptDir = join(out, "checkpoints");
    const existing = listCheckpoints(ckptDir);
    const configPath = join(out, "config.json");
    const configText = `${JSON.stringify(job.config, null, 2)}\n`;
    if (existing.length > 0 && !values.resume) {
      throw new UsageError(
        `${out} already holds a run (checkpoints up to step ${existing.at(-1)}); pass --resume to continue it, or choose a new --out`,
      );
    }
    if (
      values.resume &&
      existing.length > 0 &&
      existsSync(configPath) &&
      readFileSync(configPath, "utf8") !== configText
    ) {
      throw new UsageError(
        `cannot resume: ${configPath} differs from this command's config; resume with the same --preset/--config, --quick and --steps`,
      );
    }
    const startStep = values.resume ? (existing.at(-1) ?? 0) : 0;
    if (startStep >= steps) {
      console.log(`${out} is already trained to step ${startStep} of ${steps}; nothing to do`);
      return 0;
    }

    const controller = new AbortController();
    const onSigint = () => {
      if (controller.signal.aborted) process.exit(130); // a second Ctrl-C: stop now
      controller.abort();
      process.stderr.write("\nstopping after the current step (Ctrl-C again to quit without a checkpoint)\n");
    };
    process.on("SIGINT", onSigint);
    const bar = progress(startStep > 0 ? `train from ${startStep}` : "train", steps - startStep, {
      unit: "steps",
    });
    let last: LogRecord | undefined;
    try {
      mkdirSync(out, { recursive: true });
      writeFileAtomic(configPath, configText);
      const backend = nodeBackend();
      const result = await train(job.spec(backend), {
        steps,
        backend,
        outDir: out,
        config: job.config,
        checkpointEvery,
        keepLast,
        logEvery,
        monitorEvery,
        resume: Boolean(values.resume),
        signal: controller.signal,
        onLog(r) {
          last = r;
          if (r.warning) process.stderr.write(`\nwarning: ${r.warning}\n`);
          const rank = r.collapse ? ` | rank ${r.collapse.effectiveRank.toFixed(1)}/${job.embedDim}` : "";
          bar.update(r.step - startStep, `step ${r.step} ${formatTerms(r)}${rank}`);
        },
      });
      await result.trainStep.release();
      const step = result.trainStep.step;
      if (result.stoppedEarly) {
        bar.update(step - startStep);
        process.stderr.write("\n");
        const again = ["jepa", "train", ...argv.filter((a) => a !== "--resume"), "--resume"].join(" ");
        console.log(
          `stopped at step ${step} of ${steps}; checkpoint saved in ${ckptDir}\nresume with: ${again}`,
        );
        return 130;
      }
      const seconds = bar.finish(last ? `step ${last.step} ${formatTerms(last)}` : undefined);
      console.log(
        `trained ${job.name} to step ${steps} in ${seconds.toFixed(1)}s (${((steps - startStep) / seconds).toFixed(2)} steps/s); run folder ${out}`,
      );
      return 0;
    } catch (err) {
      process.stderr.write("\n");
      if (err instanceof TrainingDiverged) {
        console.error(`jepa: ${err.message}`);
        return 1;
      }
      if (isOutOfDisk(err)) {
        console.error(
          `jepa: out of disk space writing to ${out}; free space and rerun with --resume (the last checkpoint is intact)`,
        );
        return 1;
      }
      throw err;
    } finally {
      process.off("SIGINT", onSigint);
    }
  },
};
