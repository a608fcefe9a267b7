// Node-only public face of src/data: datasets on disk (collect with worker threads, open

// and validate), PNG files. index.ts stays browser-safe.
export { type CollectOptions, type CollectResult, collect } from "./collect.ts";
export { DataError } from "./data-error.ts";
export {
  type DatasetReport,
  infoOfManifest,
  type LoadedDataset,
  type OpenDatasetOptions,
  openDataset,
  readManifest,
  validateDataset,
} from "./open-dataset.ts";
export { decodePng, encodePng } from "./png.ts";
export { readShard, sha256, writeShard } from "./shard-files.ts";
