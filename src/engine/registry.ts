// The op registry: each op is one definition with shape inference, a gradient rule written
// in terms of other ops, an ONNX lowering, and a reference kernel (DESIGN.md, "Ops").
import type { DType, HostTensor } from "./dtype.ts";
import type { Attrs, Node, Tensor, TensorType } from "./ir.ts";

/** A tensor in the reference interpreter: values held as float64 whatever the dtype. */
export interface NDArray {
  shape: number[];
  dtype: DType;
  data: Float64Array;
}

/** An ONNX attribute, typed explicitly (ONNX Runtime checks attribute types against the schema). */
export type OnnxAttr =
  | { f: number }
  | { i: number }
  | { s: string }
  | { floats: number[] }
  | { ints: number[] }
  | { t: HostTensor };

/** What an op's lowering can emit into the ONNX graph. */
export interface Lowering {
  node(
    opType: string,
    inputs: string[],
    outputs: string[],
    attrs?: Record<string, OnnxAttr>,
    domain?: string,
  ): void;
  /** A constant as a graph initializer; returns its name. */
  constant(value: HostTensor): string;
  /** A 1-D int64 initializer (shapes, axes, starts); returns its name. */
  int64s(values: readonly number[]): string;
  /** A 0-d constant of a dtype; returns its name. */
  scalar(value: number, dtype: DType): string;
  /** A fresh value name for an intermediate result. */
  fresh(hint?: string): string;
  /** The opset of the default domain being emitted. */
  readonly opset: number;
  /**
   * Whether ONNX Runtime's contrib ops (domain com.microsoft, in its CPU and WASM builds) may
   * be emitted: true for graphs run by the ONNX Runtime backends, false for exported models.
   */
  readonly contribOps: boolean;
  /** Row blocks for activation x constant-weight products (EmitOptions.rowBlocks). */
  readonly rowBlocks: number;
  /** Sums over many leading rows as products with a row of ones (EmitOptions.sumsAsProducts). */
  readonly sumsAsProducts: boolean;
  /** Whether a live node or a graph output reads `t` (an op can skip an output nobody reads). */
  consumed(t: Tensor): boolean;
}

export interface OpDef {
  name: string;
  infer(inputs: TensorType[], attrs: Attrs): TensorType[];
  /**
   * Vector-Jacobian product: gradients of the inputs given those of the outputs (null: none
   * flows). `needs[i]` says whether input i wants a gradient, so costly terms can be skipped.
   */
  grad?(node: Node, grads: (Tensor | null)[], needs: boolean[]): (Tensor | null)[];
  lower(l: Lowering, node: Node, inputs: string[], outputs: string[]): void;
  evaluate(inputs: NDArray[], node: Node): NDArray[];
}

const REGISTRY = new Map<string, OpDef>();

export function defineOp(def: OpDef): OpDef {
  if (REGISTRY.has(def.name)) throw new Error(`op ${def.name} is defined twice`);
  REGISTRY.set(def.name, def);
  return def;
}

export function getOp(name: string): OpDef {
  const def = REGISTRY.get(name);
  if (!def) throw new Error(`unknown op "${name}"`);
  return def;
}

export function registeredOps(): string[] {
  return [...REGISTRY.keys()];
}
