// The reference interpreter: runs a traced graph with plain typed arrays. It is the oracle
// for tests (float64 mode for finite differences), the debugger, and a fallback backend.
import { type DType, fromFloat64, type HostTensor, isFloat, sizeOf, toFloat64 } from "./dtype.ts";
import type { Node } from "./ir.ts";
import { getOp, type NDArray } from "./registry.ts";
import type { Traced } from "./trace.ts";

export interface InterpretOptions {
  /** "float32" rounds every float32 result like a float32 runtime; "float64" keeps full precision. */
  precision?: "float32" | "float64";
}

/** The nodes that `outputs` depend on, in graph order. */
export function liveNodes(traced: Traced): Node[] {
  const live = new Set<number>();
  const stack = Object.values(traced.outputs).map((t) => t.node);
  while (stack.length) {
    const node = stack.pop()!;
    if (live.has(node.id)) continue;
    live.add(node.id);
    for (const t of node.inputs) stack.push(t.node);
  }
  return traced.graph.nodes.filter((n) => live.has(n.id));
}

function checkFeed(name: string, feed: HostTensor | undefined, shape: readonly number[], dtype: DType): void {
  if (!feed) throw new Error(`input "${name}" is missing; pass a ${dtype} tensor of shape [${shape}]`);
  const ok = feed.shape.length === shape.length && feed.shape.every((d, i) => d === shape[i]);
  if (!ok)
    throw new Error(`input "${name}" has shape [${feed.shape}] but the graph was compiled for [${shape}]`);
  if (feed.data.length !== sizeOf(shape)) {
    throw new Error(
      `input "${name}" holds ${feed.data.length} values; shape [${shape}] needs ${sizeOf(shape)}`,
    );
  }
  if (feed.dtype !== dtype && !(isFloat(feed.dtype) && isFloat(dtype))) {
    throw new Error(`input "${name}" is ${feed.dtype} but the graph expects ${dtype}`);
  }
}

/** Evaluates a traced graph on host tensors. */
export function interpret(
  traced: Traced,
  feeds: Record<string, HostTensor>,
  opts: InterpretOptions = {},
): Record<string, HostTensor> {
  const { precision = "float32" } = opts;
  const values = new Map<number, NDArray>();
  const round = (a: NDArray): NDArray => {
    if (precision === "float32" && a.dtype === "float32") {
      for (let i = 0; i < a.data.length; i++) a.data[i] = Math.fround(a.data[i]);
    }
    return a;
  };
  for (const node of liveNodes(traced)) {
    let results: NDArray[];
    if (node.op === "input") {
      const name = node.attrs.name as string;
      const out = node.outputs[0];
      checkFeed(name, feeds[name], out.shape, out.dtype);
      results = [{ shape: [...out.shape], dtype: out.dtype, data: toFloat64(feeds[name].data) }];
    } else if (node.op === "constant") {
      const v = node.attrs.value as HostTensor;
      results = [{ shape: [...v.shape], dtype: v.dtype, data: toFloat64(v.data) }];
    } else {
      results = getOp(node.op).evaluate(
        node.inputs.map((t) => values.get(t.id)!),
        node,
      );
    }
    node.outputs.forEach((t, i) => {
      values.set(t.id, round({ ...results[i], dtype: t.dtype }));
    });
  }
  const out: Record<string, HostTensor> = {};
  for (const [name, t] of Object.entries(traced.outputs)) {
    const v = values.get(t.id)!;
    const dtype: DType = precision === "float64" && isFloat(t.dtype) ? "float64" : t.dtype;
    out[name] = { shape: [...t.shape], dtype, data: fromFloat64(v.data, dtype) } as HostTensor;
  }
  return out;
}
