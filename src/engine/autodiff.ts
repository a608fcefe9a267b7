// Reverse-mode automatic differentiation over the traced IR: gradients are new nodes in the
// same graph, built from each op's gradient rule.
import { hostTensor } from "./dtype.ts";
import { constant, type Tensor } from "./ir.ts";
import { add, broadcastTo, zerosLike } from "./ops.ts";
import { getOp } from "./registry.ts";

/**
 * Gradients of the scalar `y` with respect to each of `xs` (zeros where y does not depend
 * on one). `seed` replaces the implicit dy = 1, giving a vector-Jacobian product.
 */
export function grad(y: Tensor, xs: readonly Tensor[], seed?: Tensor): Tensor[] {
  if (!seed && y.size !== 1) {
    throw new Error(
      `grad: y must be a scalar but has shape [${y.shape}]; reduce it (e.g. .mean()) or pass a seed`,
    );
  }
  const graph = y.graph;
  // 1. Which tensors lie on a path from some x (forward pass over the node list, which is topological).
  const wanted = new Set<number>(xs.map((x) => x.id));
  const reaches = new Set<number>(wanted);
  for (const node of graph.nodes) {
    if (node.inputs.some((t) => reaches.has(t.id))) for (const o of node.outputs) reaches.add(o.id);
  }
  // 2. Walk back from y, accumulating output gradients, for nodes at or before y's.
  const grads = new Map<number, Tensor>();
  grads.set(y.id, seed ?? broadcastTo(constant(hostTensor([], [1], y.dtype)), y.shape));
  for (let i = y.node.id; i >= 0; i--) {
    const node = graph.nodes[i];
    const outGrads = node.outputs.map((o) => grads.get(o.id) ?? null);
    if (outGrads.every((g) => g === null)) continue;
    const needs = node.inputs.map((t) => reaches.has(t.id));
    if (!needs.some(Boolean)) continue;
    const def = getOp(node.op);
    if (!def.grad) throw new Error(`grad: op ${node.op} has no gradient rule`);
    const inGrads = def.grad(node, outGrads, needs);
    node.inputs.forEach((t, k) => {
      const g = inGrads[k];
      if (!g || !needs[k]) return;
      const prev = grads.get(t.id);
      grads.set(t.id, prev ? add(prev, g) : g);
    });
  }
  return xs.map((x) => grads.get(x.id) ?? zerosLike(x));
}

/**
 * Wraps `f` so that, called inside a trace, it returns f's value and the gradients of that
 * value (a scalar) with respect to the arguments listed in `argnums` (default: the first).
 */
export function valueAndGrad<A extends Tensor[]>(
  f: (...args: A) => Tensor,
  argnums: number[] = [0],
): (...args: A) => { value: Tensor; grads: Tensor[] } {
  return (...args: A) => {
    const value = f(...args);
    return {
      value,
      grads: grad(
        value,
        argnums.map((i) => args[i]),
      ),
    };
  };
}
