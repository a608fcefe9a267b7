import { availableParallelism } from "node:os";
import * as ortNode from "onnxruntime-node";
import type { Backend } from "./backend.ts";
import { type OrtBackendOptions, type OrtModule, ortBackend } from "./ort-backend.ts";

let warned = false;
/** Warns once when the process lacks the malloc settings ONNX Runtime needs (DESIGN.md). */
export function checkProcessSettings(): void {
  if (warned || process.platform !== "linux") return;
  if (!(process.env.GLIBC_TUNABLES ?? "").includes("glibc.malloc.mmap_threshold")) {
    warned = true;
    process.emitWarning(
      "GLIBC_TUNABLES lacks glibc.malloc.mmap_threshold: ONNX Runtime steps may run ~4x slower. Start through `jepa` (bin/jepa.mjs) or set GLIBC_TUNABLES=glibc.malloc.mmap_threshold=4294967296:glibc.malloc.trim_threshold=4294967296 before node starts.",
    );
  }
}

/** ONNX Runtime for Node (CPU by default; pass executionProviders ["cuda"] where installed). */
export function nodeBackend(opts: OrtBackendOptions = {}): Backend {
  checkProcessSettings();
  // JEPA_PROFILE=1 writes ONNX Runtime profiles (.tmp/ortprof*.json) for `.tmp/prof.ts`-style analysis.
  const profiling = process.env.JEPA_PROFILE
    ? { sessionOptions: { enableProfiling: true, profileFilePrefix: ".tmp/ortprof", ...opts.sessionOptions } }
    : {};
  return ortBackend(ortNode as unknown as OrtModule, {
    intraOpThreads: availableParallelism(),
    ...opts,
    emit: { sumsAsProducts: true, ...opts.emit },
    ...profiling,
  });
}
