// Benchmark workload `collect_two_rooms`: frames per second of two-rooms data collection at
// 64x64 to disk, end to end as `jepa collect --workers 2` does it (worker start-up, P1
// explorer, rendering, sha256, atomic shard and manifest writes). Target: >= 20 000 frames/s
// on 2 cores.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { collect } from "../src/data/node.ts";
import { median } from "./timing.ts";

export interface CollectBenchResult {
  workload: "collect_two_rooms";
  framesPerSecond: number;
  ms_median: number;
  ms_min: number;
  ms_max: number;
  reps: number;
}

/** Times `reps` collections of 2400 episodes x 17 frames (40 800 frames) with 2 workers. */
export async function benchCollectTwoRooms(opts: { reps?: number } = {}): Promise<CollectBenchResult> {
  const { reps = 3 } = opts;
  const episodes = 2400;
  const steps = 16; // P1 clips: 17 frames
  const frames = episodes * (steps + 1);
  const root = mkdtempSync(join(tmpdir(), "jepa-bench-collect-"));
  const samples: number[] = [];
  try {
    for (let rep = 0; rep < reps; rep++) {
      const out = join(root, `rep-${rep}`);
      const t0 = performance.now();
      await collect("two-rooms", { size: 64 }, "explore", { episodes, steps, seed: rep, workers: 2, out });
      samples.push(performance.now() - t0);
      rmSync(out, { recursive: true, force: true });
    }
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
  const ms = median(samples);
  return {
    workload: "collect_two_rooms",
    framesPerSecond: Math.round(frames / (ms / 1000)),
    ms_median: ms,
    ms_min: Math.min(...samples),
    ms_max: Math.max(...samples),
    reps,
  };
}

// Run directly: node --import tsx bench/collect-two-rooms.ts (set GLIBC_TUNABLES as bench/run.mjs does).
if (import.meta.url === `file://${process.argv[1]}`)
  console.log(JSON.stringify(await benchCollectTwoRooms()));
