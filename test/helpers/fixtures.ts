// Loading the PyTorch golden fixtures (../shared/fixtures beside the repository) and comparing.
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { type HostTensor, hostTensor } from "../../src/engine/index.ts";

export const repoRoot = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
export const fixturesDir = join(repoRoot, "..", "shared", "fixtures");
export const haveFixtures = existsSync(fixturesDir);

interface RawTensor {
  shape: number[];
  data: number[];
}
export interface Fixture {
  about: string;
  inputs: Record<string, RawTensor>;
  output?: RawTensor;
  upstream?: RawTensor;
  grads?: Record<string, RawTensor>;
  [key: string]: unknown;
}

export function loadFixture(name: string): Fixture {
  const path = join(fixturesDir, `${name}.json`);
  if (!existsSync(path))
    throw new Error(`fixture ${path} is missing: the golden fixtures live in ../shared/fixtures`);
  return JSON.parse(readFileSync(path, "utf8")) as Fixture;
}

export const asHost = (t: RawTensor, dtype: "float32" | "float64" = "float32"): HostTensor =>
  hostTensor(t.shape, t.data, dtype);

/** max |a - b| / max(max |b|, 1e-12): one number per comparison, robust to tiny entries. */
export function relError(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
  if (actual.length !== expected.length)
    throw new Error(`length ${actual.length} vs expected ${expected.length}`);
  let diff = 0;
  let scale = 1e-12;
  for (let i = 0; i < expected.length; i++) {
    diff = Math.max(diff, Math.abs(Number(actual[i]) - Number(expected[i])));
    scale = Math.max(scale, Math.abs(Number(expected[i])));
  }
  return diff / scale;
}
