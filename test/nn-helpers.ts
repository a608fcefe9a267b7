// Shared by the nn-*.test.ts files: golden fixtures, relative errors, parameter trees as
// graph inputs, and central finite-difference gradient checks on the float64 interpreter.
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import {
  type Backend,
  compile,
  type DType,
  flattenTree,
  grad,
  type HostTensor,
  hostTensor,
  type InputSpec,
  type Key,
  normal,
  ops,
  randint,
  referenceBackend,
  type Tensor,
  type TensorRecord,
  type Tree,
  toFloat64,
  unflattenTree,
} from "../src/engine/index.ts";

const repoRoot = join(dirname(fileURLToPath(import.meta.url)), "..");
/** The golden fixtures live beside the repository: ../shared/fixtures. */
export const fixturesDir = join(repoRoot, "..", "shared", "fixtures");
export const haveFixtures = existsSync(fixturesDir);

interface Flat {
  shape: number[];
  data: number[];
}
/** One golden case (see ../shared/fixtures/README.md). */
export interface Fixture {
  about: string;
  inputs: Record<string, Flat>;
  output: Flat;
  upstream: Flat;
  grads: Record<string, Flat>;
}

export function loadFixture(name: string): Fixture {
  return JSON.parse(readFileSync(join(fixturesDir, `${name}.json`), "utf8")) as Fixture;
}

/** max|a - b| / max(max|b|, tiny): the error of `actual` relative to the scale of `expected`. */
export function relErr(actual: ArrayLike<number> | HostTensor, expected: ArrayLike<number>): number {
  const a = "data" in actual ? toFloat64((actual as HostTensor).data) : actual;
  if (a.length !== expected.length)
    throw new Error(`relErr: ${a.length} values vs ${expected.length} expected`);
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i] - expected[i]);
    diff = Number.isNaN(d) ? Number.POSITIVE_INFINITY : Math.max(diff, d);
    scale = Math.max(scale, Math.abs(expected[i]));
  }
  return diff / Math.max(scale, 1e-30);
}

/**
 * Runs `build` on the fixture's inputs in `dtype` on `backend` and returns the relative error
 * of the output and of each gradient of sum(output * upstream).
 */
export async function fixtureErrors(
  fx: Fixture,
  build: (inputs: TensorRecord) => Tensor,
  backend: Backend,
  dtype: DType,
): Promise<Record<string, number>> {
  const names = Object.keys(fx.inputs);
  const spec: InputSpec = { upstream: { shape: fx.upstream.shape, dtype } };
  for (const n of names) spec[n] = { shape: fx.inputs[n].shape, dtype };
  const fn = (inputs: TensorRecord): TensorRecord => {
    const y = build(inputs);
    if (y.shape.join() !== fx.output.shape.join()) {
      throw new Error(`output [${y.shape}] but the fixture has [${fx.output.shape}]`);
    }
    const gs = grad(
      y,
      names.map((n) => inputs[n]),
      inputs.upstream,
    );
    return { output: y, ...Object.fromEntries(names.map((n, i) => [`grad_${n}`, gs[i]])) };
  };
  const compiled = await compile(fn, spec, backend);
  const feeds: Record<string, HostTensor> = {
    upstream: hostTensor(fx.upstream.shape, fx.upstream.data, dtype),
  };
  for (const n of names) feeds[n] = hostTensor(fx.inputs[n].shape, fx.inputs[n].data, dtype);
  const out = await compiled.run(feeds);
  await compiled.release();
  const errors: Record<string, number> = { output: relErr(out.output, fx.output.data) };
  for (const n of names) errors[`grad_${n}`] = relErr(out[`grad_${n}`], fx.grads[n].data);
  return errors;
}

/** Input specs and float64 feeds for every leaf of a parameter tree, named by path. */
export function treeInputs(
  tree: Tree<HostTensor>,
  prefix: string,
): { spec: InputSpec; feeds: Record<string, HostTensor> } {
  const spec: InputSpec = {};
  const feeds: Record<string, HostTensor> = {};
  for (const { path, value } of flattenTree(tree, prefix)) {
    spec[path] = { shape: value.shape, dtype: "float64" };
    feeds[path] = hostTensor(value.shape, toFloat64(value.data), "float64");
  }
  return { spec, feeds };
}

/** The symbolic tree shaped like `template`, its leaves read from the graph inputs of treeInputs. */
export function treeFrom<T>(template: Tree<HostTensor>, prefix: string, inputs: TensorRecord): T {
  const leaves = flattenTree(template, prefix).map(({ path }) => inputs[path]);
  return unflattenTree(template, leaves) as T;
}

/** A float64 tensor of standard normal draws times `scale`. */
export function randomTensor(key: Key, shape: number[], scale = 1): HostTensor {
  return hostTensor(
    shape,
    normal(
      key,
      shape.reduce((a, b) => a * b, 1),
    ).map((v) => v * scale),
    "float64",
  );
}

export interface GradCheckResult {
  /** Worst |finite difference - autodiff| / max(max|autodiff|, 1e-8) over the checked inputs. */
  worst: number;
  worstInput: string;
  checked: number;
}

/**
 * Central finite differences of L = sum(f(inputs) * u) on the float64 reference interpreter,
 * at `samples` random coordinates of each differentiable input, against `grad`.
 */
export async function gradCheck(
  key: Key,
  build: (inputs: TensorRecord) => Tensor,
  feeds: Record<string, HostTensor>,
  opts: { fixed?: Record<string, HostTensor>; samples?: number; eps?: number } = {},
): Promise<GradCheckResult> {
  const { fixed = {}, samples = 6, eps = 1e-5 } = opts;
  const backend = referenceBackend({ precision: "float64" });
  const names = Object.keys(feeds);
  const spec: InputSpec = {};
  for (const [n, t] of Object.entries({ ...feeds, ...fixed })) spec[n] = { shape: t.shape, dtype: t.dtype };
  // The readout weights u, shaped like the output, found by tracing once.
  const probe = await compile(build, spec, backend);
  const outShape = [...probe.traced.outputs.output.shape];
  const u = randomTensor(key, outShape);
  const loss = (inputs: TensorRecord) => ops.sum(ops.mul(build(inputs), inputs.__u));
  const fullSpec = { ...spec, __u: { shape: outShape, dtype: "float64" as DType } };
  const forward = await compile(loss, fullSpec, backend);
  const withGrad = await compile(
    (inputs) => {
      const l = loss(inputs);
      const gs = grad(
        l,
        names.map((n) => inputs[n]),
      );
      return { loss: l, ...Object.fromEntries(names.map((n, i) => [n, gs[i]])) };
    },
    fullSpec,
    backend,
  );
  const base = { ...feeds, ...fixed, __u: u };
  const analytic = await withGrad.run(base);
  let worst = 0;
  let worstInput = "";
  let checked = 0;
  for (const [k, n] of names.entries()) {
    const x = feeds[n];
    const g = analytic[n].data as Float64Array;
    const scale = Math.max(
      g.reduce((m, v) => Math.max(m, Math.abs(v)), 0),
      1e-8,
    );
    const picks = randint([key[0] ^ 0x9e37, (key[1] + k) >>> 0], samples, x.data.length);
    for (const i of picks) {
      const at = async (delta: number): Promise<number> => {
        const data = Float64Array.from(x.data as Float64Array);
        data[i] += delta;
        const out = await forward.run({ ...base, [n]: { shape: x.shape, dtype: "float64", data } });
        return out.output.data[0] as number;
      };
      const fd = ((await at(eps)) - (await at(-eps))) / (2 * eps);
      const err = Math.abs(fd - g[i]) / scale;
      checked++;
      if (err > worst) {
        worst = err;
        worstInput = `${n}[${i}]`;
      }
    }
  }
  return { worst, worstInput, checked };
}
