// Node-only: imports an ONNX model from a file, with any external data files beside it (models
// saved with `save_as_external_data`, as every export over 2 GB is). Not in index.ts, which
// stays browser-safe; in a browser, pass `externalData` to importOnnx instead.
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { type OnnxImport, type OnnxImportOptions, importOnnx } from "./onnx-import.ts";

/** `importOnnx` on a file; external data locations resolve against the file's folder. */
export function importOnnxFile(path: string, opts: OnnxImportOptions = {}): OnnxImport {
  const dir = dirname(path);
  return importOnnx(readFileSync(path), {
    externalData: (location) => readFileSync(join(dir, location)),
    ...opts,
  });
}
