// Shared by the train-*.test.ts files: a tiny run config (16 px two-rooms, GRU predictor)
// that compiles and trains in about a second, and a way to run the real CLI.
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export const ROOT = join(import.meta.dirname, "..");
export const JEPA = join(ROOT, "bin", "jepa.mjs");

export function tinyConfig() {
  return {
    name: "tiny",
    env: { name: "two-rooms", options: { size: 16 } },
    data: { episodes: 16, steps: 8, seed: 1, policy: "explore" },
    model: {
      observation: [2, 16, 16],
      actionDim: 2,
      embedDim: 8,
      encoder: { kind: "conv", channels: [4, 8] },
      predictor: { kind: "gru" },
      inverseDynamicsHidden: 8,
    },
    loss: { regularizer: "sigreg", numSlices: 8 },
    train: { steps: 16, batch: 4, clipLength: 5, lr: 0.001, warmupSteps: 2, weightDecay: 0.00001, seed: 0 },
  };
}

export const tempDir = (prefix: string): string => mkdtempSync(join(tmpdir(), `jepa-${prefix}-`));

/** Runs `jepa ARGS` to completion. */
export function jepa(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [JEPA, ...args], { encoding: "utf8", cwd: ROOT });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Starts `jepa ARGS` in its own process group (so a kill reaches the launcher and the CLI). */
export function startJepa(args: string[]) {
  const child = spawn(process.execPath, [JEPA, ...args], { cwd: ROOT, detached: true, stdio: "ignore" });
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  return { child, exited, kill: (signal: NodeJS.Signals) => process.kill(-(child.pid as number), signal) };
}

/** mulberry32: a seeded generator for test schedules. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
