// onnxruntime-web set up for this page: runtime files from our own origin, WASM threads when
// the page is cross-origin isolated (SharedArrayBuffer), WebGPU when asked for and present.
//
// Two builds of ONNX Runtime, loaded on demand: the plain WASM build (ort.wasm.min.mjs with
// ort-wasm-simd-threaded.wasm, 14 MB) for the CPU provider, and the JSEP build (ort.min.mjs,
// WASM + WebGPU, 28 MB) only when WebGPU is asked for and present. The JSEP build's CPU
// kernels are asyncify-instrumented: measured in this page on the demo model's training
// step, they ran 2-3x slower than the plain build's and its sessions took 3-4x longer to
// create, so the CPU path never loads it.
import type * as OrtWeb from "onnxruntime-web";
import { type Backend, type Executable, type OrtModule, ortBackend } from "../../src/engine/index.ts";
import type { ExecutionProvider, InitReply } from "./protocol.ts";

export interface Runtime extends InitReply {
  backend: Backend;
}

/**
 * Threads for the WASM provider: they need SharedArrayBuffer (1 otherwise). By default half the
 * cores, at most 4 (onnxruntime-web's own default): the worker's thread is one of them, and the
 * page, the browser and the rest of the machine need the others. ORT's thread pool meets at a
 * barrier in every parallel op, so a thread that loses its core stalls the whole step. On the
 * 2-core machine of bench:web (demo model's training step, page medians): shared with other
 * jobs (load average ~5), one thread took 110 ms and two 177 ms, plans 74 and 130 ms; quiet
 * (load ~1.5), one 98 ms and two 84 ms, plans the same (42-46 ms). One thread is the choice
 * that holds up there. `requested` (the page's ?threads=N) overrides it.
 */
function wasmThreads(requested?: number): number {
  if (!globalThis.crossOriginIsolated) return 1;
  const cores = navigator.hardwareConcurrency || 1;
  if (requested !== undefined) return Math.max(1, Math.min(cores, Math.floor(requested)));
  return Math.max(1, Math.min(4, Math.ceil(cores / 2)));
}

/**
 * onnxruntime-web 1.30 does not fill preallocated output tensors the way onnxruntime-node
 * does: a train step that passes its spare buffers as outputs reads them back unwritten, and
 * the model alternates between its initial and untouched parameters instead of learning.
 * So runs here never preallocate; results are copied into the caller's buffers instead
 * (a copy of P floats per state buffer per step, well under 1% of a step).
 */
function copyingOutputs(backend: Backend): Backend {
  return {
    name: backend.name,
    async load(traced): Promise<Executable> {
      const exe = await backend.load(traced);
      return {
        async run(feeds, preallocated) {
          const out = await exe.run(feeds);
          if (preallocated)
            for (const [name, given] of Object.entries(preallocated)) {
              given.data.set(out[name].data as never);
              out[name] = given;
            }
          return out;
        },
        release: () => exe.release(),
      };
    },
  };
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
export async function initRuntime(
  ep: ExecutionProvider,
  ortBase: string,
  requestedThreads?: number,
): Promise<Runtime> {
  const threads = wasmThreads(requestedThreads);
  const useGpu = ep === "webgpu" && (await hasWebGpu());
  const ort: typeof OrtWeb = useGpu ? await import("onnxruntime-web") : await import("onnxruntime-web/wasm");
  ort.env.wasm.wasmPaths = ortBase;
  ort.env.wasm.numThreads = threads;
  const isolated = Boolean(globalThis.crossOriginIsolated);
  const providers = useGpu ? ["webgpu", "wasm"] : ["wasm"];
  const backend = copyingOutputs(
    ortBackend(ort as unknown as OrtModule, {
      executionProviders: providers,
      intraOpThreads: threads,
    }),
  );
  const cores = navigator.hardwareConcurrency || 1;
  const wasmLabel = `WASM SIMD, ${threads} thread${threads === 1 ? "" : "s"} (${cores} core${cores === 1 ? "" : "s"}${isolated ? "" : "; page not cross-origin isolated"})`;
  const label = useGpu
    ? `WebGPU (WASM fallback, ${threads} threads)`
    : ep === "webgpu"
      ? `${wasmLabel}; WebGPU unavailable`
      : wasmLabel;
  return { backend, label, ep: useGpu ? "webgpu" : "wasm", threads, isolated };
}
