// Tracing: run model code on symbolic tensors to record a graph with named inputs and outputs.
import type { DType } from "./dtype.ts";
import { Graph, placeholder, Tensor, withGraph } from "./ir.ts";

/** The static shape and dtype of one graph input. */
export interface TensorSpec {
  shape: number[];
  dtype?: DType;
}
export type InputSpec = Record<string, TensorSpec>;
export type TensorRecord = Record<string, Tensor>;

/** A traced function: its graph and its named inputs and outputs. */
export interface Traced {
  graph: Graph;
  inputs: TensorRecord;
  outputs: TensorRecord;
}

/**
 * Traces `fn` on placeholders built from `spec` (shapes are static, as in jax.jit). A single
 * tensor result is named "output".
 */
export function trace(fn: (inputs: TensorRecord) => TensorRecord | Tensor, spec: InputSpec): Traced {
  const graph = new Graph();
  return withGraph(graph, () => {
    const inputs: TensorRecord = {};
    for (const [name, s] of Object.entries(spec))
      inputs[name] = placeholder(name, s.shape, s.dtype ?? "float32");
    const result = fn(inputs);
    const outputs = result instanceof Tensor ? { output: result } : result;
    for (const [name, t] of Object.entries(outputs)) {
      if (!(t instanceof Tensor)) throw new Error(`trace: output "${name}" is not a tensor`);
      if (t.graph !== graph) throw new Error(`trace: output "${name}" was built outside this trace`);
    }
    return { graph, inputs, outputs };
  });
}
