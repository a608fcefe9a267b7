// ONNX import at the size people use as a frozen encoder: DINOv2 ViT-S/14 (224x224, 21.6M
// parameters, 87 MB) exported by PyTorch (scripts/dinov2-size-check.py, RANDOM weights from a
// fixed seed), imported by jepa-ts and run on ONNX Runtime through the engine, against PyTorch
// on the same frames and the same machine. Each measurement runs in a fresh process (clean
// peak RSS); ours and PyTorch's throughput runs alternate.
//   node --import tsx bench/dinov2-size-check.ts [--dir DIR] [--variants a,b] [--rounds N]
//        [--reps R] [--threads T] [--episodes E] [--skip compare,world] [--json FILE]
// (GLIBC_TUNABLES as scripts/env.mjs sets it; the children get it either way.)
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { collectInMemory } from "../src/data/index.ts";
import {
  compile,
  compileTrainStep,
  type HostTensor,
  hostTensor,
  keyFromSeed,
  type Tensor,
  type Tree,
} from "../src/engine/index.ts";
import { nodeBackend } from "../src/engine/node.ts";
import { importOnnxFile } from "../src/engine/onnx-import-file.ts";
import { adamw } from "../src/optim/index.ts";
import {
  embeddingCache,
  type FrozenWorldParams,
  frozenEncoder,
  frozenWorldLoss,
  IMAGENET_NORMALISATION,
  initFrozenWorld,
} from "../src/world/frozen-encoder.ts";
import { median } from "./timing.ts";

export const PYTHON = "/usr/bin/python3";
// ONNX Runtime's malloc settings (scripts/env.mjs, DESIGN.md "Process settings") for the children.
const TUNABLES = "glibc.malloc.mmap_threshold=4294967296:glibc.malloc.trim_threshold=4294967296";
const tunedEnv = () => ({
  ...process.env,
  GLIBC_TUNABLES: (process.env.GLIBC_TUNABLES ?? "").includes("mmap_threshold")
    ? process.env.GLIBC_TUNABLES
    : TUNABLES,
});
const SCRIPT = fileURLToPath(new URL("../scripts/dinov2-size-check.py", import.meta.url));
const SELF = fileURLToPath(import.meta.url);

export interface Manifest {
  model: string;
  parameters: number;
  frames: { file: string; shape: number[] };
  expected: Record<string, { file: string; shape: number[] }>;
  variants: { variant: string; file: string; opset: number; dynamicBatch: boolean; outputs: string[] }[];
  provenance: Record<string, string>;
  torch?: TorchBench;
}
interface TorchBench {
  loadSeconds: number;
  peakRssMB: number;
  interpreterRssMB: number;
  threads: number;
  batch1: { msPerFrame: Spread };
  batch16: { msPerFrame: Spread };
}
interface Spread {
  median: number;
  min: number;
  max: number;
  samples: number[];
}

/** Whether Debian's PyTorch and onnx are importable by /usr/bin/python3 (a reason if not). */
export function torchMissing(): string | undefined {
  const r = spawnSync(PYTHON, ["-c", "import torch, onnx"], { encoding: "utf8" });
  if (r.error) return `${PYTHON} is not there (${r.error.message})`;
  if (r.status !== 0)
    return `${PYTHON} cannot import torch and onnx (apt-get install python3-torch python3-onnx): ${r.stderr.trim().split("\n").pop()}`;
  return undefined;
}

/** Writes the ONNX files, frames and PyTorch outputs into `dir` (and PyTorch's timings with bench). */
export function generate(dir: string, variants: string[], bench = false, rounds = 5, niceness = 5): Manifest {
  mkdirSync(dir, { recursive: true });
  const args = [SCRIPT, "--out", dir, "--variants", variants.join(","), "--rounds", String(rounds)];
  const r = spawnSync("nice", ["-n", String(niceness), PYTHON, ...args, ...(bench ? ["--bench"] : [])], {
    encoding: "utf8",
  });
  if (r.status !== 0) throw new Error(`${SCRIPT} failed:\n${r.stderr}`);
  return readManifest(dir);
}
export const readManifest = (dir: string): Manifest =>
  JSON.parse(readFileSync(join(dir, "manifest.json"), "utf8")) as Manifest;

const floats = (path: string): Float32Array => {
  const b = readFileSync(path);
  return new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
};

export interface Errors {
  maxAbs: number;
  /** max |ours - torch| / max |torch| */
  rel: number;
}
const errors = (a: Float32Array, b: Float32Array): Errors => {
  let maxAbs = 0;
  let scale = 0;
  for (let i = 0; i < b.length; i++) {
    maxAbs = Math.max(maxAbs, Math.abs(a[i] - b[i]));
    scale = Math.max(scale, Math.abs(b[i]));
  }
  return { maxAbs, rel: maxAbs / scale };
};

export interface Comparison {
  variant: string;
  importMs: number;
  compileMs: number;
  firstRunMs: number;
  peakRssMB: number;
  errors: Record<string, Errors>;
}

/** Imports one variant at the frames' batch, runs it on ONNX Runtime, compares with PyTorch. */
export async function compareVariant(dir: string, variant: string): Promise<Comparison> {
  const manifest = readManifest(dir);
  const v = manifest.variants.find((x) => x.variant === variant);
  if (!v) throw new Error(`${variant} is not in ${dir}/manifest.json`);
  const shape = manifest.frames.shape;
  const t0 = performance.now();
  const model = importOnnxFile(join(dir, v.file), { batch: shape[0] });
  const t1 = performance.now();
  const f = await compile((i) => model.apply(i), { frames: { shape } }, nodeBackend());
  const t2 = performance.now();
  const out = await f.run({ frames: hostTensor(shape, floats(join(dir, manifest.frames.file))) });
  const t3 = performance.now();
  await f.release();
  const errs: Record<string, Errors> = {};
  for (const name of v.outputs)
    errs[name] = errors(out[name].data as Float32Array, floats(join(dir, manifest.expected[name].file)));
  return {
    variant,
    importMs: t1 - t0,
    compileMs: t2 - t1,
    firstRunMs: t3 - t2,
    peakRssMB: process.resourceUsage().maxRSS / 1024,
    errors: errs,
  };
}

/** Ours: load (import + compile) and ms per frame at batch 1 and 16, as the PyTorch child does. */
async function throughput(dir: string, variant: string, rounds: number, threads: number) {
  const backend = nodeBackend(threads > 0 ? { intraOpThreads: threads } : {});
  const manifest = readManifest(dir);
  const v = manifest.variants.find((x) => x.variant === variant);
  if (!v?.dynamicBatch) throw new Error(`throughput needs a dynamic-batch variant, not ${variant}`);
  const result: Record<string, unknown> = {};
  for (const batch of [1, 16]) {
    const t0 = performance.now();
    const model = importOnnxFile(join(dir, v.file), { batch });
    const shape = [batch, 3, 224, 224];
    const f = await compile((i) => ({ cls: model.apply(i).cls }), { frames: { shape } }, backend);
    const loadMs = performance.now() - t0;
    const x = hostTensor(
      shape,
      new Float32Array(batch * 3 * 224 * 224).map((_, i) => Math.sin(i)),
    );
    await f.run({ frames: x }); // warm-up
    const samples: number[] = [];
    for (let r = 0; r < (batch === 16 ? rounds : rounds * 4); r++) {
      const t = performance.now();
      await f.run({ frames: x });
      samples.push((performance.now() - t) / batch);
    }
    await f.release();
    result[`batch${batch}`] = { loadMs, msPerFrame: spread(samples) };
  }
  result.peakRssMB = process.resourceUsage().maxRSS / 1024;
  return result;
}

const spread = (samples: number[]): Spread => ({
  median: median(samples),
  min: Math.min(...samples),
  max: Math.max(...samples),
  samples,
});

/** The frozen-encoder world model at this size: cache two-rooms embeddings, train a predictor. */
async function world(dir: string, variant: string, episodes: number, steps: number) {
  const manifest = readManifest(dir);
  const v = manifest.variants.find((x) => x.variant === variant);
  if (!v?.dynamicBatch) throw new Error(`the world path needs a dynamic-batch variant, not ${variant}`);
  const data = collectInMemory("two-rooms", { size: 64 }, "explore", { episodes, steps, seed: 0 });
  const perEpisode = steps + 1;
  const [c, h, w] = data.info.observationShape;
  const frameSize = c * h * w;
  const frameOf = (key: number) => {
    const e = data.episode(Math.floor(key / perEpisode));
    const t = key % perEpisode;
    return e.observations.subarray(t * frameSize, (t + 1) * frameSize);
  };
  const t0 = performance.now();
  const frozen = frozenEncoder(importOnnxFile(join(dir, v.file), { batch: 16 }), {
    output: "cls",
    // two-rooms [2, 64, 64] uint8 (agent, walls) -> RGB (agent, walls, 0), 224x224, ImageNet-normalised
    adapter: { from: [c, h, w], resize: "bilinear", channels: [0, 1, -1], ...IMAGENET_NORMALISATION },
  });
  const encoder = await compile(
    (i) => frozen.encode(i.frames),
    { frames: { shape: [frozen.batch, ...frozen.frame] } },
    nodeBackend(),
  );
  const loadMs = performance.now() - t0;
  const cache = embeddingCache(
    async (frames) => (await encoder.run({ frames })).output.data as Float32Array,
    frozen,
  );
  const total = episodes * perEpisode;
  const t1 = performance.now();
  await cache.get(
    Array.from({ length: total }, (_, k) => k),
    frameOf,
  );
  const cacheMs = performance.now() - t1;
  await encoder.release();

  const D = frozen.embedDim;
  const A = 2;
  const B = 32;
  const L = 5;
  const fw = { embedDim: D, actionDim: A, predictor: { kind: "mlp" as const, hidden: 512, layers: 2 } };
  const trainStep = await compileTrainStep(
    (p, batch) =>
      frozenWorldLoss(
        p as unknown as FrozenWorldParams<Tensor>,
        { embeddings: batch.embeddings, actions: batch.actions },
        fw,
      ),
    initFrozenWorld(keyFromSeed(1), fw) as unknown as Tree<HostTensor>,
    adamw({ lr: 1e-3 }),
    { embeddings: { shape: [B, L, D] }, actions: { shape: [B, L - 1, A] } },
    { backend: nodeBackend() },
  );
  const losses: number[] = [];
  const stepMs: number[] = [];
  const trainSteps = 60;
  for (let step = 0; step < trainSteps + 5; step++) {
    const t = performance.now();
    const keys: number[] = [];
    const actions = new Float32Array(B * (L - 1) * A);
    for (let b = 0; b < B; b++) {
      const episode = (b * 7 + step) % episodes;
      const start = (step * 5 + b * 3) % (perEpisode - L + 1);
      for (let k = 0; k < L; k++) keys.push(episode * perEpisode + start + k);
      const acts = data.episode(episode).actions;
      actions.set(acts.subarray(start * A, (start + L - 1) * A), b * (L - 1) * A);
    }
    const embeddings = await cache.get(keys, frameOf); // all cached: no encoder run
    const r = await trainStep.run({
      embeddings: hostTensor([B, L, D], embeddings),
      actions: hostTensor([B, L - 1, A], actions),
    });
    losses.push(r.loss);
    if (step >= 5) stepMs.push(performance.now() - t); // 5 warm-up steps
  }
  await trainStep.release();
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  return {
    frames: total,
    encoderLoadMs: loadMs,
    cacheMsPerFrame: cacheMs / total,
    encodedOnce: cache.computed === total,
    predictor: { ...fw.predictor, batch: B, clip: L },
    stepMs: spread(stepMs),
    stepsPerSecond: 1000 / median(stepMs),
    loss: { first5: mean(losses.slice(0, 5)), last5: mean(losses.slice(-5)) },
    peakRssMB: process.resourceUsage().maxRSS / 1024,
  };
}

/** Runs a child of this script (fresh process) and returns the JSON it prints last. */
function child(dir: string, args: string[]): Record<string, unknown> {
  const node = [process.execPath, "--import", "tsx", SELF, "--dir", dir, "--child", ...args];
  const r = spawnSync("nice", ["-n", "5", ...node], {
    encoding: "utf8",
    env: tunedEnv(),
    maxBuffer: 1 << 26,
  });
  if (r.status !== 0) throw new Error(`child ${args.join(" ")} failed:\n${r.stderr}`);
  return JSON.parse(r.stdout.trim().split("\n").pop() as string);
}

function torchChild(dir: string, rounds: number, threads: number): TorchBench {
  const r = spawnSync(
    "nice",
    [
      "-n",
      "5",
      PYTHON,
      SCRIPT,
      "--out",
      dir,
      "--bench-child",
      "--rounds",
      String(rounds),
      "--threads",
      String(threads),
    ],
    { encoding: "utf8" },
  );
  if (r.status !== 0) throw new Error(`PyTorch bench failed:\n${r.stderr}`);
  return JSON.parse(r.stdout.trim().split("\n").pop() as string) as TorchBench;
}

const fmt = (s: Spread) => `${s.median.toFixed(1)} [${s.min.toFixed(1)}, ${s.max.toFixed(1)}]`;

async function main() {
  const { values } = parseArgs({
    options: {
      dir: { type: "string", default: join(tmpdir(), "jepa-dinov2-size-check") },
      variants: { type: "string", default: "op13-b4,op13-dyn,op17-b4,op17-dyn,op17-dyn-ext,op17-b4-patch" },
      rounds: { type: "string", default: "5" },
      reps: { type: "string", default: "2" },
      episodes: { type: "string", default: "8" },
      steps: { type: "string", default: "31" },
      json: { type: "string" },
      threads: { type: "string", default: "0" },
      skip: { type: "string", default: "" },
      child: { type: "boolean", default: false },
    },
    allowPositionals: true,
  });
  const dir = values.dir as string;
  const rounds = Number(values.rounds);
  if (values.child) {
    const [kind, variant, a, b, c] = process.argv.slice(process.argv.indexOf("--child") + 1);
    const result =
      kind === "compare"
        ? await compareVariant(dir, variant)
        : kind === "throughput"
          ? await throughput(dir, variant, Number(a), Number(c ?? 0))
          : await world(dir, variant, Number(a), Number(b));
    console.log(JSON.stringify(result));
    return;
  }
  const missing = torchMissing();
  if (missing) throw new Error(missing);
  const variants = (values.variants as string).split(",");
  const have = existsSync(join(dir, "manifest.json")) ? readManifest(dir) : undefined;
  const ready = have && variants.every((v) => have.variants.some((x) => x.variant === v));
  if (!ready) console.log(`generating ${variants.join(", ")} into ${dir} ...`);
  const manifest = ready && have ? have : generate(dir, variants);
  console.log(`${manifest.model}; ${(manifest.parameters / 1e6).toFixed(2)}M parameters`);

  const dyn = variants.includes("op17-dyn")
    ? "op17-dyn"
    : (variants.find((v) => v.endsWith("-dyn")) ?? "op17-dyn");
  const threads = Number(values.threads);
  const skip = (values.skip as string).split(",");
  const thr = threads > 0 ? `${threads} thread(s) each` : "all cores";
  if (!skip.includes("compare")) console.log("\naccuracy and load (each in a fresh process; batch 4):");
  const comparisons = skip.includes("compare")
    ? []
    : variants.map((v) => child(dir, ["compare", v]) as unknown as Comparison);
  for (const c of comparisons) {
    const e = Object.entries(c.errors)
      .map(([k, x]) => `${k} max abs ${x.maxAbs.toExponential(2)} rel ${x.rel.toExponential(2)}`)
      .join("; ");
    console.log(
      `  ${c.variant.padEnd(14)} import ${c.importMs.toFixed(0)} ms, compile ${c.compileMs.toFixed(0)} ms, first run ${c.firstRunMs.toFixed(0)} ms, peak RSS ${c.peakRssMB.toFixed(0)} MB; ${e}`,
    );
  }

  console.log(`\nthroughput (${dyn}, ${thr}; ours and PyTorch alternating, ${values.reps} reps):`);
  const ours: Record<string, unknown>[] = [];
  const torch: TorchBench[] = [];
  for (let r = 0; r < Number(values.reps); r++) {
    ours.push(child(dir, ["throughput", dyn, String(rounds), "", String(threads)]));
    torch.push(torchChild(dir, rounds, threads));
  }
  const pool = (xs: Spread[]) => spread(xs.flatMap((s) => s.samples));
  const summary: Record<string, unknown> = {};
  for (const batch of [1, 16]) {
    const o = pool(ours.map((x) => (x[`batch${batch}`] as { msPerFrame: Spread }).msPerFrame));
    const t = pool(torch.map((x) => (batch === 1 ? x.batch1 : x.batch16).msPerFrame));
    summary[`batch${batch}`] = { ours: o, torch: t };
    console.log(
      `  batch ${String(batch).padEnd(2)}: ours ${fmt(o)} ms/frame (${(1000 / o.median).toFixed(1)} frames/s); PyTorch ${fmt(t)} ms/frame (${(1000 / t.median).toFixed(1)} frames/s); ratio torch/ours ${(t.median / o.median).toFixed(2)}`,
    );
  }
  const loads = ours.map((x) => (x.batch16 as { loadMs: number }).loadMs);
  const torchLoads = torch.map((x) => x.loadSeconds * 1000);
  console.log(
    `  load: ours (import + compile, batch 16) ${loads.map((x) => x.toFixed(0)).join(", ")} ms; PyTorch (module + torch.load + load_state_dict) ${torchLoads.map((x) => x.toFixed(0)).join(", ")} ms`,
  );
  console.log(
    `  peak RSS (load, batch 1 and 16 runs): ours ${ours.map((x) => (x.peakRssMB as number).toFixed(0)).join(", ")} MB; PyTorch ${torch.map((x) => x.peakRssMB.toFixed(0)).join(", ")} MB (bare interpreter with torch ${torch[0].interpreterRssMB.toFixed(0)} MB)`,
  );

  const w = skip.includes("world")
    ? {}
    : child(dir, ["world", dyn, values.episodes as string, values.steps as string]);
  const ws = w.stepMs as Spread;
  if (!skip.includes("world"))
    console.log(`\nfrozen-encoder world model (${dyn}, two-rooms 64 px -> 224 bilinear):`);
  if (!skip.includes("world"))
    console.log(
      `  ${w.frames} frames cached at ${(w.cacheMsPerFrame as number).toFixed(1)} ms/frame (encoder load ${(w.encoderLoadMs as number).toFixed(0)} ms, each frame once: ${w.encodedOnce}); predictor ${JSON.stringify(w.predictor)}: ${fmt(ws)} ms/step, ${(w.stepsPerSecond as number).toFixed(1)} steps/s; loss ${JSON.stringify(w.loss)}; peak RSS ${(w.peakRssMB as number).toFixed(0)} MB`,
    );
  if (values.json)
    writeFileSync(
      values.json as string,
      `${JSON.stringify({ manifest, comparisons, throughput: { summary, ours, torch }, world: w }, null, 1)}\n`,
    );
}

if (process.argv[1] === SELF) await main();
