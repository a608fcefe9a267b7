// Safetensors files on disk (Node): written atomically (temporary file, then rename), read
// whole and validated by decodeSafetensors.
import { readFileSync } from "node:fs";
import { writeFileAtomic } from "./atomic-file.ts";
import {
  decodeSafetensors,
  encodeSafetensorsParts,
  type SafeTensor,
  SafetensorsError,
} from "./safetensors.ts";

/** Writes tensors and string metadata to `path` as safetensors; a crash leaves the old file or the new one. */
export function saveSafetensors(
  path: string,
  tensors: Record<string, SafeTensor>,
  metadata: Record<string, string> = {},
): void {
  writeFileAtomic(path, encodeSafetensorsParts(tensors, metadata));
}

/** Reads a safetensors file; a missing, truncated or malformed file throws a one-line SafetensorsError naming it. */
export function loadSafetensors(path: string): {
  tensors: Record<string, SafeTensor>;
  metadata: Record<string, string>;
} {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
    throw new SafetensorsError(`${path}: cannot read the file (${code})`);
  }
  return decodeSafetensors(bytes, path);
}
