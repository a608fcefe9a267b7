// The dataset manifest: what was collected (env, options, policy, seed), the per-episode
// shape and dtype of each field, and the finished shards with their sizes and checksums.
import { z } from "zod";

export const FORMAT = "jepa-ts/trajectories";
export const FORMAT_VERSION = 1;

/** Byte size of each supported dtype. */
export const DTYPE_BYTES = { uint8: 1, float32: 4 } as const;
export type Dtype = keyof typeof DTYPE_BYTES;

/** The fields of every shard, in byte order, with the dtype each must have. */
export const FIELDS = [
  ["observations", "uint8"],
  ["actions", "float32"],
  ["states", "float32"],
] as const;
export type FieldName = (typeof FIELDS)[number][0];

const field = z.object({
  dtype: z.string(),
  /** Shape of one episode's worth: observations [T+1, C, H, W], actions [T, A], states [T+1, S]. */
  shape: z.array(z.number().int().nonnegative()),
});

const shard = z.object({
  index: z.number().int().nonnegative(),
  file: z.string().regex(/^shard-\d{5}\.bin$/),
  /** Global episode range [start, end). */
  episodes: z.tuple([z.number().int().nonnegative(), z.number().int().nonnegative()]),
  bytes: z.number().int().nonnegative(),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
});

export const manifestSchema = z.object({
  format: z.literal(FORMAT),
  version: z.literal(FORMAT_VERSION),
  env: z.object({ name: z.string(), options: z.record(z.string(), z.unknown()) }),
  policy: z.string(),
  seed: z.number().int(),
  episodes: z.number().int().positive(),
  steps: z.number().int().positive(),
  shardEpisodes: z.number().int().positive(),
  stateNames: z.array(z.string()),
  fields: z.object({ observations: field, actions: field, states: field }),
  shards: z.array(shard),
  /** False while collection runs (or after a crash): only the listed shards exist. */
  complete: z.boolean(),
});

export type Manifest = z.infer<typeof manifestSchema>;
export type ShardEntry = z.infer<typeof shard>;

/** Number of shards a dataset has when complete. */
export function shardCount(m: Pick<Manifest, "episodes" | "shardEpisodes">): number {
  return Math.ceil(m.episodes / m.shardEpisodes);
}

/** Global episode range [start, end) of shard k. */
export function shardRange(m: Pick<Manifest, "episodes" | "shardEpisodes">, k: number): [number, number] {
  return [k * m.shardEpisodes, Math.min(m.episodes, (k + 1) * m.shardEpisodes)];
}

/** The file name of shard k. */
export function shardFile(k: number): string {
  return `shard-${String(k).padStart(5, "0")}.bin`;
}

/** Bytes of one episode of a field. */
export function fieldEpisodeBytes(m: Pick<Manifest, "fields">, name: FieldName): number {
  const f = m.fields[name];
  return f.shape.reduce((a, b) => a * b, 1) * (DTYPE_BYTES[f.dtype as Dtype] ?? Number.NaN);
}

/** Expected byte size of a shard holding `count` episodes: the fields back to back. */
export function shardBytes(m: Pick<Manifest, "fields">, count: number): number {
  return FIELDS.reduce((a, [name]) => a + count * fieldEpisodeBytes(m, name), 0);
}
