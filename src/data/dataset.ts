// A trajectory dataset in memory: loaded from disk by openDataset (data/node.ts) or
// collected directly by collectInMemory. Episodes are kept in chunks (one per shard).
import { type CollectSpec, collectEpisodes, describeSpec, type EpisodeBatch } from "./episodes.ts";

/** What a dataset holds, independent of where it lives. */
export interface DatasetInfo {
  env: { name: string; options: Record<string, unknown> };
  policy: string;
  seed: number;
  steps: number;
  observationShape: [number, number, number];
  actionDim: number;
  stateDim: number;
  stateNames: string[];
}

/** One episode, as views: observations `[T+1, C, H, W]`, actions `[T, A]`, states `[T+1, S]`. */
export interface EpisodeView {
  /** Global episode index in the collection (stable across partial loads). */
  index: number;
  observations: Uint8Array;
  actions: Float32Array;
  states: Float32Array;
}

export interface TrajectoryDataset {
  info: DatasetInfo;
  /** Number of loaded episodes. */
  episodes: number;
  /** Loaded episode `i` (0 <= i < episodes). */
  episode(i: number): EpisodeView;
}

/** A chunk of consecutive global episodes starting at `first`. */
export interface DatasetChunk {
  first: number;
  batch: EpisodeBatch;
}

/** Builds a dataset over chunks of episodes (in the order given). */
export function datasetFromChunks(info: DatasetInfo, chunks: DatasetChunk[]): TrajectoryDataset {
  const T = info.steps;
  const frame = info.observationShape.reduce((a, b) => a * b, 1);
  const A = info.actionDim;
  const S = info.stateDim;
  const starts: number[] = [];
  let total = 0;
  for (const c of chunks) {
    starts.push(total);
    total += c.batch.count;
  }
  return {
    info,
    episodes: total,
    episode(i) {
      if (!Number.isInteger(i) || i < 0 || i >= total)
        throw new RangeError(`episode ${i} out of range [0, ${total})`);
      let k = chunks.length - 1;
      while (starts[k] > i) k--;
      const { first, batch } = chunks[k];
      const j = i - starts[k];
      return {
        index: first + j,
        observations: batch.observations.subarray(j * (T + 1) * frame, (j + 1) * (T + 1) * frame),
        actions: batch.actions.subarray(j * T * A, (j + 1) * T * A),
        states: batch.states.subarray(j * (T + 1) * S, (j + 1) * (T + 1) * S),
      };
    },
  };
}

/** The DatasetInfo of a collection spec. */
export function infoOfSpec(spec: CollectSpec): DatasetInfo {
  const { fields, stateNames } = describeSpec(spec);
  const [, c, h, w] = fields.observations.shape;
  return {
    env: { name: spec.env, options: spec.envOptions },
    policy: spec.policy,
    seed: spec.seed,
    steps: spec.steps,
    observationShape: [c, h, w],
    actionDim: fields.actions.shape[1],
    stateDim: fields.states.shape[1],
    stateNames,
  };
}

export interface CollectInMemoryOptions {
  episodes: number;
  /** Actions per episode (frames per episode is steps + 1). */
  steps: number;
  seed?: number;
}

/**
 * Collects a dataset in memory (browser-safe: the web app and tests). Episode i is the same
 * as episode i of `collect` to disk with the same arguments.
 */
export function collectInMemory(
  envName: string,
  envOptions: Record<string, unknown>,
  policy: string,
  opts: CollectInMemoryOptions,
): TrajectoryDataset {
  const { episodes, steps, seed = 0 } = opts;
  const spec: CollectSpec = { env: envName, envOptions, policy, seed, steps };
  return datasetFromChunks(infoOfSpec(spec), [{ first: 0, batch: collectEpisodes(spec, 0, episodes) }]);
}
