// Shared checks for the engine's op tests: each case is traced twice, in float64 (its
// vector-Jacobian product against central finite differences in the reference interpreter)
// and in float32 (ONNX Runtime against the reference interpreter, outputs and gradients).
import assert from "node:assert/strict";
import {
  constant,
  type DType,
  grad,
  type HostTensor,
  hostTensor,
  interpret,
  isFloat,
  keyFromSeed,
  normal,
  ops,
  type Tensor,
  type TensorRecord,
  type Traced,
  trace,
} from "../src/engine/index.ts";
import { nodeBackend } from "../src/engine/node.ts";

/** How an input's values are drawn (all from a seeded normal generator, or given). */
export interface InputDef {
  shape: number[];
  dtype?: DType;
  /** normal: N(0,1); positive: 0.5 + |N|; apart: |v| >= 0.3 (keeps kinks like relu/abs away); integers: round(2N). */
  kind?: "normal" | "positive" | "apart" | "integers";
  /** Explicit values (indices, or hand-picked data). */
  values?: number[];
}

export interface OpCase {
  name: string;
  /** Registered ops this case is a test of; each must appear in its traced graph. */
  ops: string[];
  inputs: Record<string, InputDef>;
  fn: (x: TensorRecord) => Tensor | Tensor[];
  /** Inputs to differentiate (default: every float input); [] for ops without a gradient. */
  wrt?: string[];
  /** Relative tolerance of ONNX Runtime against the float32 reference (default 1e-4). */
  ortTol?: number;
}

const FD_EPS = 1e-6;
const FD_TOL = 1e-6;
const ORT_TOL = 1e-4;

function seedOf(text: string): number {
  let h = 2166136261;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 16777619) >>> 0;
  return h;
}

/** Seeded input values of a case (the same numbers for the float32 and float64 runs). */
export function makeValues(c: OpCase): Record<string, number[]> {
  const out: Record<string, number[]> = {};
  for (const [name, d] of Object.entries(c.inputs)) {
    const n = d.shape.reduce((a, b) => a * b, 1);
    if (d.values) {
      assert.equal(
        d.values.length,
        n,
        `${c.name}: input ${name} has ${d.values.length} values for [${d.shape}]`,
      );
      out[name] = [...d.values];
      continue;
    }
    const z = Array.from(normal(keyFromSeed(seedOf(`${c.name}/${name}`)), n));
    const kind = d.kind ?? "normal";
    out[name] = z.map((v) =>
      kind === "positive"
        ? 0.5 + Math.abs(v)
        : kind === "apart"
          ? Math.sign(v || 1) * (0.3 + Math.abs(v))
          : kind === "integers"
            ? Math.round(2 * v)
            : v,
    );
  }
  return out;
}

const floatAs = (d: DType | undefined, precision: DType): DType =>
  d === undefined || isFloat(d) ? precision : d;

export interface Built {
  traced: Traced;
  /** Output names of the case's results and of the gradients ("grad:<input>"). */
  results: string[];
  wrt: string[];
}

/**
 * Traces the case at a float precision: its results, and loss = sum_i sum(result_i * u_i)
 * (u_i fixed seeded upstream gradients) with the gradient of every `wrt` input.
 */
export function build(c: OpCase, precision: "float32" | "float64"): Built {
  const spec = Object.fromEntries(
    Object.entries(c.inputs).map(([name, d]) => [
      name,
      { shape: d.shape, dtype: floatAs(d.dtype, precision) },
    ]),
  );
  const wrt = c.wrt ?? Object.keys(c.inputs).filter((n) => isFloat(c.inputs[n].dtype ?? "float32"));
  const results: string[] = [];
  const traced = trace((x) => {
    const raw = c.fn(x);
    const ys = Array.isArray(raw) ? raw : [raw];
    const out: TensorRecord = {};
    const terms: Tensor[] = [];
    ys.forEach((y, i) => {
      out[`y${i}`] = y;
      results.push(`y${i}`);
      if (!isFloat(y.dtype)) return;
      const u = normal(keyFromSeed(seedOf(`${c.name}/upstream${i}`)), y.size);
      terms.push(ops.sum(ops.mul(y, constant(hostTensor(y.shape as number[], u, y.dtype)))));
    });
    if (wrt.length > 0) {
      assert.ok(terms.length > 0, `${c.name}: no float output to differentiate`);
      const loss = terms.reduce((a, b) => ops.add(a, b));
      out.loss = loss;
      grad(
        loss,
        wrt.map((n) => x[n]),
      ).forEach((g, i) => {
        out[`grad:${wrt[i]}`] = g;
        results.push(`grad:${wrt[i]}`);
      });
    }
    return out;
  }, spec);
  return { traced, results, wrt };
}

export function feedsOf(
  c: OpCase,
  values: Record<string, number[]>,
  precision: DType,
): Record<string, HostTensor> {
  return Object.fromEntries(
    Object.entries(c.inputs).map(([name, d]) => [
      name,
      hostTensor(d.shape, values[name], floatAs(d.dtype, precision)),
    ]),
  );
}

const numbers = (t: HostTensor): number[] => Array.from(t.data as ArrayLike<number | bigint>, Number);

/**
 * Asserts |actual - expected| <= tol * (|expected| + 0.1 * max|expected|) elementwise: relative,
 * with a floor tied to the tensor's scale for entries that cancel to near zero.
 */
export function assertClose(actual: HostTensor, expected: HostTensor, tol: number, what: string): void {
  assert.deepEqual(actual.shape, expected.shape, `${what}: shape`);
  const a = numbers(actual);
  const e = numbers(expected);
  const scale = e.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
  let worst = 0;
  let at = -1;
  for (let i = 0; i < e.length; i++) {
    const err = Math.abs(a[i] - e[i]) / (Math.abs(e[i]) + 0.1 * scale + 1e-30);
    if (Number.isNaN(err) || err > worst) {
      worst = Number.isNaN(err) ? Number.POSITIVE_INFINITY : err;
      at = i;
    }
  }
  assert.ok(
    worst <= tol,
    `${what}: element ${at} is ${a[at]} but expected ${e[at]} (relative error ${worst.toExponential(2)} > ${tol})`,
  );
}

/** The float64 vector-Jacobian product of the case against central finite differences. */
export function checkFiniteDifferences(c: OpCase): void {
  const { traced, wrt } = build(c, "float64");
  if (wrt.length === 0) return;
  const values = makeValues(c);
  const feeds = feedsOf(c, values, "float64");
  const exact = interpret(traced, feeds, { precision: "float64" });
  const lossOnly: Traced = { ...traced, outputs: { loss: traced.outputs.loss } };
  const lossAt = (name: string, i: number, v: number): number => {
    const data = feeds[name].data as Float64Array;
    const saved = data[i];
    data[i] = v;
    const out = interpret(lossOnly, feeds, { precision: "float64" }).loss.data[0] as number;
    data[i] = saved;
    return out;
  };
  for (const name of wrt) {
    const x = feeds[name].data as Float64Array;
    const fd = new Float64Array(x.length);
    for (let i = 0; i < x.length; i++) {
      fd[i] = (lossAt(name, i, x[i] + FD_EPS) - lossAt(name, i, x[i] - FD_EPS)) / (2 * FD_EPS);
    }
    const numeric: HostTensor = { shape: [...feeds[name].shape], dtype: "float64", data: fd };
    assertClose(
      exact[`grad:${name}`],
      numeric,
      FD_TOL,
      `${c.name}: d loss / d ${name} vs finite differences`,
    );
  }
}

const backend = nodeBackend({ intraOpThreads: 1 });

/** ONNX Runtime (float32) against the float32 reference interpreter, results and gradients. */
export async function checkOnnxRuntime(c: OpCase): Promise<void> {
  const { traced, results } = build(c, "float32");
  const feeds = feedsOf(c, makeValues(c), "float32");
  const reference = interpret(traced, feeds, { precision: "float32" });
  const exe = await backend.load(traced);
  try {
    const ort = await exe.run(feeds);
    for (const name of results) {
      assert.equal(ort[name].dtype, reference[name].dtype, `${c.name}: ${name} dtype`);
      if (isFloat(reference[name].dtype))
        assertClose(ort[name], reference[name], c.ortTol ?? ORT_TOL, `${c.name}: ${name}`);
      else assert.deepEqual(numbers(ort[name]), numbers(reference[name]), `${c.name}: ${name}`);
    }
  } finally {
    await exe.release();
  }
}

/** The registered ops that appear in the case's graph (forward and backward). */
export function opsInGraph(c: OpCase): Set<string> {
  const seen = new Set<string>();
  for (const precision of ["float32", "float64"] as const) {
    for (const node of build(c, precision).traced.graph.nodes) seen.add(node.op);
  }
  return seen;
}
