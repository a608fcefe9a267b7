// Parameter trees (plain nested objects and arrays of tensors) and their packing into one
// flat float32 buffer, so a training step moves three buffers instead of hundreds of tensors.
import { type HostTensor, sizeOf } from "./dtype.ts";
import { Tensor } from "./ir.ts";
import { reshape, slice } from "./ops.ts";

/** A nested object/array whose leaves are `T` (host tensors, or symbolic tensors while tracing). */
export type Tree<T> = T | readonly Tree<T>[] | { readonly [key: string]: Tree<T> };

export const isHostTensor = (v: unknown): v is HostTensor =>
  typeof v === "object" &&
  v !== null &&
  "shape" in v &&
  "dtype" in v &&
  "data" in v &&
  !(v instanceof Tensor);

const isLeaf = (v: unknown): boolean => v instanceof Tensor || isHostTensor(v);

/** Leaves with their paths ("encoder.blocks.0.qkv.w"), in a stable order (keys as written). */
export function flattenTree<T>(tree: Tree<T>, prefix = ""): { path: string; value: T }[] {
  if (isLeaf(tree)) return [{ path: prefix, value: tree as T }];
  const entries = Array.isArray(tree)
    ? tree.map((v, i) => [String(i), v] as const)
    : Object.entries(tree as object);
  return entries.flatMap(([k, v]) => flattenTree(v as Tree<T>, prefix ? `${prefix}.${k}` : k));
}

/** A tree shaped like `template` with leaves taken in order from `leaves`. */
export function unflattenTree<T, U>(template: Tree<T>, leaves: readonly U[]): Tree<U> {
  let i = 0;
  const build = (node: Tree<T>): Tree<U> => {
    if (isLeaf(node)) return leaves[i++];
    if (Array.isArray(node)) return node.map(build);
    return Object.fromEntries(Object.entries(node as object).map(([k, v]) => [k, build(v as Tree<T>)]));
  };
  const out = build(template);
  if (i !== leaves.length)
    throw new Error(`unflattenTree: template has ${i} leaves but ${leaves.length} were given`);
  return out;
}

export function mapTree<T, U>(tree: Tree<T>, f: (leaf: T, path: string) => U): Tree<U> {
  const flat = flattenTree(tree);
  return unflattenTree(
    tree,
    flat.map(({ path, value }) => f(value, path)),
  );
}

/** Where each leaf lives in the flat buffer. */
export interface ParamLayout {
  entries: { path: string; shape: number[]; offset: number; size: number }[];
  total: number;
}

export function layoutOf(tree: Tree<HostTensor>): ParamLayout {
  let offset = 0;
  const entries = flattenTree(tree).map(({ path, value }) => {
    if (value.dtype !== "float32")
      throw new Error(`parameter ${path} is ${value.dtype}; parameters must be float32`);
    const size = sizeOf(value.shape);
    const e = { path, shape: [...value.shape], offset, size };
    offset += size;
    return e;
  });
  return { entries, total: offset };
}

/** Copies a tree of float32 host tensors into one flat buffer. */
export function packTree(tree: Tree<HostTensor>, layout = layoutOf(tree)): Float32Array {
  const flat = new Float32Array(layout.total);
  flattenTree(tree).forEach(({ value }, i) => {
    flat.set(value.data as Float32Array, layout.entries[i].offset);
  });
  return flat;
}

/** Host tensors viewing `flat` (no copy), shaped like `template`. */
export function unpackTree(
  flat: Float32Array,
  layout: ParamLayout,
  template: Tree<unknown>,
): Tree<HostTensor> {
  const leaves = layout.entries.map((e) => ({
    shape: [...e.shape],
    dtype: "float32" as const,
    data: flat.subarray(e.offset, e.offset + e.size),
  }));
  return unflattenTree(template as Tree<HostTensor>, leaves);
}

/** Symbolic views (slice + reshape) of a flat [P] tensor, shaped like `template`. */
export function unpackSymbolic(flat: Tensor, layout: ParamLayout, template: Tree<unknown>): Tree<Tensor> {
  const leaves = layout.entries.map((e) => reshape(slice(flat, 0, e.offset, e.offset + e.size), e.shape));
  return unflattenTree(template as Tree<Tensor>, leaves);
}

/** A deep copy of a host tree (fresh buffers). */
export function cloneTree(tree: Tree<HostTensor>): Tree<HostTensor> {
  return mapTree(tree, (t) => ({ shape: [...t.shape], dtype: t.dtype, data: t.data.slice() }) as HostTensor);
}
