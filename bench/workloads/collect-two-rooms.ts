// collect_two_rooms: frames per second of two-rooms collection at 64x64 to disk with 2 workers
// (the body is bench/collect-two-rooms.ts; this wraps it as a workload of the suite).
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { collect } from "../../src/data/node.ts";
import type { Workload } from "../timing.ts";

const EPISODES = 2400;
const STEPS = 16;

export const collectTwoRooms: Workload = {
  name: "collect_two_rooms",
  reference: false,
  fixedReps: 2,
  units: { name: "frames", perRun: EPISODES * (STEPS + 1) },
  async setup() {
    const root = mkdtempSync(join(tmpdir(), "jepa-bench-collect-"));
    let rep = 0;
    return {
      async run() {
        const out = join(root, `rep-${rep}`);
        await collect("two-rooms", { size: 64 }, "explore", {
          episodes: EPISODES,
          steps: STEPS,
          seed: rep++,
          workers: 2,
          out,
        });
        rmSync(out, { recursive: true, force: true });
      },
      release: async () => rmSync(root, { recursive: true, force: true }),
    };
  },
};
