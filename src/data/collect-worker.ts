// A collection worker thread: receives shard indices, writes each shard (atomically) and
// reports its manifest entry. See collect.ts.
import { parentPort, workerData } from "node:worker_threads";
import type { WorkerMessage, WorkerSetup } from "./collect.ts";
import { writeShard } from "./shard-files.ts";

const setup = workerData as WorkerSetup;
const port = parentPort!;
port.on("message", (k: number) => {
  const entry = writeShard(setup.out, setup.spec, setup.layout, k, (done) => {
    port.postMessage({ type: "episode", shard: k, done } satisfies WorkerMessage);
  });
  port.postMessage({ type: "shard", entry } satisfies WorkerMessage);
});
