// The graph IR: symbolic tensors (static shape and dtype) recorded into a Graph by tracing.
import type { DType, HostTensor } from "./dtype.ts";
import * as ops from "./ops.ts";

/** Attribute values of an IR node: plain JSON-like data (host tensors for constants). */
export type Attrs = Record<string, unknown>;

/** One operation in a graph: an op name from the registry, its inputs, attributes and outputs. */
export interface Node {
  id: number;
  op: string;
  inputs: Tensor[];
  attrs: Attrs;
  outputs: Tensor[];
}

export interface TensorType {
  shape: number[];
  dtype: DType;
}

/** A trace-time error in shapes or types: names the op, the shapes, and the fix. */
export class ShapeError extends Error {
  override name = "ShapeError";
}

/** A graph under construction; nodes are appended in topological order. */
export class Graph {
  readonly nodes: Node[] = [];
  readonly inputs: Tensor[] = [];
  private nextTensor = 0;

  /** @internal */
  newTensorId(): number {
    return this.nextTensor++;
  }
}

const traceStack: Graph[] = [];

/** The graph being traced; throws if called outside `trace`. */
export function currentGraph(): Graph {
  const g = traceStack[traceStack.length - 1];
  if (!g) throw new Error("tensor operations run only inside trace(), compile() or compileTrainStep()");
  return g;
}

/** Runs `fn` with `graph` as the current trace target. */
export function withGraph<T>(graph: Graph, fn: () => T): T {
  traceStack.push(graph);
  try {
    return fn();
  } finally {
    traceStack.pop();
  }
}

/** A symbolic tensor: the `index`-th output of `node`, with a static shape and dtype. */
export class Tensor {
  readonly id: number;
  constructor(
    readonly graph: Graph,
    readonly node: Node,
    readonly index: number,
    readonly shape: readonly number[],
    readonly dtype: DType,
  ) {
    this.id = graph.newTensorId();
  }

  get rank(): number {
    return this.shape.length;
  }
  get size(): number {
    let n = 1;
    for (const d of this.shape) n *= d;
    return n;
  }
  toString(): string {
    return `Tensor(${this.dtype}[${this.shape.join(",")}] from ${this.node.op})`;
  }

  add(y: Tensor | number): Tensor {
    return ops.add(this, y);
  }
  sub(y: Tensor | number): Tensor {
    return ops.sub(this, y);
  }
  mul(y: Tensor | number): Tensor {
    return ops.mul(this, y);
  }
  div(y: Tensor | number): Tensor {
    return ops.div(this, y);
  }
  pow(y: Tensor | number): Tensor {
    return ops.pow(this, y);
  }
  neg(): Tensor {
    return ops.neg(this);
  }
  square(): Tensor {
    return ops.mul(this, this);
  }
  exp(): Tensor {
    return ops.exp(this);
  }
  log(): Tensor {
    return ops.log(this);
  }
  sqrt(): Tensor {
    return ops.sqrt(this);
  }
  abs(): Tensor {
    return ops.abs(this);
  }
  tanh(): Tensor {
    return ops.tanh(this);
  }
  matmul(y: Tensor): Tensor {
    return ops.matmul(this, y);
  }
  reshape(shape: readonly number[]): Tensor {
    return ops.reshape(this, shape);
  }
  transpose(perm?: readonly number[]): Tensor {
    return ops.transpose(this, perm);
  }
  sum(axes?: number | readonly number[], keepdims = false): Tensor {
    return ops.sum(this, axes, keepdims);
  }
  mean(axes?: number | readonly number[], keepdims = false): Tensor {
    return ops.mean(this, axes, keepdims);
  }
  max(axes?: number | readonly number[], keepdims = false): Tensor {
    return ops.max(this, axes, keepdims);
  }
  slice(axis: number, start: number, end: number): Tensor {
    return ops.slice(this, axis, start, end);
  }
  cast(dtype: DType): Tensor {
    return ops.cast(this, dtype);
  }
}

/** Appends a node to the current graph after checking that all inputs belong to it. */
export function appendNode(op: string, inputs: Tensor[], attrs: Attrs, types: TensorType[]): Tensor[] {
  const graph = inputs[0]?.graph ?? currentGraph();
  for (const x of inputs) {
    if (x.graph !== graph) {
      throw new Error(
        `${op}: its inputs come from different traces; build the whole function inside one trace`,
      );
    }
  }
  const node: Node = { id: graph.nodes.length, op, inputs, attrs, outputs: [] };
  node.outputs = types.map((t, i) => new Tensor(graph, node, i, t.shape, t.dtype));
  graph.nodes.push(node);
  return node.outputs;
}

/** A named graph input (a placeholder fed at run time). */
export function placeholder(name: string, shape: readonly number[], dtype: DType = "float32"): Tensor {
  const graph = currentGraph();
  const [t] = appendNode("input", [], { name }, [{ shape: [...shape], dtype }]);
  graph.inputs.push(t);
  return t;
}

/** Embeds a host tensor in the graph as a constant. */
export function constant(value: HostTensor): Tensor {
  return appendNode("constant", [], { value }, [{ shape: [...value.shape], dtype: value.dtype }])[0];
}
