// Protocol P5 (PROTOCOLS.md): a video JEPA on bouncing sprites, inspected without a decoder.
//   1. collect bouncing-sprites videos; the model sees two stacked frames (so one embedding can
//      hold velocity) and predicts the next pair's embedding (the world model with a constant
//      zero action), trained with the latent prediction loss + VICReg;
//   2. embed held-out videos and fit a ridge probe from one embedding to every sprite's (x, y):
//      RMSE in pixels on held-out frames;
//   3. roll the predictor out 30 steps from an embedding: latent forecast error (mean squared
//      error per dimension) at 1 and 30 steps, raw and divided by the embeddings' variance;
//   4. surprise: the one-step prediction error where a sprite teleports over the error at the
//      same step of the same video without the teleport (paired), as a ratio.
import {
  type Backend,
  compile,
  constant,
  type HostTensor,
  hostTensor,
  mapTree,
  type Tensor,
  type Tree,
} from "../engine/index.ts";
import { BouncingSprites, deriveSeed } from "../envs/index.ts";
import { collectInMemory, type TrajectoryDataset } from "../data/index.ts";
import { buildWorldModelRun, type WorldModelPreset } from "../train/index.ts";
import type { LogRecord, TrainOptions, TrainResult, TrainSpec } from "../train/node.ts";
import { encode, rollout, type WorldModelConfig, type WorldModelParams } from "../world/index.ts";
import { bootstrapMeanInterval, bootstrapRatioInterval } from "./paired-tests.ts";
import { applyRidge, meanVariance, regressionProbe, rolloutErrorCurve, takeRows } from "./probes.ts";

export interface P5Settings {
  imageSize: number;
  sprites: number;
  /** Frames stacked into one observation (2: position and velocity are in one embedding). */
  stack: number;
  trainEpisodes: number;
  /** Frames per training video minus one. */
  trainEpisodeSteps: number;
  embedDim: number;
  channels: number[];
  predictorHidden: number;
  steps: number;
  batch: number;
  clipLength: number;
  lr: number;
  /** Held-out videos: half fit the probe, half score it; all score forecasts. */
  evalEpisodes: number;
  /** Forecast horizon (P5: 30). */
  horizon: number;
  /** Raw step at which a sprite teleports in the surprise videos. */
  teleportStep: number;
  ridge: number;
  seed: number;
}

export const P5_DEFAULTS: P5Settings = {
  imageSize: 32,
  sprites: 2,
  stack: 2,
  trainEpisodes: 400,
  trainEpisodeSteps: 16,
  embedDim: 32,
  channels: [16, 32, 32],
  predictorHidden: 128,
  steps: 1500,
  batch: 32,
  clipLength: 9,
  lr: 1e-3,
  evalEpisodes: 32,
  horizon: 30,
  teleportStep: 12,
  ridge: 1e-3,
  seed: 0,
};

/** P5 reduced for tests and `--quick` (report protocol "p5-video-quick"): not a P5 result. */
export const P5_QUICK: Partial<P5Settings> = {
  trainEpisodes: 64,
  steps: 200,
  batch: 16,
  evalEpisodes: 16,
};

export interface P5Report {
  protocol: string;
  settings: P5Settings;
  seeds: number[];
  metrics: Record<string, number>;
  ci95: Record<string, [number, number]>;
  /** Latent forecast error (MSE per dimension) at 1..horizon steps. */
  forecastCurve: number[];
  history: LogRecord[];
}

export interface P5Options {
  backend: Backend;
  /** The training loop (`train` from src/train/node.ts). */
  train: (spec: TrainSpec, opts: TrainOptions) => Promise<TrainResult>;
  protocol?: string;
  onLog?: (record: LogRecord) => void;
}

/**
 * A video dataset as a world-model dataset: each observation stacks `stack` consecutive frames
 * ([stack * C, H, W], oldest first), the action is a constant 0 ([1]), the state the newest frame's.
 */
export function stackFrames(data: TrajectoryDataset, stack: number): TrajectoryDataset {
  const [c, h, w] = data.info.observationShape;
  const frame = c * h * w;
  const S = data.info.stateDim;
  const steps = data.info.steps - (stack - 1);
  if (steps < 1) throw new Error(`stackFrames: ${stack} frames need episodes of at least ${stack} frames`);
  return {
    info: { ...data.info, steps, observationShape: [stack * c, h, w], actionDim: 1 },
    episodes: data.episodes,
    episode(i) {
      const e = data.episode(i);
      const observations = new Uint8Array((steps + 1) * stack * frame);
      for (let j = 0; j <= steps; j++)
        observations.set(e.observations.subarray(j * frame, (j + stack) * frame), j * stack * frame);
      return {
        index: e.index,
        observations,
        actions: new Float32Array(steps),
        states: e.states.slice((stack - 1) * S),
      };
    },
  };
}

/** The world-model preset P5 trains (built here; not one of the named presets). */
export function p5Preset(s: P5Settings): WorldModelPreset {
  return {
    name: "p5-video",
    description: "P5 video JEPA: stacked frames, conv encoder, residual MLP predictor, VICReg",
    env: { name: "bouncing-sprites", options: { size: s.imageSize, sprites: s.sprites } },
    data: { episodes: s.trainEpisodes, steps: s.trainEpisodeSteps, seed: s.seed, policy: "random" },
    model: {
      observation: [3 * s.stack, s.imageSize, s.imageSize],
      actionDim: 1,
      embedDim: s.embedDim,
      encoder: { kind: "conv", channels: s.channels },
      predictor: { kind: "mlp", hidden: s.predictorHidden, layers: 2 },
    },
    // Time similarity would pull consecutive frames together: wrong for a moving scene.
    loss: { regularizer: "vicreg", timeSimilarity: 0 },
    train: {
      steps: s.steps,
      batch: s.batch,
      clipLength: s.clipLength,
      lr: s.lr,
      warmupSteps: Math.min(50, Math.floor(s.steps / 10)),
      weightDecay: 1e-5,
      seed: s.seed,
    },
  };
}

/** Held-out videos, raw: frames [E, T+1, 3, H, W] and states; with a teleport when asked. */
function heldOutVideos(s: P5Settings, teleport: boolean): TrajectoryDataset {
  const env = new BouncingSprites({ size: s.imageSize, sprites: s.sprites });
  const T = s.teleportStep + s.horizon + s.stack;
  const frame = 3 * s.imageSize * s.imageSize;
  const S = env.stateSize;
  const observations = new Uint8Array(s.evalEpisodes * (T + 1) * frame);
  const states = new Float32Array(s.evalEpisodes * (T + 1) * S);
  for (let e = 0; e < s.evalEpisodes; e++) {
    const seed = deriveSeed(s.seed, 0x5e7, e);
    let o = env.reset({ seed, options: { teleportStep: teleport ? s.teleportStep : -1 } }).observation;
    for (let t = 0; t <= T; t++) {
      if (t > 0) o = env.step([]).observation;
      observations.set(o, (e * (T + 1) + t) * frame);
      states.set(env.getState(), (e * (T + 1) + t) * S);
    }
  }
  return {
    info: {
      env: { name: "bouncing-sprites", options: { size: s.imageSize, sprites: s.sprites } },
      policy: "none",
      seed: s.seed,
      steps: T,
      observationShape: [3, s.imageSize, s.imageSize],
      actionDim: 0,
      stateDim: S,
      stateNames: env.stateNames,
    },
    episodes: s.evalEpisodes,
    episode: (i) => ({
      index: i,
      observations: observations.subarray(i * (T + 1) * frame, (i + 1) * (T + 1) * frame),
      actions: new Float32Array(0),
      states: states.subarray(i * (T + 1) * S, (i + 1) * (T + 1) * S),
    }),
  };
}

/** Compiled embed and rollout graphs of trained parameters (constants in the graph). */
async function compileVideoModel(
  params: Tree<HostTensor>,
  model: WorldModelConfig,
  frames: number,
  s: P5Settings,
  backend: Backend,
) {
  const constants = () => mapTree(params, (t) => constant(t)) as unknown as WorldModelParams<Tensor>;
  const [c, h, w] = model.observation;
  const embed = await compile(
    (i) => encode(constants(), i.obs, model),
    { obs: { shape: [frames, c, h, w] } },
    backend,
  );
  const n = s.evalEpisodes;
  const roll = await compile(
    (i) => rollout(constants(), i.z0, i.actions, model),
    { z0: { shape: [n, model.embedDim] }, actions: { shape: [n, s.horizon, 1] } },
    backend,
  );
  return { embed, roll };
}

/** Trains the P5 video JEPA and measures probe RMSE, forecast error and teleport surprise. */
export async function evaluateP5(settings: Partial<P5Settings>, opts: P5Options): Promise<P5Report> {
  const s: P5Settings = { ...P5_DEFAULTS, ...settings };
  const { backend, train, protocol = "p5-video", onLog } = opts;
  const preset = p5Preset(s);
  const raw = collectInMemory("bouncing-sprites", preset.env.options, "random", {
    episodes: s.trainEpisodes,
    steps: s.trainEpisodeSteps,
    seed: s.seed,
  });
  const data = stackFrames(raw, s.stack);
  const run = buildWorldModelRun(preset, data);
  const result = await train(run, {
    steps: s.steps,
    backend,
    logEvery: Math.max(1, Math.floor(s.steps / 20)),
    onLog,
  });
  const params = result.trainStep.params();
  await result.trainStep.release();

  // Embed every stacked frame of the held-out videos, with and without the teleport.
  const model = preset.model;
  const D = model.embedDim;
  const clean = stackFrames(heldOutVideos(s, false), s.stack);
  const teleport = stackFrames(heldOutVideos(s, true), s.stack);
  const L = clean.info.steps + 1; // stacked frames per video
  const E = s.evalEpisodes;
  const frameSize = model.observation.reduce((a, b) => a * b, 1);
  const graphs = await compileVideoModel(params, model, E * L, s, backend);
  const embedAll = async (videos: TrajectoryDataset) => {
    const x = new Float32Array(E * L * frameSize);
    for (let e = 0; e < E; e++) {
      const o = videos.episode(e).observations;
      for (let k = 0; k < o.length; k++) x[e * L * frameSize + k] = o[k] / 255;
    }
    const out = await graphs.embed.run({ obs: hostTensor([E * L, ...model.observation], x) });
    return Float32Array.from(out.output.data as Float32Array); // [E, L, D]
  };
  const z = await embedAll(clean);
  const zTeleport = await embedAll(teleport);

  // 2. Probe: one embedding -> every sprite's (x, y), fitted on half the videos.
  const S = clean.info.stateDim;
  const positions = new Float64Array(E * L * 2 * s.sprites);
  for (let e = 0; e < E; e++) {
    const st = clean.episode(e).states;
    for (let t = 0; t < L; t++)
      for (let k = 0; k < s.sprites; k++) {
        positions.set([st[t * S + 4 * k], st[t * S + 4 * k + 1]], ((e * L + t) * s.sprites + k) * 2);
      }
  }
  const q = 2 * s.sprites;
  const half = Math.floor(E / 2) * L;
  const rows = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => from + i);
  const fitRows = rows(0, half);
  const testRows = rows(half, E * L);
  const probe = regressionProbe(
    { x: takeRows(z, D, fitRows), y: takeRows(positions, q, fitRows) },
    { x: takeRows(z, D, testRows), y: takeRows(positions, q, testRows) },
    D,
    q,
    s.ridge,
  );
  const testY = takeRows(positions, q, testRows);
  const predicted = applyRidge(probe.probe, takeRows(z, D, testRows), testRows.length);
  const squared = Array.from({ length: testRows.length }, (_, i) => {
    let r = 0;
    for (let k = 0; k < q; k++) r += (predicted[i * q + k] - testY[i * q + k]) ** 2 / q;
    return r;
  });
  const sqCi = bootstrapMeanInterval(squared, { seed: s.seed });

  // 3. Forecast: roll out `horizon` steps from the first stacked frame of each clean video.
  const z0 = new Float32Array(E * D);
  const target = new Float32Array(E * s.horizon * D);
  for (let e = 0; e < E; e++) {
    z0.set(z.subarray(e * L * D, (e * L + 1) * D), e * D);
    target.set(z.subarray((e * L + 1) * D, (e * L + 1 + s.horizon) * D), e * s.horizon * D);
  }
  const rolled = (
    await graphs.roll.run({
      z0: hostTensor([E, D], z0),
      actions: hostTensor([E, s.horizon, 1], new Float32Array(E * s.horizon)),
    })
  ).output.data as Float32Array;
  const curve = rolloutErrorCurve(rolled, target, E, s.horizon, D);
  const perEpisode = (step: number) =>
    Array.from(
      { length: E },
      (_, e) =>
        rolloutErrorCurve(
          rolled.subarray((e * s.horizon + step) * D, (e * s.horizon + step + 1) * D),
          target.subarray((e * s.horizon + step) * D, (e * s.horizon + step + 1) * D),
          1,
          1,
          D,
        )[0],
    );
  const variance = meanVariance(z, E * L, D);

  // 4. Surprise: one-step error onto the first stacked frame showing the teleport, paired with
  // the same step of the same video without it. Stacked frame j ends at raw frame j + stack - 1.
  const j = s.teleportStep - (s.stack - 1);
  const oneStep = async (emb: Float32Array) => {
    const from = new Float32Array(E * D);
    const to = new Float32Array(E * D);
    for (let e = 0; e < E; e++) {
      from.set(emb.subarray((e * L + j - 1) * D, (e * L + j) * D), e * D);
      to.set(emb.subarray((e * L + j) * D, (e * L + j + 1) * D), e * D);
    }
    const actions = new Float32Array(E * s.horizon);
    const out = (
      await graphs.roll.run({ z0: hostTensor([E, D], from), actions: hostTensor([E, s.horizon, 1], actions) })
    ).output.data as Float32Array; // [E, horizon, D]; only step 0 is used
    return Array.from({ length: E }, (_, e) => {
      let r = 0;
      for (let d = 0; d < D; d++) r += (out[e * s.horizon * D + d] - to[e * D + d]) ** 2 / D;
      return r;
    });
  };
  const surpriseErrors = await oneStep(zTeleport);
  const normalErrors = await oneStep(z);
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  await graphs.embed.release();
  await graphs.roll.release();

  const e1 = perEpisode(0);
  const eH = perEpisode(s.horizon - 1);
  const metrics: Record<string, number> = {
    probe_rmse_px: probe.rmse,
    probe_r2: probe.r2,
    forecast_mse_1: curve[0],
    [`forecast_mse_${s.horizon}`]: curve[s.horizon - 1],
    forecast_nmse_1: curve[0] / variance,
    [`forecast_nmse_${s.horizon}`]: curve[s.horizon - 1] / variance,
    embedding_variance: variance,
    teleport_surprise_ratio: mean(surpriseErrors) / mean(normalErrors),
    teleport_error: mean(surpriseErrors),
    normal_error: mean(normalErrors),
  };
  const ci95: Record<string, [number, number]> = {
    probe_rmse_px: [Math.sqrt(sqCi[0]), Math.sqrt(sqCi[1])],
    forecast_mse_1: bootstrapMeanInterval(e1, { seed: s.seed }),
    [`forecast_mse_${s.horizon}`]: bootstrapMeanInterval(eH, { seed: s.seed }),
    teleport_surprise_ratio: bootstrapRatioInterval(surpriseErrors, normalErrors, { seed: s.seed }),
  };
  return {
    protocol,
    settings: s,
    seeds: [s.seed],
    metrics,
    ci95,
    forecastCurve: curve,
    history: result.history,
  };
}
