// Backends run traced graphs: the reference interpreter here, ONNX Runtime in ort-backend.ts.
import type { HostTensor } from "./dtype.ts";
import { type InterpretOptions, interpret } from "./interpreter.ts";
import type { Tensor } from "./ir.ts";
import { type InputSpec, type TensorRecord, type Traced, trace } from "./trace.ts";

/** A loaded graph, ready to run many times. */
export interface Executable {
  /**
   * Runs the graph. `outputs` may hold preallocated tensors to write results into (the
   * returned record then holds them), which saves an allocation and a copy per run.
   */
  run(
    feeds: Record<string, HostTensor>,
    outputs?: Record<string, HostTensor>,
  ): Promise<Record<string, HostTensor>>;
  /** Frees the runtime's resources (sessions); the executable cannot run afterwards. */
  release(): Promise<void>;
}

/** Something that can load and run a traced graph. */
export interface Backend {
  readonly name: string;
  load(traced: Traced): Promise<Executable>;
}

/** The TypeScript reference interpreter as a backend (slow; exact; for tests and tiny graphs). */
export function referenceBackend(opts: InterpretOptions = {}): Backend {
  return {
    name: `reference-${opts.precision ?? "float32"}`,
    async load(traced) {
      return {
        async run(feeds, outputs) {
          const result = interpret(traced, feeds, opts);
          for (const [name, t] of Object.entries(outputs ?? {})) {
            t.data.set(result[name].data as never);
            result[name] = t;
          }
          return result;
        },
        release: async () => {},
      };
    },
  };
}

/** A traced function compiled for one backend. */
export interface Compiled {
  readonly traced: Traced;
  readonly backend: string;
  run(feeds: Record<string, HostTensor>): Promise<Record<string, HostTensor>>;
  release(): Promise<void>;
}

/**
 * Traces `fn` with the static input shapes of `spec` and loads it on `backend`
 * (an inference graph: no gradients or optimizer unless `fn` builds them).
 */
export async function compile(
  fn: (inputs: TensorRecord) => TensorRecord | Tensor,
  spec: InputSpec,
  backend: Backend,
): Promise<Compiled> {
  const traced = trace(fn, spec);
  const exe = await backend.load(traced);
  return { traced, backend: backend.name, run: (feeds) => exe.run(feeds), release: () => exe.release() };
}
