// Trains MC-JEPA on bouncing-sprites clips and measures it: flow end-point error on sprite
// pixels against the zero-flow baseline, and a linear probe of the sprite's shape from the
// pooled content features (trained encoder and, for reference, its random initialisation).
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
} from "../src/engine/index.ts";
import { mcJepaLoss } from "../src/objectives/index.ts";
import { adamw } from "../src/optim/index.ts";
import {
  initMcJepa,
  type McJepaConfig,
  type McJepaParams,
  mcContent,
  mcFeatures,
  mcFlow,
  mcJepaModel,
  upsampleFlow,
} from "../src/world/index.ts";
import { augment, endPointError, type SpriteClips } from "./mc-jepa-data.ts";
import { seededRandom } from "./train-helpers.ts";

export const MC_CONFIG: McJepaConfig = {
  observation: [3, 32, 32],
  channels: [16, 32],
  flowHidden: 32,
  projector: [64, 64],
};

const asTensors = (p: Tree<HostTensor>) =>
  mapTree(p, (t) =>
    constant({ ...t, data: t.data.slice() } as HostTensor),
  ) as unknown as McJepaParams<Tensor>;

/** Ridge one-vs-rest classifier fit on the first half, accuracy on the second half. */
export function probeAccuracy(x: Float32Array, labels: Int32Array, dim: number, classes = 2): number {
  const n = labels.length;
  const half = Math.floor(n / 2);
  const d = dim + 1;
  const row = (i: number) => [...Array.from(x.subarray(i * dim, (i + 1) * dim)), 1];
  // Standardise with the training half's statistics.
  const mean = new Float64Array(dim);
  const sd = new Float64Array(dim);
  for (let i = 0; i < half; i++) for (let k = 0; k < dim; k++) mean[k] += x[i * dim + k] / half;
  for (let i = 0; i < half; i++)
    for (let k = 0; k < dim; k++) sd[k] += (x[i * dim + k] - mean[k]) ** 2 / half;
  const z = (i: number) => row(i).map((v, k) => (k < dim ? (v - mean[k]) / Math.sqrt(sd[k] + 1e-8) : 1));
  const a = Array.from({ length: d }, (_, i) =>
    new Float64Array(d).fill(0).map((_, j) => (i === j ? 1e-2 : 0)),
  );
  const rhs = Array.from({ length: classes }, () => new Float64Array(d));
  for (let i = 0; i < half; i++) {
    const r = z(i);
    for (let p = 0; p < d; p++) {
      for (let q = 0; q < d; q++) a[p][q] += r[p] * r[q];
      for (let c = 0; c < classes; c++) rhs[c][p] += r[p] * (labels[i] === c ? 1 : -1);
    }
  }
  const weights = rhs.map((b) => solve(a, b));
  let correct = 0;
  for (let i = half; i < n; i++) {
    const r = z(i);
    const scores = weights.map((w) => w.reduce((s, v, k) => s + v * r[k], 0));
    if (scores.indexOf(Math.max(...scores)) === labels[i]) correct++;
  }
  return correct / (n - half);
}

function solve(a: Float64Array[], b: Float64Array): Float64Array {
  const n = b.length;
  const m = a.map((r, i) => [...r, b[i]]);
  for (let c = 0; c < n; c++) {
    let p = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(m[r][c]) > Math.abs(m[p][c])) p = r;
    [m[c], m[p]] = [m[p], m[c]];
    for (let r = 0; r < n; r++) {
      if (r === c) continue;
      const f = m[r][c] / m[c][c];
      for (let k = c; k <= n; k++) m[r][k] -= f * m[c][k];
    }
  }
  return Float64Array.from({ length: n }, (_, i) => m[i][n] / m[i][i]);
}

export interface McJepaResult {
  losses: number[];
  epe: number;
  zeroFlow: number;
  initEpe: number;
  probe: number;
  initProbe: number;
  seconds: number;
}

/** Trains on `train` clips, evaluates on `test` clips (different episodes). */
export async function runMcJepa(
  train: SpriteClips,
  test: SpriteClips,
  opts: { steps: number; batch: number; lr?: number; seed?: number; backend: Backend },
): Promise<McJepaResult> {
  const { steps, batch: B, lr = 2e-3, seed = 0, backend } = opts;
  const config = MC_CONFIG;
  const frame = 3 * train.size * train.size;
  const init = initMcJepa(keyFromSeed(seed), config) as unknown as Tree<HostTensor>;
  const started = performance.now();
  const trainStep = await compileTrainStep(
    (p, batch) => mcJepaLoss(mcJepaModel(p as unknown as McJepaParams<Tensor>, config), batch),
    init,
    adamw({ lr, weightDecay: 0 }),
    {
      frames: { shape: [B, 2, 3, train.size, train.size] },
      viewA: { shape: [B, 3, train.size, train.size] },
      viewB: { shape: [B, 3, train.size, train.size] },
    },
    { backend },
  );
  const rand = seededRandom(seed + 1);
  const losses: number[] = [];
  for (let step = 0; step < steps; step++) {
    const frames = new Float32Array(B * 2 * frame);
    const viewA = new Float32Array(B * frame);
    const viewB = new Float32Array(B * frame);
    for (let b = 0; b < B; b++) {
      const e = Math.floor(rand() * train.episodes);
      const t = Math.floor(rand() * train.steps);
      const base = (e * (train.steps + 1) + t) * frame;
      frames.set(train.frames.subarray(base, base + 2 * frame), b * 2 * frame);
      const one = train.frames.subarray(base, base + frame);
      viewA.set(augment(one, train.size, rand), b * frame);
      viewB.set(augment(one, train.size, rand), b * frame);
    }
    const s = [B, 3, train.size, train.size];
    const r = await trainStep.run({
      frames: hostTensor([B, 2, ...s.slice(1)], frames),
      viewA: hostTensor(s, viewA),
      viewB: hostTensor(s, viewB),
    });
    losses.push(r.loss);
  }
  const trained = trainStep.params();
  await trainStep.release();
  const seconds = (performance.now() - started) / 1000;
  const [trainedEval, initEval] = [
    await evaluate(trained, test, backend),
    await evaluate(init, test, backend),
  ];
  return {
    losses,
    epe: trainedEval.epe,
    zeroFlow: trainedEval.zeroFlow,
    initEpe: initEval.epe,
    probe: trainedEval.probe,
    initProbe: initEval.probe,
    seconds,
  };
}

/** Flow EPE over every pair of the test clips, and the shape probe on their first frames. */
async function evaluate(params: Tree<HostTensor>, data: SpriteClips, backend: Backend) {
  const config = MC_CONFIG;
  const s = data.size;
  const frame = 3 * s * s;
  const n = data.episodes * data.steps;
  const stride = 2 ** (config.channels.length - 1);
  const flowGraph = await compile(
    (i) => {
      const p = asTensors(params);
      return upsampleFlow(
        mcFlow(p, mcFeatures(p, i.from, config), mcFeatures(p, i.to, config), config),
        stride,
      );
    },
    { from: { shape: [n, 3, s, s] }, to: { shape: [n, 3, s, s] } },
    backend,
  );
  const from = new Float32Array(n * frame);
  const to = new Float32Array(n * frame);
  const pairs: [number, number][] = [];
  for (let e = 0; e < data.episodes; e++) {
    for (let t = 0; t < data.steps; t++) {
      const i = pairs.length;
      const base = (e * (data.steps + 1) + t) * frame;
      from.set(data.frames.subarray(base, base + frame), i * frame);
      to.set(data.frames.subarray(base + frame, base + 2 * frame), i * frame);
      pairs.push([e, t]);
    }
  }
  const flow = (
    await flowGraph.run({ from: hostTensor([n, 3, s, s], from), to: hostTensor([n, 3, s, s], to) })
  ).output;
  await flowGraph.release();
  const { epe, zeroFlow } = endPointError(data, pairs, flow.data as Float32Array);
  // Content probe: pooled features of every episode's first frames.
  const contentGraph = await compile(
    (i) => mcContent(mcFeatures(asTensors(params), i.frames, config)),
    { frames: { shape: [n, 3, s, s] } },
    backend,
  );
  const content = (await contentGraph.run({ frames: hostTensor([n, 3, s, s], from) })).output
    .data as Float32Array;
  await contentGraph.release();
  const labels = Int32Array.from(pairs, ([e]) => data.shape[e]);
  // Interleave episodes so both halves see every class and colour.
  const order = pairs.map((_, i) => i).sort((a, b) => (a % data.steps) - (b % data.steps) || a - b);
  const dim = config.channels[config.channels.length - 1];
  const x = new Float32Array(n * dim);
  order.forEach((src, dst) => {
    x.set(content.subarray(src * dim, (src + 1) * dim), dst * dim);
  });
  const probe = probeAccuracy(
    x,
    Int32Array.from(order, (i) => labels[i]),
    dim,
  );
  return { epe, zeroFlow, probe };
}
