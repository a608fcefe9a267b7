// onnxruntime-web set up for this page: runtime files from our own origin, WASM threads when
// the page is cross-origin isolated (SharedArrayBuffer), WebGPU when asked for and present.
import * as ort from "onnxruntime-web";
import { type Backend, type OrtModule, ortBackend } from "../../src/engine/index.ts";
import type { ExecutionProvider, InitReply } from "./protocol.ts";

export interface Runtime extends InitReply {
  backend: Backend;
}

/** Threads for the WASM provider: they need SharedArrayBuffer; ORT defaults to 1 otherwise. */
function wasmThreads(): number {
  if (!globalThis.crossOriginIsolated) return 1;
  return Math.max(1, Math.min(4, navigator.hardwareConcurrency || 1));
}

async function hasWebGpu(): Promise<boolean> {
  const gpu = (navigator as Navigator & { gpu?: { requestAdapter(): Promise<unknown> } }).gpu;
  if (!gpu) return false;
  try {
    return (await gpu.requestAdapter()) !== null;
  } catch {
    return false;
  }
}

/** Configures ORT once per worker; `ortBase` is the URL of the folder holding ort-wasm-*.{wasm,mjs}. */
export async function initRuntime(ep: ExecutionProvider, ortBase: string): Promise<Runtime> {
  const threads = wasmThreads();
  ort.env.wasm.wasmPaths = ortBase;
  ort.env.wasm.numThreads = threads;
  const isolated = Boolean(globalThis.crossOriginIsolated);
  const useGpu = ep === "webgpu" && (await hasWebGpu());
  const providers = useGpu ? ["webgpu", "wasm"] : ["wasm"];
  const backend = ortBackend(ort as unknown as OrtModule, {
    executionProviders: providers,
    intraOpThreads: threads,
  });
  const wasmLabel = `WASM, ${threads} thread${threads === 1 ? "" : "s"}${isolated ? "" : " (page not cross-origin isolated)"}`;
  const label = useGpu
    ? `WebGPU (WASM fallback, ${threads} threads)`
    : ep === "webgpu"
      ? `${wasmLabel}; WebGPU unavailable`
      : wasmLabel;
  return { backend, label, ep: useGpu ? "webgpu" : "wasm", threads, isolated };
}
