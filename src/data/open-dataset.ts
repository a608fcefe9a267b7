// Opening a dataset folder: the manifest is parsed and checked (schema, format, dtypes,
// shard list), then each shard (present, size, checksum). Every problem is a one-line
// DataError naming the file; a bad shard does not stop the others from loading on their own.
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { DataError } from "./data-error.ts";
import { type DatasetChunk, type DatasetInfo, datasetFromChunks, type TrajectoryDataset } from "./dataset.ts";
import { FIELDS, FORMAT, type Manifest, manifestSchema, shardCount, shardRange } from "./manifest.ts";
import { readShard } from "./shard-files.ts";

/** Reads and validates `dir/manifest.json` (not the shards). Throws a one-line DataError. */
export function readManifest(dir: string): Manifest {
  const path = join(dir, "manifest.json");
  if (!existsSync(path))
    throw new DataError(`${dir}: no manifest.json; is this a dataset folder made by jepa collect?`);
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(path, "utf8"));
  } catch (err) {
    throw new DataError(`${path}: not valid JSON (${(err as Error).message.split("\n")[0]})`);
  }
  const format = (json as { format?: unknown })?.format;
  if (format !== FORMAT)
    throw new DataError(`${path}: format is ${JSON.stringify(format)}, expected "${FORMAT}"`);
  const parsed = manifestSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new DataError(`${path}: invalid manifest at "${issue.path.join(".")}": ${issue.message}`);
  }
  const m = parsed.data;
  for (const [name, dtype] of FIELDS) {
    if (m.fields[name].dtype !== dtype) {
      throw new DataError(`${path}: wrong dtype for ${name}: "${m.fields[name].dtype}", expected "${dtype}"`);
    }
  }
  const { observations, actions, states } = m.fields;
  if (observations.shape.length !== 4 || observations.shape[0] !== m.steps + 1) {
    throw new DataError(
      `${path}: observations shape [${observations.shape}] is not [${m.steps + 1}, C, H, W]`,
    );
  }
  if (actions.shape.length !== 2 || actions.shape[0] !== m.steps) {
    throw new DataError(`${path}: actions shape [${actions.shape}] is not [${m.steps}, A]`);
  }
  if (states.shape.length !== 2 || states.shape[0] !== m.steps + 1) {
    throw new DataError(`${path}: states shape [${states.shape}] is not [${m.steps + 1}, S]`);
  }
  const total = shardCount(m);
  for (const s of m.shards) {
    const [a, b] = shardRange(m, s.index);
    if (s.index >= total || s.episodes[0] !== a || s.episodes[1] !== b) {
      throw new DataError(`${path}: shard ${s.file} lists episodes [${s.episodes}], expected [${a}, ${b})`);
    }
  }
  if (m.complete && m.shards.length !== total) {
    throw new DataError(`${path}: marked complete but lists ${m.shards.length} of ${total} shards`);
  }
  return m;
}

/** The DatasetInfo recorded in a manifest. */
export function infoOfManifest(m: Manifest): DatasetInfo {
  const [, c, h, w] = m.fields.observations.shape;
  return {
    env: m.env,
    policy: m.policy,
    seed: m.seed,
    steps: m.steps,
    observationShape: [c, h, w],
    actionDim: m.fields.actions.shape[1],
    stateDim: m.fields.states.shape[1],
    stateNames: m.stateNames,
  };
}

/** A dataset loaded from disk, with its manifest. */
export interface LoadedDataset extends TrajectoryDataset {
  manifest: Manifest;
  /** Indices of the shards loaded. */
  shards: number[];
}

export interface OpenDatasetOptions {
  /** Load only these shard indices (default: every listed shard). */
  shards?: number[];
}

/**
 * Opens a dataset folder, checking the manifest and every loaded shard. An incomplete
 * collection (crashed or still running) opens with the shards finished so far.
 */
export function openDataset(dir: string, opts: OpenDatasetOptions = {}): LoadedDataset {
  const manifest = readManifest(dir);
  const wanted = opts.shards ?? manifest.shards.map((s) => s.index);
  const chunks: DatasetChunk[] = [];
  for (const k of wanted) {
    const entry = manifest.shards.find((s) => s.index === k);
    if (!entry) throw new DataError(`${dir}: shard ${k} is not listed in manifest.json (not collected yet?)`);
    chunks.push({ first: entry.episodes[0], batch: readShard(dir, manifest, entry) });
  }
  return { ...datasetFromChunks(infoOfManifest(manifest), chunks), manifest, shards: wanted };
}

/** Per-shard validation of a dataset folder, for `jepa inspect`: every problem, not just the first. */
export interface DatasetReport {
  manifest: Manifest;
  problems: string[];
  goodShards: number[];
}

/** Validates the manifest (throws on a bad one) and each listed shard (collects problems). */
export function validateDataset(dir: string): DatasetReport {
  const manifest = readManifest(dir);
  const problems: string[] = [];
  const goodShards: number[] = [];
  for (const entry of manifest.shards) {
    try {
      readShard(dir, manifest, entry);
      goodShards.push(entry.index);
    } catch (err) {
      if (!(err instanceof DataError)) throw err;
      problems.push(err.message);
    }
  }
  return { manifest, problems, goodShards };
}
