// `jepa demo`: the whole idea in one command. A world model learns two-rooms from pixels
// without reconstructing them, then plans to goals it has never seen (protocol P1):
//   1. collect  P1 exploration data (seeded)
//   2. train    the JEPA world model of the preset (checkpoints in OUT/run)
//   3. plan     CEM in latent space on P1 evaluation episodes
//   4. report   OUT/report.json and OUT/report.html
import { existsSync, mkdirSync, rmSync } from "node:fs";
import { join, resolve } from "node:path";
import { collectEpisodes, type DatasetChunk, datasetFromChunks, infoOfSpec } from "../data/index.ts";
import { compile, hostTensor, layoutOf, packTree, type Tensor, unpackSymbolic } from "../engine/index.ts";
import { nodeBackend } from "../engine/node.ts";
import { compileLatentWorld, evaluateP1, P1_DEFAULTS, type P1Report, p1Groups } from "../eval/index.ts";
import { writeDemoReport } from "../eval/node.ts";
import { buildWorldModelRun, getPreset, quickPreset } from "../train/index.ts";
import { listCheckpoints, train } from "../train/node.ts";
import { encode, type WorldModelParams } from "../world/index.ts";
import { parseOptions } from "./args.ts";
import { type Command, UsageError } from "./command.ts";
import { progress } from "./progress.ts";

const usage = `usage: jepa demo [--out DIR] [--quick] [--resume | --force] [--episodes N] [--preset NAME]

Collects two-rooms data (protocol P1), trains a JEPA world model, plans evaluation episodes
with CEM in latent space, and writes DIR/report.json and DIR/report.html.

  --out DIR      output folder (default ./jepa-demo)
  --quick        a reduced run for tests (~1 minute; its numbers are not P1 results)
  --resume       continue an unfinished demo in DIR from its last checkpoint
  --force        delete DIR's previous demo and start over
  --episodes N   evaluation episodes (default 50)
  --preset NAME  training preset (default two-rooms-vicreg)`;

export const command: Command = {
  name: "demo",
  summary: "collect, train, plan and report on two-rooms (P1), end to end",
  usage,
  async run(argv) {
    const v = parseOptions("demo", argv, {
      out: { type: "string", default: "jepa-demo" },
      quick: { type: "boolean", default: false },
      resume: { type: "boolean", default: false },
      force: { type: "boolean", default: false },
      episodes: { type: "string" },
      preset: { type: "string", default: "two-rooms-vicreg" },
    });
    const out = resolve(v.out as string);
    const quick = Boolean(v.quick);
    const runDir = join(out, "run");
    if (v.resume && v.force) throw new UsageError("--resume and --force contradict each other; pass one");
    if (existsSync(join(out, "report.json")) && !v.force) {
      throw new UsageError(
        `${out} already holds a finished demo (report.json); pass --force to redo it or choose another --out`,
      );
    }
    if (
      existsSync(runDir) &&
      listCheckpoints(join(runDir, "checkpoints")).length > 0 &&
      !v.resume &&
      !v.force
    ) {
      throw new UsageError(
        `${out} holds an unfinished demo; rerun with --resume to continue it or --force to start over`,
      );
    }
    if (v.force) rmSync(out, { recursive: true, force: true });
    mkdirSync(out, { recursive: true });
    const base = getPreset(v.preset as string);
    const preset = quick ? quickPreset(base) : base;
    const episodes = v.episodes !== undefined ? Number(v.episodes) : quick ? 2 : 50;
    if (!Number.isInteger(episodes) || episodes < 1)
      throw new UsageError(`--episodes must be a positive integer, got "${v.episodes}"`);
    const started = performance.now();
    const timings: Record<string, number> = {};
    const backend = nodeBackend();

    // 1. collect
    const spec = {
      env: preset.env.name,
      envOptions: preset.env.options,
      policy: preset.data.policy,
      seed: preset.data.seed,
      steps: preset.data.steps,
    };
    const chunks: DatasetChunk[] = [];
    const total = preset.data.episodes;
    const bar = progress("collect", total, { unit: "episodes" });
    for (let first = 0; first < total; first += 50) {
      const end = Math.min(total, first + 50);
      chunks.push({ first, batch: collectEpisodes(spec, first, end) });
      bar.update(end);
    }
    timings.collect = bar.finish(`${total * (preset.data.steps + 1)} frames`);
    const data = datasetFromChunks(infoOfSpec(spec), chunks);

    // 2. train, with collapse monitors on a fixed probe batch of frames
    const run = buildWorldModelRun(preset, data);
    const model = preset.model;
    const [c, h, w] = model.observation;
    const probeCount = quick ? 32 : 256;
    const probeFrames = new Float32Array(probeCount * c * h * w);
    const positions: number[][] = [];
    for (let i = 0; i < probeCount; i++) {
      const e = data.episode((i * 7919) % data.episodes);
      const t = i % (data.info.steps + 1);
      const frame = e.observations.subarray(t * c * h * w, (t + 1) * c * h * w);
      for (let k = 0; k < frame.length; k++) probeFrames[i * c * h * w + k] = frame[k] / 255;
      positions.push([e.states[t * data.info.stateDim], e.states[t * data.info.stateDim + 1]]);
    }
    const template = run.params;
    const layout = layoutOf(template);
    const prober = await compile(
      (i) =>
        encode(
          unpackSymbolic(i.params, layout, template) as unknown as WorldModelParams<Tensor>,
          i.obs,
          model,
        ),
      { params: { shape: [layout.total] }, obs: { shape: [probeCount, c, h, w] } },
      backend,
    );
    const probe = async (params: typeof template) => {
      const z = await prober.run({
        params: hostTensor([layout.total], packTree(params, layout)),
        obs: hostTensor([probeCount, c, h, w], probeFrames),
      });
      return { data: z.output.data as Float32Array, n: probeCount, d: model.embedDim };
    };
    const controller = new AbortController();
    const onSigint = () => controller.abort();
    process.once("SIGINT", onSigint);
    const steps = preset.train.steps;
    const trainBar = progress("train", steps, { unit: "steps" });
    const warnings: string[] = [];
    const result = await train(
      { ...run, probe },
      {
        steps,
        backend,
        outDir: runDir,
        config: preset,
        resume: Boolean(v.resume),
        checkpointEvery: quick ? 10 : 100,
        keepLast: 2,
        logEvery: quick ? 5 : 25,
        monitorEvery: quick ? 10 : 100,
        signal: controller.signal,
        onLog(r) {
          const terms = Object.entries(r.terms)
            .filter(([k]) => k !== "lr")
            .map(([k, x]) => `${k} ${x.toPrecision(3)}`)
            .join(", ");
          trainBar.update(r.step, `loss ${r.loss.toPrecision(4)} (${terms})`);
          if (r.warning) warnings.push(r.warning);
        },
      },
    );
    process.off("SIGINT", onSigint);
    if (result.stoppedEarly) {
      trainBar.finish("interrupted");
      console.error(
        `jepa: stopped at step ${result.trainStep.step}; continue with: jepa demo --out ${out} --resume`,
      );
      await result.trainStep.release();
      await prober.release();
      return 130;
    }
    timings.train = trainBar.finish();
    for (const wmsg of warnings) console.error(`jepa: warning: ${wmsg}`);
    const params = result.trainStep.params();
    const latents = await probe(params);

    // 3. plan
    const { accumulate, ...planSettings } = preset.plan ?? {};
    const p1Settings = quick
      ? { ...planSettings, episodes, horizon: 10, population: 32, iterations: 3, elites: 4, executeSteps: 5 }
      : { ...planSettings, episodes };
    const world = await compileLatentWorld(params, model, {
      population: p1Settings.population ?? P1_DEFAULTS.population,
      horizon: p1Settings.horizon ?? P1_DEFAULTS.horizon,
      accumulate,
      groups: p1Groups(p1Settings),
      backend,
    });
    const planBar = progress("plan", episodes, { unit: "episodes" });
    let successes = 0;
    const p1: P1Report = await evaluateP1(world, p1Settings, (done, e) => {
      successes += e.success ? 1 : 0;
      planBar.update(done, `${successes}/${done} reached the goal`);
    });
    timings.plan = planBar.finish();
    await world.release();
    await prober.release();
    await result.trainStep.release();

    // 4. report
    timings.total = (performance.now() - started) / 1000;
    const files = writeDemoReport(out, {
      title: `jepa-ts demo: two-rooms (P1)${quick ? ", quick (reduced, not a P1 result)" : ""}`,
      p1,
      history: result.history,
      latents: { ...latents, positions },
      settings: {
        preset: preset.name,
        quick,
        trainSteps: steps,
        dataEpisodes: total,
        imageSize: h,
        cost: accumulate ?? "final",
      },
      timings,
      imageSize: h,
    });
    const [lo, hi] = p1.ci95.success;
    console.log(
      `P1 success ${(100 * p1.metrics.success).toFixed(1)}% (${successes}/${episodes}; 95% CI ${(100 * lo).toFixed(1)}-${(100 * hi).toFixed(1)}%) against the published 97 ± 2%`,
    );
    console.log(`report: ${files.html}\n        ${files.json}`);
    console.log(`total wall time ${timings.total.toFixed(1)} s`);
    return 0;
  },
};
