// Protocol P3 (PROTOCOLS.md): when does LeJEPA identify the latents of a world? For each seed:
//   1. sample pairs (x, x') of the Gaussian-latent world: z ~ N(0, I_n) (or a generalised
//      normal of shape alpha), z' one Ornstein-Uhlenbeck step away, x = g(z) through a mixing;
//   2. train an encoder MLP n -> 256 x4 -> n on the two views of each pair with
//      lambda * regulariser + (1 - lambda) * alignment (SIGReg; whitening or InfoNCE baselines);
//   3. embed 10 000 held-out points h = f(x) and compare with their latents z:
//      linear R^2 both ways, orthogonality error of the fitted map z -> h, Procrustes error,
//      and ||Cov(h) - I||_F;
//   4. report the mean over seeds with a 95% t-interval.
// Training itself is passed in (`train` from src/train/node.ts) so this file stays browser-safe.
import {
  type Backend,
  compile,
  constant,
  foldIn,
  type HostTensor,
  hostTensor,
  keyFromSeed,
  mapTree,
  ops,
  type Tensor,
  type Tree,
} from "../engine/index.ts";
import { type Mixing, sampleGaussianLatent } from "../envs/index.ts";
import { initMlp, type MlpConfig, type MlpParams, mlp } from "../nn/index.ts";
import { gaussianInfoNce, lejepaLoss, sampleSlices, whiteningPenalty } from "../objectives/index.ts";
import { adamw, type Schedule } from "../optim/index.ts";
import type { LogRecord, TrainOptions, TrainResult, TrainSpec } from "../train/node.ts";
import { covarianceError, fitLinear, orthogonalityError, procrustes } from "./linear-fit.ts";
import { meanOf } from "./stats.ts";

export type P3Regulariser = "sigreg" | "whitening" | "infonce";

export interface P3Settings {
  /** Latent (and observation, and embedding) dimension n. */
  n: number;
  /** Shape of the generalised-normal latents; 2 is the Gaussian. */
  alpha: number;
  rho: number;
  mixing: Mixing;
  hidden: number;
  depth: number;
  regulariser: P3Regulariser;
  /** Weight of the regulariser; 0 leaves alignment alone (which collapses). */
  lambda: number;
  numSlices: number;
  knots: number;
  /** InfoNCE kernel width. */
  temperature: number;
  batch: number;
  steps: number;
  lr: number;
  weightDecay: number;
  evalPoints: number;
}

export const P3_DEFAULTS: P3Settings = {
  n: 2,
  alpha: 2,
  rho: 0.95,
  mixing: "spiral",
  hidden: 256,
  depth: 4,
  regulariser: "sigreg",
  lambda: 1e-3,
  numSlices: 256,
  knots: 17,
  temperature: 1,
  batch: 256,
  steps: 20_000,
  lr: 3e-3,
  weightDecay: 0.01,
  evalPoints: 10_000,
};

/** Per-seed P3 metrics (the keys of report.json's `metrics`). */
export interface P3Metrics {
  r2_h_to_z: number;
  r2_z_to_h: number;
  orthogonality_error: number;
  procrustes_error: number;
  covariance_error: number;
  [name: string]: number;
}

export interface P3SeedResult {
  seed: number;
  metrics: P3Metrics;
  /** Collapse monitor at the end of training (effective rank, std, warning). */
  final?: LogRecord;
  stepsPerSecond: number;
}

export interface P3Report {
  protocol: string;
  settings: P3Settings;
  seeds: number[];
  metrics: Record<string, number>;
  ci95: Record<string, [number, number]>;
  perSeed: P3SeedResult[];
}

/** Learning rate constant at `peak` for the first half of `totalSteps`, then cosine to 0. */
export function constantThenCosine(peak: number, totalSteps: number): Schedule {
  const half = totalSteps / 2;
  return (step) => {
    const progress = ops.minimum(ops.maximum(ops.div(ops.sub(step, half), totalSteps - half), 0), 1);
    return ops.mul(ops.add(ops.cos(ops.mul(progress, Math.PI)), 1), 0.5 * peak);
  };
}

const encoderConfig = (s: P3Settings): MlpConfig => ({
  inDim: s.n,
  hidden: Array.from({ length: s.depth }, () => s.hidden),
  outDim: s.n,
  activation: "gelu",
});

/** The P3 loss on embeddings z [2, B, n]: lambda * regulariser + (1 - lambda) * alignment. */
function p3Loss(z: Tensor, slices: Tensor, s: P3Settings): { loss: Tensor; terms: Record<string, Tensor> } {
  if (s.regulariser === "sigreg")
    return lejepaLoss(z, slices, { lambda: s.lambda, pooled: true, knots: s.knots });
  const invariance = ops.mean(ops.sub(ops.mean(z, 0, true), z).square());
  const reg =
    s.regulariser === "whitening" ? whiteningPenalty(z) : gaussianInfoNce(z, { temperature: s.temperature });
  const loss = ops.add(ops.mul(invariance, 1 - s.lambda), ops.mul(reg, s.lambda));
  return { loss, terms: { invariance, [s.regulariser]: reg } };
}

/** Observations of a P3 world as float32 rows [count, n], with their latents. */
function world(seed: number, count: number, s: P3Settings) {
  return sampleGaussianLatent(seed, count, { n: s.n, alpha: s.alpha, rho: s.rho, mixing: s.mixing });
}

/**
 * The training run of one P3 seed: encoder parameters, the loss on views [2, B, n] of fresh
 * pairs each step (a pure function of seed and step), fresh slices each step, and a probe of
 * 1024 fixed points for the collapse monitors.
 */
export function buildP3Run(seed: number, s: P3Settings, backend: Backend): TrainSpec {
  const config = encoderConfig(s);
  const key = keyFromSeed(seed);
  const { batch: B, n } = s;
  const probeData = world(seed + 500_000, 1024, s);
  return {
    params: { encoder: initMlp(foldIn(key, 0), config) } as unknown as Tree<HostTensor>,
    loss: (p, batch) => {
      const encoder = (p as unknown as { encoder: MlpParams<Tensor> }).encoder;
      return p3Loss(mlp(encoder, batch.views, config), batch.slices, s);
    },
    optimizer: adamw({ lr: constantThenCosine(s.lr, s.steps), weightDecay: s.weightDecay }),
    batchSpec: { views: { shape: [2, B, n] }, slices: { shape: [n, s.numSlices] } },
    batch(step) {
      const pairs = world(seed * 1_000_003 + step + 1, B, s);
      const views = new Float32Array(2 * B * n);
      views.set(pairs.x);
      views.set(pairs.xNext, B * n);
      return {
        views: hostTensor([2, B, n], views),
        slices: sampleSlices(foldIn(foldIn(key, 1), step), n, s.numSlices),
      };
    },
    async probe(params) {
      const h = await embedP3(params, probeData.x, 1024, s, backend);
      return { data: h, n: 1024, d: n };
    },
  };
}

/** Embeddings h = f(x) [count, n] of observations x [count, n] under encoder parameters. */
export async function embedP3(
  params: Tree<HostTensor>,
  x: Float64Array,
  count: number,
  s: P3Settings,
  backend: Backend,
): Promise<Float32Array> {
  const config = encoderConfig(s);
  const weights = (params as unknown as { encoder: MlpParams<HostTensor> }).encoder;
  const graph = await compile(
    (i) => mlp(mapTree(weights as never, (t) => constant(t as HostTensor)) as MlpParams<Tensor>, i.x, config),
    { x: { shape: [count, s.n] } },
    backend,
  );
  const out = await graph.run({ x: hostTensor([count, s.n], Float32Array.from(x)) });
  await graph.release();
  return Float32Array.from(Object.values(out)[0].data as Float32Array);
}

/** The P3 metrics of embeddings h [N, n] against latents z [N, n]. */
export function identifiabilityMetrics(
  h: ArrayLike<number>,
  z: ArrayLike<number>,
  count: number,
  n: number,
): P3Metrics {
  const toZ = fitLinear(h, z, count, n, n);
  const toH = fitLinear(z, h, count, n, n);
  return {
    r2_h_to_z: toZ.r2,
    r2_z_to_h: toH.r2,
    orthogonality_error: orthogonalityError(toH.weights, n, n),
    procrustes_error: procrustes(z, h, count, n).error,
    covariance_error: covarianceError(h, count, n),
  };
}

/** Mean and 95% t-interval (Student t, n - 1 degrees of freedom) of a few values. */
export function tInterval(xs: readonly number[]): [number, number] {
  const m = meanOf(xs);
  if (xs.length < 2) return [m, m];
  const T975 = [12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262];
  const sd = Math.sqrt(xs.reduce((a, v) => a + (v - m) ** 2, 0) / (xs.length - 1));
  const t = T975[xs.length - 2] ?? 1.96;
  const half = (t * sd) / Math.sqrt(xs.length);
  return [m - half, m + half];
}

export interface P3Options {
  backend: Backend;
  /** The training loop (`train` from src/train/node.ts). */
  train: (spec: TrainSpec, opts: TrainOptions) => Promise<TrainResult>;
  seeds?: number[];
  /** Report name (default "p3-identifiability"; "-quick" for reduced settings). */
  protocol?: string;
  monitorEvery?: number;
  onLog?: (seed: number, record: LogRecord) => void;
}

/** Runs P3 over seeds: train, embed held-out points, measure, aggregate. */
export async function evaluateP3(settings: Partial<P3Settings>, opts: P3Options): Promise<P3Report> {
  const { backend, train, seeds = [0, 1, 2], protocol = "p3-identifiability", onLog } = opts;
  const s = { ...P3_DEFAULTS, ...settings };
  const monitorEvery = opts.monitorEvery ?? Math.max(1, Math.floor(s.steps / 10));
  const perSeed: P3SeedResult[] = [];
  for (const seed of seeds) {
    const spec = buildP3Run(seed, s, backend);
    const result = await train(spec, {
      steps: s.steps,
      backend,
      monitorEvery,
      logEvery: monitorEvery,
      onLog: (r) => onLog?.(seed, r),
    });
    const heldOut = world(seed + 900_000, s.evalPoints, s);
    const h = await embedP3(result.trainStep.params(), heldOut.x, s.evalPoints, s, backend);
    await result.trainStep.release();
    const final = result.history.at(-1);
    perSeed.push({
      seed,
      metrics: identifiabilityMetrics(h, heldOut.z, s.evalPoints, s.n),
      final,
      stepsPerSecond: final?.stepsPerSecond ?? 0,
    });
  }
  const metrics: Record<string, number> = {};
  const ci95: Record<string, [number, number]> = {};
  for (const name of Object.keys(perSeed[0].metrics)) {
    const values = perSeed.map((r) => r.metrics[name]);
    metrics[name] = meanOf(values);
    ci95[name] = tInterval(values);
  }
  return { protocol, settings: s, seeds, metrics, ci95, perSeed };
}

// ---------------------------------------------------------------------------------------------
