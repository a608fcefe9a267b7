// Shards on disk: writing one (atomically, with its checksum) and reading one back with
// every check (present, size, checksum), each failure a one-line DataError naming the file.
import { createHash } from "node:crypto";
import { existsSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { writeFileAtomic } from "../engine/node.ts";
import { DataError } from "./data-error.ts";
import { type CollectSpec, collectEpisodes, type EpisodeBatch, encodeShard } from "./episodes.ts";
import {
  type FIELDS,
  fieldEpisodeBytes,
  type Manifest,
  type ShardEntry,
  shardBytes,
  shardFile,
  shardRange,
} from "./manifest.ts";

/** Hex sha256 of a list of byte chunks. */
export function sha256(parts: Uint8Array[]): string {
  const h = createHash("sha256");
  for (const p of parts) h.update(p);
  return h.digest("hex");
}

/** Collects shard k of a dataset and writes it atomically; returns its manifest entry. */
export function writeShard(
  dir: string,
  spec: CollectSpec,
  layout: Pick<Manifest, "episodes" | "shardEpisodes">,
  k: number,
  onEpisode?: (done: number) => void,
): ShardEntry {
  const [start, end] = shardRange(layout, k);
  const parts = encodeShard(collectEpisodes(spec, start, end, onEpisode));
  const file = shardFile(k);
  writeFileAtomic(join(dir, file), parts);
  return {
    index: k,
    file,
    episodes: [start, end],
    bytes: parts.reduce((a, p) => a + p.byteLength, 0),
    sha256: sha256(parts),
  };
}

/**
 * Reads and checks one listed shard: the file exists, has the size the shapes and dtypes
 * imply, and matches its checksum. Throws a DataError naming the shard and the problem.
 */
export function readShard(dir: string, manifest: Manifest, entry: ShardEntry): EpisodeBatch {
  const path = join(dir, entry.file);
  const where = `${path}`;
  const [start, end] = entry.episodes;
  const count = end - start;
  const expected = shardBytes(manifest, count);
  if (entry.bytes !== expected) {
    throw new DataError(
      `${where}: the manifest lists ${entry.bytes} bytes but its shapes and dtypes need ${expected}`,
    );
  }
  if (!existsSync(path))
    throw new DataError(`${where}: missing shard (listed in manifest.json, not on disk)`);
  const size = statSync(path).size;
  if (size < expected) throw new DataError(`${where}: truncated file: ${size} of ${expected} bytes`);
  if (size > expected) throw new DataError(`${where}: file too long: ${size} bytes, expected ${expected}`);
  const bytes = readFileSync(path);
  const digest = sha256([bytes]);
  if (digest !== entry.sha256) {
    throw new DataError(
      `${where}: checksum mismatch (sha256 ${digest.slice(0, 12)}…, manifest ${entry.sha256.slice(0, 12)}…): the file is corrupt`,
    );
  }
  // Copy each field out so that float arrays start 4-byte aligned.
  let offset = 0;
  const take = (name: (typeof FIELDS)[number][0]): ArrayBuffer => {
    const n = count * fieldEpisodeBytes(manifest, name);
    const out = bytes.buffer.slice(bytes.byteOffset + offset, bytes.byteOffset + offset + n) as ArrayBuffer;
    offset += n;
    return out;
  };
  return {
    count,
    observations: new Uint8Array(take("observations")),
    actions: new Float32Array(take("actions")),
    states: new Float32Array(take("states")),
  };
}
