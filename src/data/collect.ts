// Offline data collection to disk (Node): seeded episodes in shards, written atomically,
// in parallel over worker threads, resumable. Episode i depends only on (seed, i), and the
// manifest lists shards in index order with no timestamps, so the folder's bytes do not
// depend on the number of workers. The manifest is rewritten after each finished shard:
// a crash leaves the finished shards listed, valid and loadable, and a rerun resumes.
import { existsSync, mkdirSync, readdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { Worker } from "node:worker_threads";
import { writeFileAtomic } from "../engine/node.ts";
import { DataError } from "./data-error.ts";
import { type CollectSpec, describeSpec } from "./episodes.ts";
import {
  FORMAT,
  FORMAT_VERSION,
  type Manifest,
  type ShardEntry,
  shardBytes,
  shardCount,
} from "./manifest.ts";
import { readManifest } from "./open-dataset.ts";
import { readShard, writeShard } from "./shard-files.ts";

export interface CollectOptions {
  episodes: number;
  /** Actions per episode T (T + 1 frames). */
  steps: number;
  seed?: number;
  /** Worker threads (default 1: collect in this thread). */
  workers?: number;
  /** The dataset folder (created if missing; resumed if it holds the same collection). */
  out: string;
  /** Episodes per shard (default: shards of about 8 MB). */
  shardEpisodes?: number;
  /** Called with the number of finished episodes (resumed shards count as finished). */
  onProgress?: (episodesDone: number) => void;
}

export interface CollectResult {
  manifest: Manifest;
  /** Shards found valid on disk and kept, and shards collected now. */
  resumedShards: number;
  collectedShards: number;
}

/** JSON with object keys sorted at every level, so that key order never matters. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(",")}]`;
  if (value && typeof value === "object") {
    const entries = Object.entries(value).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(",")}}`;
  }
  return JSON.stringify(value);
}

/** The identity of a collection: two manifests with equal identities describe the same bytes. */
function identity(m: Manifest): string {
  const { shards: _s, complete: _c, ...rest } = m;
  return canonical(rest);
}

function writeManifest(dir: string, m: Manifest): void {
  m.shards.sort((a, b) => a.index - b.index);
  writeFileAtomic(join(dir, "manifest.json"), `${JSON.stringify(m, null, 2)}\n`);
}

/** Collects a dataset to `opts.out` and returns its manifest. */
export async function collect(
  envName: string,
  envOptions: Record<string, unknown>,
  policy: string,
  opts: CollectOptions,
): Promise<CollectResult> {
  const { episodes, steps, seed = 0, workers = 1, out, onProgress } = opts;
  if (!Number.isInteger(episodes) || episodes < 1)
    throw new Error(`episodes must be a positive integer, got ${episodes}`);
  if (!Number.isInteger(steps) || steps < 1)
    throw new Error(`steps must be a positive integer, got ${steps}`);
  const spec: CollectSpec = { env: envName, envOptions, policy, seed, steps };
  const described = describeSpec(spec);
  const episodeBytes = shardBytes(described, 1);
  // ~8 MB shards: big enough to amortise a file, small enough that buffers are recycled
  // rather than freshly page-faulted (64 MB shards collected at half the speed).
  const shardEpisodes =
    opts.shardEpisodes ?? Math.max(1, Math.min(episodes, Math.floor((8 << 20) / episodeBytes)));
  const manifest: Manifest = {
    format: FORMAT,
    version: FORMAT_VERSION,
    env: { name: envName, options: envOptions },
    policy,
    seed,
    episodes,
    steps,
    shardEpisodes,
    ...described,
    shards: [],
    complete: false,
  };
  mkdirSync(out, { recursive: true });
  // Leftover temporary files of a crashed run are never valid shards.
  for (const name of readdirSync(out))
    if (name.startsWith(".") && name.endsWith(".tmp")) rmSync(join(out, name));

  let resumed = 0;
  if (existsSync(join(out, "manifest.json"))) {
    const old = readManifest(out);
    if (identity(old) !== identity(manifest)) {
      throw new DataError(
        `${out} holds a different collection (env, options, policy, seed or sizes differ); choose another --out or delete it`,
      );
    }
    for (const entry of old.shards) {
      try {
        readShard(out, old, entry);
        manifest.shards.push(entry);
      } catch (err) {
        if (!(err instanceof DataError)) throw err; // a bad shard is collected again
      }
    }
    resumed = manifest.shards.length;
  }
  writeManifest(out, manifest);

  const total = shardCount(manifest);
  const todo = Array.from({ length: total }, (_, k) => k).filter(
    (k) => !manifest.shards.some((s) => s.index === k),
  );
  const doneEpisodes = new Map<number, number>();
  for (const s of manifest.shards) doneEpisodes.set(s.index, s.episodes[1] - s.episodes[0]);
  const report = () => onProgress?.([...doneEpisodes.values()].reduce((a, b) => a + b, 0));
  report();
  const finish = (entry: ShardEntry) => {
    manifest.shards.push(entry);
    writeManifest(out, manifest);
  };

  // This thread collects too (it would idle otherwise, and it starts at once while the
  // worker threads load); workers - 1 threads share the same queue of shards.
  const queue = todo.slice();
  const here = async () => {
    for (let k = queue.shift(); k !== undefined; k = queue.shift()) {
      const shard = k;
      finish(
        writeShard(out, spec, manifest, shard, (n) => {
          doneEpisodes.set(shard, n);
          report();
        }),
      );
      await new Promise((resolve) => setImmediate(resolve)); // let worker messages in
    }
  };
  const threads = Math.min(workers - 1, todo.length - 1);
  const pool =
    threads > 0
      ? runPool(threads, queue, { out, spec, layout: { episodes, shardEpisodes } }, (msg) => {
          if (msg.type === "episode") {
            doneEpisodes.set(msg.shard, msg.done);
            report();
          } else finish(msg.entry);
        })
      : undefined;
  await here();
  // Workers still loading when the queue ran dry have nothing to do: stop them now.
  pool?.stopIdle();
  await pool?.done;
  if (manifest.shards.length !== total) {
    throw new Error(`collection ended with ${manifest.shards.length} of ${total} shards; rerun to resume`);
  }
  manifest.complete = true;
  writeManifest(out, manifest);
  return { manifest, resumedShards: resumed, collectedShards: todo.length };
}

/** What a collection worker is told once, at start. */
export interface WorkerSetup {
  out: string;
  spec: CollectSpec;
  layout: { episodes: number; shardEpisodes: number };
}

export type WorkerMessage =
  | { type: "episode"; shard: number; done: number }
  | { type: "shard"; entry: ShardEntry };

/** Runs shard jobs on `count` worker threads, taking the next shard from `queue` as each finishes. */
function runPool(
  count: number,
  queue: number[],
  setup: WorkerSetup,
  onMessage: (m: WorkerMessage) => void,
): { done: Promise<void>; stopIdle(): void } {
  const pool: { worker: Worker; busy: boolean }[] = [];
  const done = new Promise<void>((resolve, reject) => {
    let live = count;
    let failed = false;
    const fail = (err: Error) => {
      if (failed) return;
      failed = true;
      for (const p of pool) void p.worker.terminate();
      reject(err);
    };
    for (let i = 0; i < count; i++) {
      // Workers run TypeScript through tsx's loader API: on Node 20, `--import tsx` in a
      // worker's execArgv does not reach the worker's own module loading.
      const entry = JSON.stringify(new URL("./collect-worker.ts", import.meta.url).href);
      const code = `import("tsx/esm/api").then((api) => api.tsImport(${entry}, ${JSON.stringify(import.meta.url)}))`;
      const slot = { worker: new Worker(code, { eval: true, workerData: setup }), busy: false };
      pool.push(slot);
      const next = () => {
        const k = queue.shift();
        slot.busy = k !== undefined;
        if (k === undefined) void slot.worker.terminate();
        else slot.worker.postMessage(k);
      };
      slot.worker.on("message", (m: WorkerMessage) => {
        onMessage(m);
        if (m.type === "shard") next();
      });
      slot.worker.on("error", fail);
      slot.worker.on("exit", () => {
        if (--live === 0 && !failed) resolve();
      });
      slot.worker.once("online", next);
    }
  });
  return {
    done,
    stopIdle() {
      for (const p of pool) if (!p.busy) void p.worker.terminate();
    },
  };
}
