// Recording an op application: shape inference by the op's definition, then a new node.
import type { Attrs, Tensor } from "./ir.ts";
import { appendNode } from "./ir.ts";
import { getOp } from "./registry.ts";

/** Records an op application in the current trace, with shape inference first. */
export function apply(op: string, inputs: Tensor[], attrs: Attrs = {}): Tensor[] {
  const def = getOp(op);
  const types = def.infer(
    inputs.map((t) => ({ shape: [...t.shape], dtype: t.dtype })),
    attrs,
  );
  return appendNode(op, inputs, attrs, types);
}

export function apply1(op: string, inputs: Tensor[], attrs: Attrs = {}): Tensor {
  return apply(op, inputs, attrs)[0];
}
