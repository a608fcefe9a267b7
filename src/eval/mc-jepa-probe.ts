// MC-JEPA measured on bouncing sprites (issue #8): motion and content from one encoder.
//   1. train MC-JEPA (src/world/mc-jepa.ts, objectives/mc-jepa.ts) on clips of one sprite
//      whose shape is one of K classes; colour and size are random per episode and every shape
//      has the same area (mc-jepa-sprites.ts), so only the shape tells the classes apart;
//   2. motion: flow end-point error on the sprite's pixels of held-out clips, against the
//      zero-flow baseline and the untrained encoder;
//   3. content: a linear probe (ridge onto one-hot labels, features standardised, the ridge
//      picked on a validation fifth of the probe's training set) on the frozen, pooled
//      features, fitted on one set of episodes and scored on other episodes, one frame each
//      (independent rows, so a Wilson interval holds); read against chance (the majority class
//      of the test set), the same encoder at its random initialisation and at other random
//      initialisations (McNemar's exact test, paired on the test frames), and a probe on the
//      sprite's mean colour and pixel count (the shortcuts the data is built to remove).
import {
  type Backend,
  compile,
  compileTrainStep,
  constant,
  type HostTensor,
  hostTensor,
  keyFromSeed,
  mapTree,
  type Tensor,
  type Tree,
} from "../engine/index.ts";
import { deriveSeed, Random, type SpriteShape } from "../envs/index.ts";
import { type McJepaLossConfig, mcJepaLoss } from "../objectives/index.ts";
import { adamw } from "../optim/index.ts";
import {
  featureStride,
  initMcJepa,
  type McJepaConfig,
  type McJepaParams,
  mcContent,
  mcFeatures,
  mcFlow,
  mcJepaModel,
  upsampleFlow,
} from "../world/index.ts";
import {
  type AugmentOptions,
  augmentView,
  endPointError,
  type SpriteClips,
  shortcutFeatures,
  spriteClips,
} from "./mc-jepa-sprites.ts";
import { discordantPairs, mcnemarExact } from "./paired-tests.ts";
import { linearProbe } from "./linear-probe.ts";

export interface McJepaProbeSettings {
  model: McJepaConfig;
  loss: McJepaLossConfig;
  /** How the two content views of a frame are drawn. */
  augment: AugmentOptions;
  shapes: SpriteShape[];
  /** Sprite radius range in px at 64 px. */
  radiusRange: [number, number];
  trainEpisodes: number;
  /** Frames per training clip minus one. */
  episodeSteps: number;
  steps: number;
  batch: number;
  lr: number;
  /** Held-out clips for the flow end-point error. */
  flowEpisodes: number;
  /** Episodes (one frame each) that fit the probe, and other episodes that score it. */
  probeTrainEpisodes: number;
  probeTestEpisodes: number;
  /** Random initialisations besides the trained model's own, for the untrained baseline. */
  untrainedSeeds: number;
  /** Probe the encoder every this many training steps too (0: only at the end). */
  probeEvery: number;
  seed: number;
}

export const MC_PROBE_DEFAULTS: McJepaProbeSettings = {
  model: { observation: [3, 32, 32], channels: [16, 32], flowHidden: 32, projector: [64, 64] },
  // Content weight 10x the objective's default, and views that differ in colour and scale.
  // Measured (seed 0, 4 000 steps): with the colour shared between views (shift, brightness
  // and noise only) VICReg keeps the colour and the shape probe falls to 43 %, below the
  // untrained encoder's 82 %; with recolouring and zoom it reaches 100 % (clearly beyond the
  // untrained encoder from about 1 500 steps on).
  loss: { content: 0.2 },
  augment: { shift: 3, recolour: true, scale: [0.7, 1.4] },
  shapes: ["circle", "square", "triangle", "cross"],
  radiusRange: [7, 11],
  trainEpisodes: 512,
  episodeSteps: 8,
  steps: 4000,
  batch: 32,
  lr: 2e-3,
  flowEpisodes: 32,
  probeTrainEpisodes: 1000,
  probeTestEpisodes: 1000,
  untrainedSeeds: 4,
  probeEvery: 500,
  seed: 0,
};

/** Reduced for tests and `--quick` (protocol "mc-jepa-sprites-quick"): machinery, not a result. */
export const MC_PROBE_QUICK: Partial<McJepaProbeSettings> = {
  trainEpisodes: 64,
  steps: 40,
  batch: 16,
  flowEpisodes: 8,
  probeTrainEpisodes: 200,
  probeTestEpisodes: 200,
  untrainedSeeds: 1,
  probeEvery: 0,
};

const asTensors = (p: Tree<HostTensor>) =>
  mapTree(p, (t) =>
    constant({ ...t, data: t.data.slice() } as HostTensor),
  ) as unknown as McJepaParams<Tensor>;

/** Trains MC-JEPA on `data`: the initial and trained parameters and the loss per step. */
export async function trainMcJepa(
  data: SpriteClips,
  s: McJepaProbeSettings,
  opts: {
    backend: Backend;
    onStep?: (step: number, loss: number, terms: Record<string, number>) => void;
    /** Called with the parameters every `every` steps (a probe curve); its time is not counted. */
    onParams?: (step: number, params: Tree<HostTensor>) => Promise<void>;
    every?: number;
  },
): Promise<{ init: Tree<HostTensor>; trained: Tree<HostTensor>; losses: number[]; seconds: number }> {
  const { model, batch: B } = s;
  const size = data.size;
  const frame = 3 * size * size;
  const init = initMcJepa(keyFromSeed(s.seed), model) as unknown as Tree<HostTensor>;
  let started = performance.now();
  const step = await compileTrainStep(
    (p, b) => mcJepaLoss(mcJepaModel(p as unknown as McJepaParams<Tensor>, model), b, s.loss),
    init,
    adamw({ lr: s.lr, weightDecay: 0 }),
    {
      frames: { shape: [B, 2, 3, size, size] },
      viewA: { shape: [B, 3, size, size] },
      viewB: { shape: [B, 3, size, size] },
    },
    { backend: opts.backend },
  );
  const rng = new Random(deriveSeed(s.seed, 1));
  const rand = () => rng.float();
  const losses: number[] = [];
  for (let i = 0; i < s.steps; i++) {
    const frames = new Float32Array(B * 2 * frame);
    const viewA = new Float32Array(B * frame);
    const viewB = new Float32Array(B * frame);
    for (let b = 0; b < B; b++) {
      const e = rng.int(data.episodes);
      const t = rng.int(data.steps);
      const base = (e * (data.steps + 1) + t) * frame;
      frames.set(data.frames.subarray(base, base + 2 * frame), b * 2 * frame);
      const one = data.frames.subarray(base, base + frame);
      viewA.set(augmentView(one, size, rand, s.augment), b * frame);
      viewB.set(augmentView(one, size, rand, s.augment), b * frame);
    }
    const shape = [B, 3, size, size];
    const r = await step.run({
      frames: hostTensor([B, 2, 3, size, size], frames),
      viewA: hostTensor(shape, viewA),
      viewB: hostTensor(shape, viewB),
    });
    losses.push(r.loss);
    opts.onStep?.(i + 1, r.loss, r.terms);
    if (opts.onParams && opts.every && (i + 1) % opts.every === 0 && i + 1 < s.steps) {
      const paused = performance.now();
      await opts.onParams(i + 1, step.params());
      started += performance.now() - paused;
    }
  }
  const trained = step.params();
  await step.release();
  return { init, trained, losses, seconds: (performance.now() - started) / 1000 };
}

/** Flow end-point error of `params` over every consecutive pair of `data`'s clips. */
export async function flowError(
  params: Tree<HostTensor>,
  data: SpriteClips,
  config: McJepaConfig,
  backend: Backend,
): Promise<{ epe: number; zeroFlow: number }> {
  const s = data.size;
  const frame = 3 * s * s;
  const n = data.episodes * data.steps;
  const graph = await compile(
    (i) => {
      const p = asTensors(params);
      const flow = mcFlow(p, mcFeatures(p, i.from, config), mcFeatures(p, i.to, config), config);
      return upsampleFlow(flow, featureStride(config));
    },
    { from: { shape: [n, 3, s, s] }, to: { shape: [n, 3, s, s] } },
    backend,
  );
  const from = new Float32Array(n * frame);
  const to = new Float32Array(n * frame);
  const pairs: [number, number][] = [];
  for (let e = 0; e < data.episodes; e++) {
    for (let t = 0; t < data.steps; t++) {
      const base = (e * (data.steps + 1) + t) * frame;
      from.set(data.frames.subarray(base, base + frame), pairs.length * frame);
      to.set(data.frames.subarray(base + frame, base + 2 * frame), pairs.length * frame);
      pairs.push([e, t]);
    }
  }
  const shape = [n, 3, s, s];
  const flow = (await graph.run({ from: hostTensor(shape, from), to: hostTensor(shape, to) })).output;
  await graph.release();
  const { epe, zeroFlow } = endPointError(data, pairs, flow.data as Float32Array);
  return { epe, zeroFlow };
}

/** Pooled content features [episodes, C'] of every episode's first frame. */
export async function contentFeatures(
  params: Tree<HostTensor>,
  data: SpriteClips,
  config: McJepaConfig,
  backend: Backend,
): Promise<Float32Array> {
  const s = data.size;
  const frame = 3 * s * s;
  const n = data.episodes;
  const frames = new Float32Array(n * frame);
  for (let e = 0; e < n; e++)
    frames.set(
      data.frames.subarray(e * (data.steps + 1) * frame, (e * (data.steps + 1) + 1) * frame),
      e * frame,
    );
  const graph = await compile(
    (i) => mcContent(mcFeatures(asTensors(params), i.frames, config)),
    { frames: { shape: [n, 3, s, s] } },
    backend,
  );
  const out = (await graph.run({ frames: hostTensor([n, 3, s, s], frames) })).output.data as Float32Array;
  await graph.release();
  return out;
}

export interface McJepaProbeReport {
  protocol: string;
  settings: McJepaProbeSettings;
  seeds: number[];
  metrics: Record<string, number>;
  ci95: Record<string, [number, number]>;
  /** Accuracy of the probe on each extra random initialisation (seeds seed+1, seed+2, ...). */
  untrainedAccuracies: number[];
  classNames: string[];
  /** Probe accuracy during training (settings.probeEvery), ending with the trained encoder's. */
  probeCurve: { step: number; accuracy: number }[];
  losses: number[];
}

/** Steps 1-3 of the outline: train, then flow error and content probes with their baselines. */
export async function evaluateMcJepaProbe(
  settings: Partial<McJepaProbeSettings>,
  opts: {
    backend: Backend;
    protocol?: string;
    onStep?: (step: number, loss: number, terms: Record<string, number>) => void;
  },
): Promise<McJepaProbeReport> {
  const s: McJepaProbeSettings = { ...MC_PROBE_DEFAULTS, ...settings };
  const { backend } = opts;
  const size = s.model.observation[1];
  const clips = (episodes: number, steps: number, stream: number) =>
    spriteClips(episodes, steps, {
      size,
      shapes: s.shapes,
      radiusRange: s.radiusRange,
      seed: deriveSeed(s.seed, stream),
    });
  const train = clips(s.trainEpisodes, s.episodeSteps, 1);
  const flowTest = clips(s.flowEpisodes, s.episodeSteps, 2);
  const probeTrain = clips(s.probeTrainEpisodes, 0, 3);
  const probeTest = clips(s.probeTestEpisodes, 0, 4);
  const classes = s.shapes.length;
  const d = s.model.channels[s.model.channels.length - 1];

  const probeCurve: { step: number; accuracy: number }[] = [];
  const run = await trainMcJepa(train, s, {
    backend,
    onStep: opts.onStep,
    every: s.probeEvery,
    onParams: async (step, params) => {
      probeCurve.push({ step, accuracy: (await probeOf(params)).accuracy });
    },
  });
  async function probeOf(params: Tree<HostTensor>) {
    return linearProbe(
      await contentFeatures(params, probeTrain, s.model, backend),
      probeTrain.shape,
      await contentFeatures(params, probeTest, s.model, backend),
      probeTest.shape,
      d,
      classes,
    );
  }
  const trained = await probeOf(run.trained);
  probeCurve.push({ step: s.steps, accuracy: trained.accuracy });
  const untrained = await probeOf(run.init);
  const others: number[] = [];
  for (let k = 1; k <= s.untrainedSeeds; k++)
    others.push(
      (await probeOf(initMcJepa(keyFromSeed(s.seed + k), s.model) as unknown as Tree<HostTensor>)).accuracy,
    );
  const shortcut = linearProbe(
    shortcutFeatures(probeTrain),
    probeTrain.shape,
    shortcutFeatures(probeTest),
    probeTest.shape,
    4,
    classes,
  );
  const { b, c } = discordantPairs(trained.correct, untrained.correct);
  const counts = Array.from({ length: classes }, (_, k) => probeTest.shape.filter((v) => v === k).length);
  const flowTrained = await flowError(run.trained, flowTest, s.model, backend);
  const flowInit = await flowError(run.init, flowTest, s.model, backend);
  const untrainedAll = [untrained.accuracy, ...others];
  return {
    protocol: opts.protocol ?? "mc-jepa-sprites",
    settings: s,
    seeds: [s.seed],
    metrics: {
      flow_epe: flowTrained.epe,
      flow_epe_zero_flow: flowTrained.zeroFlow,
      flow_epe_untrained: flowInit.epe,
      probe_accuracy: trained.accuracy,
      probe_accuracy_untrained: untrained.accuracy,
      probe_accuracy_untrained_mean: untrainedAll.reduce((a, v) => a + v, 0) / untrainedAll.length,
      probe_accuracy_untrained_max: Math.max(...untrainedAll),
      probe_accuracy_shortcut: shortcut.accuracy,
      probe_chance: Math.max(...counts) / probeTest.episodes,
      probe_margin_over_untrained: trained.accuracy - untrained.accuracy,
      probe_mcnemar_p: mcnemarExact(b, c),
      train_seconds: run.seconds,
      final_loss: run.losses.slice(-50).reduce((a, v) => a + v, 0) / Math.min(50, run.losses.length),
    },
    ci95: {
      probe_accuracy: trained.ci95,
      probe_accuracy_untrained: untrained.ci95,
      probe_accuracy_shortcut: shortcut.ci95,
    },
    untrainedAccuracies: others,
    classNames: probeTest.classNames,
    probeCurve,
    losses: run.losses,
  };
}
