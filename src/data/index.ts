// Public face of src/data (see DESIGN.md): in-memory datasets, seeded collection, clip
// batches, the manifest format. Browser-safe; files and workers are in data/node.ts.

export { type ClipBatch, type SampleClipsOptions, sampleClips } from "./clips.ts";
export { DataError } from "./data-error.ts";
export {
  type CollectInMemoryOptions,
  collectInMemory,
  type DatasetChunk,
  type DatasetInfo,
  datasetFromChunks,
  type EpisodeView,
  infoOfSpec,
  type TrajectoryDataset,
} from "./dataset.ts";
export {
  type CollectSpec,
  collectEpisodes,
  describeSpec,
  type EpisodeBatch,
  encodeShard,
  episodeSeeds,
} from "./episodes.ts";
export {
  DTYPE_BYTES,
  FIELDS,
  FORMAT,
  FORMAT_VERSION,
  type Manifest,
  manifestSchema,
  type ShardEntry,
  shardBytes,
  shardCount,
  shardFile,
  shardRange,
} from "./manifest.ts";
export { frameStrip } from "./strip.ts";
