// Protocol P6 (PROTOCOLS.md): JEPA against a generative baseline at equal model size, data,
// optimiser and step budget.
//   1. for each fraction of a P1 dataset (1/8, 1/4, 1/2, all: the first episodes), train
//      model A, the JEPA world model of the preset (latent prediction, no decoder), and
//      model B, the same encoder and predictor plus a pixel decoder trained to reconstruct the
//      next frames (world/generative.ts), with the same batches and steps;
//   2. measure each: P1 planning success (CEM in latent space, identical for both), a ridge
//      probe from one embedding to the agent's (x, y) on held-out frames, training FLOPs
//      (counted from the layer shapes) and wall time;
//   3. the data and compute each model needs to reach `targetSuccess`, and their ratio
//      (generative / JEPA: the number to hold against V-JEPA's 1.5x-6x);
//   4. low-shot: both models trained on shapes videos, linear classification probes on frozen
//      embeddings of labelled shape images with 1, 3, 12 and 50 labels per class.
import {
  type Backend,
  compile,
  constant,
  type HostTensor,
  hostTensor,
  keyFromSeed,
  mapTree,
  type Tensor,
  type Tree,
} from "../engine/index.ts";
import { collectInMemory, type TrajectoryDataset } from "../data/index.ts";
import { generateShapes } from "../envs/index.ts";
import { nextFrameReconstructionLoss } from "../objectives/index.ts";
import { buildWorldModelRun, type WorldModelPreset } from "../train/index.ts";
import type { TrainOptions, TrainResult, TrainSpec } from "../train/node.ts";
import {
  encode,
  type GenerativeConfig,
  type GenerativeParams,
  initGenerativeModel,
  type PixelDecoderConfig,
  pixelDynamics,
  type WorldModelConfig,
  type WorldModelParams,
} from "../world/index.ts";
import { compileLatentWorld } from "./latent-planner.ts";
import { evaluateP1, P1_DEFAULTS, type P1Settings, p1Groups } from "./p1-two-rooms.ts";
import { classificationProbe, lowShotIndices, regressionProbe, takeRows } from "./probes.ts";
import { wilsonInterval } from "./stats.ts";

export type P6Model = "jepa" | "generative";
const MODELS: P6Model[] = ["jepa", "generative"];

export interface P6Settings {
  fractions: number[];
  decoder: PixelDecoderConfig;
  /** P1 planning settings for both models (population and horizon size the compiled cost). */
  p1: Partial<P1Settings>;
  /** Held-out two-rooms episodes for the position probe. */
  probeEpisodes: number;
  /** The success level whose data and compute cost is compared. */
  targetSuccess: number;
  lowShot: {
    perClass: number[];
    /** Shape-video episodes and training steps for the low-shot encoders. */
    episodes: number;
    steps: number;
    imageSize: number;
    /** Held-out images per class for the accuracy. */
    testPerClass: number;
    /** Low-shot draws averaged per (model, labels per class). */
    draws: number;
  };
  ridge: number;
  seed: number;
}

export const P6_DEFAULTS: P6Settings = {
  fractions: [1 / 8, 1 / 4, 1 / 2, 1],
  decoder: { channels: [32, 32, 16] },
  p1: { episodes: 50 },
  probeEpisodes: 32,
  targetSuccess: 0.5,
  lowShot: {
    perClass: [1, 3, 12, 50],
    episodes: 200,
    steps: 500,
    imageSize: 32,
    testPerClass: 100,
    draws: 5,
  },
  ridge: 1e-3,
  seed: 0,
};

/** A world model config with the decoder; inverse dynamics dropped (the baseline has no such head). */
export function generativeConfig(model: WorldModelConfig, decoder: PixelDecoderConfig): GenerativeConfig {
  return { ...model, inverseDynamicsHidden: 0, decoder };
}

/**
 * The generative baseline's TrainSpec: the JEPA run's batches, optimiser and schedule, the same
 * encoder and predictor initialisation (same key), plus a decoder, trained on next-frame pixels.
 */
export function buildGenerativeRun(
  preset: WorldModelPreset,
  data: TrajectoryDataset,
  decoder: PixelDecoderConfig,
): TrainSpec {
  const base = buildWorldModelRun(preset, data);
  const config = generativeConfig(preset.model, decoder);
  const { slices: _slices, ...batchSpec } = base.batchSpec;
  return {
    params: initGenerativeModel(keyFromSeed(preset.train.seed), config) as unknown as Tree<HostTensor>,
    loss: (p, batch) =>
      nextFrameReconstructionLoss(pixelDynamics(p as unknown as GenerativeParams<Tensor>, config), batch),
    optimizer: base.optimizer,
    batchSpec,
    batch(step) {
      const { slices: _unused, ...rest } = base.batch(step);
      return rest;
    },
  };
}

/** Forward FLOPs of one encoder image (2 per multiply-add; pooling and activations ignored). */
function encoderFlops(c: WorldModelConfig): number {
  if (c.encoder.kind === "mlp") {
    const [ch, h, w] = c.observation;
    const pool = c.encoder.pool ?? 1;
    const dims = [(ch * h * w) / (pool * pool), ...c.encoder.hidden, c.embedDim];
    return dims.slice(1).reduce((sum, out, i) => sum + 2 * dims[i] * out, 0);
  }
  if (c.encoder.kind !== "conv")
    throw new Error("P6 FLOP count: the impala encoder is not counted; use encoder kind conv or mlp");
  const channels = c.encoder.channels ?? [16, 32, 32];
  let side = c.observation[1] / (c.encoder.pool ?? 1);
  let inCh = c.observation[0];
  let flops = 0;
  for (const out of channels) {
    side = Math.floor((side - 1) / 2) + 1; // 3x3, stride 2, padding 1
    flops += 2 * inCh * out * 9 * side * side;
    inCh = out;
  }
  return flops + 2 * inCh * side * side * c.embedDim;
}

/** Forward FLOPs of one predictor step. */
function predictorFlops(c: WorldModelConfig): number {
  const d = c.embedDim;
  const a = c.actionDim;
  if (c.predictor.kind === "gru") return 2 * 3 * (a + d) * d;
  const { hidden, layers = 2 } = c.predictor;
  return 2 * (d + a) * hidden + 2 * hidden * hidden * (layers - 2) + 2 * hidden * d;
}

/** Forward FLOPs of decoding one embedding to a frame. */
function decoderFlops(c: GenerativeConfig): number {
  const channels = c.decoder.channels ?? [32, 32, 16];
  let side = c.observation[1] / 2 ** channels.length;
  let flops = 2 * c.embedDim * channels[0] * side * side;
  const outs = [...channels.slice(1), c.observation[0]];
  channels.forEach((inCh, i) => {
    flops += 2 * inCh * outs[i] * 16 * side * side; // each input pixel scatters a 4x4 kernel
    side *= 2;
  });
  return flops;
}

/**
 * Training FLOPs per step, counted from the layer shapes: 3x the forward pass (backward ~2x
 * forward). JEPA encodes all L frames of B clips; the generative model encodes the first
 * frame and decodes the L-1 predictions.
 */
export function trainingFlopsPerStep(
  model: P6Model,
  config: WorldModelConfig,
  decoder: PixelDecoderConfig,
  batch: number,
  clipLength: number,
): number {
  const steps = batch * (clipLength - 1);
  if (model === "jepa") {
    const d = config.embedDim;
    const h = config.inverseDynamicsHidden ?? 0;
    const idm = h ? 2 * 2 * d * h + 2 * h * config.actionDim : 0;
    const vicreg = 2 * batch * clipLength * d * d;
    return 3 * (batch * clipLength * encoderFlops(config) + steps * (predictorFlops(config) + idm) + vicreg);
  }
  const g = generativeConfig(config, decoder);
  return 3 * (batch * encoderFlops(config) + steps * (predictorFlops(config) + decoderFlops(g)));
}

/** The first `count` episodes of a dataset. */
export function firstEpisodes(data: TrajectoryDataset, count: number): TrajectoryDataset {
  if (count < 1 || count > data.episodes)
    throw new Error(`firstEpisodes: ${count} not in 1..${data.episodes}`);
  return { info: data.info, episodes: count, episode: (i) => data.episode(i) };
}

/** Embeds frames [N, C, H, W] (bytes) with trained encoder parameters, in one compiled call. */
async function embedFrames(
  params: Tree<HostTensor>,
  config: WorldModelConfig,
  frames: Uint8Array,
  n: number,
  backend: Backend,
): Promise<Float32Array> {
  const [c, h, w] = config.observation;
  const graph = await compile(
    (i) => encode(mapTree(params, (t) => constant(t)) as unknown as WorldModelParams<Tensor>, i.obs, config),
    { obs: { shape: [n, c, h, w] } },
    backend,
  );
  const out = await graph.run({
    obs: hostTensor(
      [n, c, h, w],
      Float32Array.from(frames, (v) => v / 255),
    ),
  });
  await graph.release();
  return Float32Array.from(out.output.data as Float32Array);
}

export interface P6Run {
  model: P6Model;
  fraction: number;
  episodes: number;
  success: number;
  ci95Success: [number, number];
  probeRmsePx: number;
  probeR2: number;
  flops: number;
  wallSeconds: number;
  finalLoss: number;
}

export interface P6Report {
  protocol: string;
  settings: P6Settings & { preset: string };
  seeds: number[];
  metrics: Record<string, number>;
  ci95: Record<string, [number, number]>;
  runs: P6Run[];
  /** Models that never reached targetSuccess (their data and compute ratios are absent). */
  notReached: P6Model[];
}

export interface P6Options {
  backend: Backend;
  train: (spec: TrainSpec, opts: TrainOptions) => Promise<TrainResult>;
  protocol?: string;
  onProgress?: (label: string) => void;
}

/** Trains one model on `data` and returns its parameters, wall time and final loss. */
async function trainModel(
  which: P6Model,
  preset: WorldModelPreset,
  data: TrajectoryDataset,
  s: P6Settings,
  opts: P6Options,
) {
  const spec =
    which === "jepa" ? buildWorldModelRun(preset, data) : buildGenerativeRun(preset, data, s.decoder);
  const started = performance.now();
  const result = await opts.train(spec, {
    steps: preset.train.steps,
    backend: opts.backend,
    logEvery: preset.train.steps,
  });
  const wallSeconds = (performance.now() - started) / 1000;
  const params = result.trainStep.params();
  await result.trainStep.release();
  return { params, wallSeconds, finalLoss: result.history.at(-1)?.loss ?? Number.NaN };
}

/** Runs P6 with a two-rooms world-model preset (its data size is "all"; steps as in the preset). */
export async function evaluateP6(
  preset: WorldModelPreset,
  settings: Partial<P6Settings>,
  opts: P6Options,
): Promise<P6Report> {
  const s: P6Settings = {
    ...P6_DEFAULTS,
    ...settings,
    lowShot: { ...P6_DEFAULTS.lowShot, ...settings.lowShot },
  };
  const { backend, protocol = "p6-jepa-vs-generative", onProgress } = opts;
  const data = collectInMemory(preset.env.name, preset.env.options, preset.data.policy, {
    episodes: preset.data.episodes,
    steps: preset.data.steps,
    seed: preset.data.seed,
  });
  // Held-out frames for the position probe: other seeds, every frame with its (x, y).
  const held = collectInMemory(preset.env.name, preset.env.options, preset.data.policy, {
    episodes: s.probeEpisodes,
    steps: preset.data.steps,
    seed: preset.data.seed + 1_000_003,
  });
  const perEpisode = preset.data.steps + 1;
  const n = s.probeEpisodes * perEpisode;
  const frameBytes = preset.model.observation.reduce((a, b) => a * b, 1);
  const frames = new Uint8Array(n * frameBytes);
  const positions = new Float64Array(n * 2);
  for (let e = 0; e < s.probeEpisodes; e++) {
    const ep = held.episode(e);
    frames.set(ep.observations, e * perEpisode * frameBytes);
    for (let t = 0; t < perEpisode; t++)
      positions.set(
        [ep.states[t * held.info.stateDim], ep.states[t * held.info.stateDim + 1]],
        (e * perEpisode + t) * 2,
      );
  }
  const half = Math.floor(s.probeEpisodes / 2) * perEpisode;
  const fitRows = Array.from({ length: half }, (_, i) => i);
  const testRows = Array.from({ length: n - half }, (_, i) => half + i);
  // Both models plan as the preset's own model does (its planner settings under s.p1), the
  // episodes in lockstep.
  const { accumulate, ...presetPlan } = preset.plan ?? {};
  const p1: Partial<P1Settings> = { ...presetPlan, ...s.p1, seed: s.seed };
  const population = p1.population ?? P1_DEFAULTS.population;
  const horizon = p1.horizon ?? P1_DEFAULTS.horizon;
  const groups = p1Groups(p1);

  const runs: P6Run[] = [];
  for (const fraction of s.fractions) {
    const episodes = Math.max(1, Math.round(fraction * data.episodes));
    const subset = firstEpisodes(data, episodes);
    for (const which of MODELS) {
      onProgress?.(`${which} on ${episodes} episodes`);
      const trained = await trainModel(which, preset, subset, s, opts);
      const world = await compileLatentWorld(trained.params, preset.model, {
        population,
        horizon,
        accumulate,
        groups,
        backend,
      });
      const p1Report = await evaluateP1(world, p1);
      await world.release();
      const z = await embedFrames(trained.params, preset.model, frames, n, backend);
      const D = preset.model.embedDim;
      const probe = regressionProbe(
        { x: takeRows(z, D, fitRows), y: takeRows(positions, 2, fitRows) },
        { x: takeRows(z, D, testRows), y: takeRows(positions, 2, testRows) },
        D,
        2,
        s.ridge,
      );
      runs.push({
        model: which,
        fraction,
        episodes,
        success: p1Report.metrics.success,
        ci95Success: p1Report.ci95.success,
        probeRmsePx: probe.rmse,
        probeR2: probe.r2,
        flops:
          preset.train.steps *
          trainingFlopsPerStep(which, preset.model, s.decoder, preset.train.batch, preset.train.clipLength),
        wallSeconds: trained.wallSeconds,
        finalLoss: trained.finalLoss,
      });
    }
  }

  const metrics: Record<string, number> = {};
  const ci95: Record<string, [number, number]> = {};
  for (const r of runs) {
    const key = `${r.model}/f${r.fraction}`;
    metrics[`${key}/success`] = r.success;
    metrics[`${key}/probe_rmse_px`] = r.probeRmsePx;
    metrics[`${key}/probe_r2`] = r.probeR2;
    metrics[`${key}/train_flops`] = r.flops;
    metrics[`${key}/wall_s`] = r.wallSeconds;
    ci95[`${key}/success`] = r.ci95Success;
  }
  // 3. Data and compute to reach the target: the smallest fraction that does.
  const notReached: P6Model[] = [];
  const reach: Partial<Record<P6Model, P6Run>> = {};
  for (const which of MODELS) {
    const hit = runs
      .filter((r) => r.model === which && r.success >= s.targetSuccess)
      .sort((a, b) => a.episodes - b.episodes)[0];
    if (hit) {
      reach[which] = hit;
      metrics[`${which}/episodes_to_target`] = hit.episodes;
      metrics[`${which}/flops_to_target`] = hit.flops;
    } else notReached.push(which);
  }
  if (reach.jepa && reach.generative) {
    metrics.data_ratio = reach.generative.episodes / reach.jepa.episodes;
    metrics.compute_ratio = reach.generative.flops / reach.jepa.flops;
  }

  // 4. Low-shot shapes probes.
  await lowShot(preset, s, opts, metrics, ci95);
  return {
    protocol,
    settings: { ...s, preset: preset.name },
    seeds: [s.seed],
    metrics,
    ci95,
    runs,
    notReached,
  };
}

/** Both models trained on shapes videos; classification probes with few labels per class. */
async function lowShot(
  preset: WorldModelPreset,
  s: P6Settings,
  opts: P6Options,
  metrics: Record<string, number>,
  ci95: Record<string, [number, number]>,
): Promise<void> {
  const ls = s.lowShot;
  const size = ls.imageSize;
  const shapesPreset: WorldModelPreset = {
    ...preset,
    name: `${preset.name}-shapes`,
    env: { name: "shapes", options: { size } },
    data: { ...preset.data, episodes: ls.episodes, policy: "random" },
    model: { ...preset.model, observation: [3, size, size] },
    train: { ...preset.train, steps: ls.steps, actionScale: 64 / (2 * size) },
  };
  const videos = collectInMemory("shapes", { size }, "random", {
    episodes: ls.episodes,
    steps: preset.data.steps,
    seed: s.seed + 17,
  });
  const maxShots = Math.max(...ls.perClass);
  const classes = 5;
  const pool = generateShapes(s.seed + 29, classes * (maxShots + ls.testPerClass) * 2, { size });
  // Test: the first testPerClass images of each class; the rest is the labelled pool.
  const testRows: number[] = [];
  const seen = new Array(classes).fill(0);
  for (let i = 0; i < pool.labels.length; i++)
    if (seen[pool.labels[i]] < ls.testPerClass) {
      seen[pool.labels[i]]++;
      testRows.push(i);
    }
  const testSet = new Set(testRows);
  const poolRows = Array.from({ length: pool.labels.length }, (_, i) => i).filter((i) => !testSet.has(i));
  const poolLabels = Int32Array.from(poolRows, (i) => pool.labels[i]);
  const D = preset.model.embedDim;
  for (const which of MODELS) {
    opts.onProgress?.(`${which} on shapes`);
    const trained = await trainModel(which, shapesPreset, videos, s, opts);
    const z = await embedFrames(
      trained.params,
      shapesPreset.model,
      pool.images,
      pool.labels.length,
      opts.backend,
    );
    const test = { x: takeRows(z, D, testRows), labels: Int32Array.from(testRows, (i) => pool.labels[i]) };
    for (const k of ls.perClass) {
      let correct = 0;
      for (let draw = 0; draw < ls.draws; draw++) {
        const pick = lowShotIndices(poolLabels, classes, k, s.seed * 1000 + draw).map((j) => poolRows[j]);
        const train = { x: takeRows(z, D, pick), labels: Int32Array.from(pick, (i) => pool.labels[i]) };
        correct += classificationProbe(train, test, D, classes).accuracy * testRows.length;
      }
      const total = ls.draws * testRows.length;
      metrics[`${which}/lowshot_${k}`] = correct / total;
      ci95[`${which}/lowshot_${k}`] = wilsonInterval(Math.round(correct), total);
    }
  }
}

/** The P6 table as Markdown: one row per (fraction, model). */
export function p6Table(report: P6Report): string {
  const rows = report.runs.map(
    (r) =>
      `| ${r.model} | ${r.fraction} | ${r.episodes} | ${(100 * r.success).toFixed(0)}% [${(100 * r.ci95Success[0]).toFixed(0)}, ${(100 * r.ci95Success[1]).toFixed(0)}] | ${r.probeRmsePx.toFixed(2)} | ${r.probeR2.toFixed(3)} | ${(r.flops / 1e12).toFixed(3)} | ${r.wallSeconds.toFixed(1)} |`,
  );
  return [
    "| model | fraction | episodes | P1 success [95% CI] | probe RMSE px | probe R^2 | train TFLOPs | wall s |",
    "|---|---|---|---|---|---|---|---|",
    ...rows,
  ].join("\n");
}
