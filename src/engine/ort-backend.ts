// ONNX Runtime as a backend, written against the API shared by onnxruntime-node and
// onnxruntime-web (the caller passes the module in, so this file stays browser-safe).

import type { Backend, Executable } from "./backend.ts";
import type { DType, HostTensor, Storage } from "./dtype.ts";
import { type EmitOptions, toOnnx } from "./emit-onnx.ts";

/** The part of the `onnxruntime-*` module API that jepa-ts uses. */
export interface OrtModule {
  InferenceSession: {
    create(model: Uint8Array, options?: Record<string, unknown>): Promise<OrtSession>;
  };
  Tensor: new (type: string, data: Storage, dims: readonly number[]) => OrtTensor;
}
export interface OrtTensor {
  type: string;
  data: unknown;
  dims: readonly number[];
  dispose?(): void;
}
export interface OrtSession {
  inputNames: readonly string[];
  outputNames: readonly string[];
  run(
    feeds: Record<string, OrtTensor>,
    fetches?: Record<string, OrtTensor | null> | string[],
  ): Promise<Record<string, OrtTensor>>;
  release(): Promise<void>;
}

export interface OrtBackendOptions {
  /** Threads for one op (default: the runtime's choice, usually all cores). */
  intraOpThreads?: number;
  /** "all" lets ONNX Runtime fuse Transpose+MatMul and MatMul+Add (~15% faster than "basic"). */
  optimization?: "disabled" | "basic" | "extended" | "all";
  executionProviders?: string[];
  emit?: EmitOptions;
  /** Writes each model's bytes (for debugging or profiling). */
  onModel?: (bytes: Uint8Array) => void;
  /**
   * Let ONNX Runtime write outputs straight into the caller's preallocated buffers (default
   * true; saves a copy per run). onnxruntime-web 1.30 leaves such buffers unwritten, so pass
   * false there: results are then copied into the caller's buffers.
   */
  preallocateOutputs?: boolean;
  /** Extra ONNX Runtime session options (e.g. enableProfiling). */
  sessionOptions?: Record<string, unknown>;
}

const ORT_TYPE: Record<DType, string> = {
  float32: "float32",
  float64: "float64",
  int32: "int32",
  int64: "int64",
  bool: "bool",
  uint8: "uint8",
};
const DTYPE_OF: Record<string, DType> = Object.fromEntries(
  Object.entries(ORT_TYPE).map(([k, v]) => [v, k as DType]),
);

export function toOrt(ort: OrtModule, t: HostTensor): OrtTensor {
  return new ort.Tensor(ORT_TYPE[t.dtype], t.data, t.shape);
}

export function fromOrt(t: OrtTensor): HostTensor {
  const dtype = DTYPE_OF[t.type];
  if (!dtype) throw new Error(`ONNX Runtime returned a ${t.type} tensor, which jepa-ts does not read`);
  return { shape: [...t.dims], dtype, data: t.data as Storage } as HostTensor;
}

/** Session options that matter on CPU: the memory arena on, sequential execution, full fusion. */
export function sessionOptions(opts: OrtBackendOptions): Record<string, unknown> {
  const {
    intraOpThreads,
    optimization = "all",
    executionProviders = ["cpu"],
    sessionOptions: extra = {},
  } = opts;
  return {
    executionProviders,
    graphOptimizationLevel: optimization,
    enableCpuMemArena: true,
    enableMemPattern: true,
    executionMode: "sequential",
    ...(intraOpThreads ? { intraOpNumThreads: intraOpThreads, interOpNumThreads: 1 } : {}),
    ...extra,
  };
}

/** ONNX Runtime as a jepa-ts backend, given the `onnxruntime-node` or `onnxruntime-web` module. */
export function ortBackend(ort: OrtModule, opts: OrtBackendOptions = {}): Backend {
  return {
    name: "onnxruntime",
    async load(traced): Promise<Executable> {
      const bytes = toOnnx(traced, { contribOps: true, rowBlocks: opts.intraOpThreads ?? 1, ...opts.emit });
      opts.onModel?.(bytes);
      const session = await ort.InferenceSession.create(bytes, sessionOptions(opts));
      const outputNames = Object.keys(traced.outputs);
      return {
        async run(feeds, preallocated) {
          const inputs: Record<string, OrtTensor> = {};
          for (const name of session.inputNames) {
            const f = feeds[name];
            if (!f) throw new Error(`input "${name}" is missing`);
            inputs[name] = toOrt(ort, f);
          }
          let results: Record<string, OrtTensor>;
          if (preallocated && opts.preallocateOutputs !== false) {
            const fetches: Record<string, OrtTensor | null> = {};
            for (const name of outputNames)
              fetches[name] = preallocated[name] ? toOrt(ort, preallocated[name]) : null;
            results = await session.run(inputs, fetches);
          } else {
            results = await session.run(inputs);
          }
          const out: Record<string, HostTensor> = {};
          for (const name of outputNames) {
            const given = preallocated?.[name];
            if (given && results[name].data !== given.data) given.data.set(results[name].data as never);
            out[name] = given ?? fromOrt(results[name]);
          }
          return out;
        },
        release: () => session.release(),
      };
    },
  };
}
