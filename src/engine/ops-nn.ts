// Matrix multiplication and the fused neural-network ops with hand-written backward rules:
// softmax, layer norm, GELU, conv2d and its transpose.

import { apply, apply1 } from "./apply.ts";
import { sizeOf } from "./dtype.ts";
import { type Node, ShapeError, type Tensor } from "./ir.ts";
import { ndarray } from "./kernels.ts";
import { add, erfValue, exp, mul, sub, unbroadcast } from "./ops-elementwise.ts";
import { mean, reshape, sum, swapLast } from "./ops-shape-reduce.ts";
import { defineOp } from "./registry.ts";
import { broadcastShapes, fmt, normAxis } from "./shape.ts";

// ---------- matmul ----------
defineOp({
  name: "matmul",
  infer([a, b]) {
    if (a.shape.length < 2 || b.shape.length < 2) {
      throw new ShapeError(
        `matmul: needs rank >= 2 but got ${fmt(a.shape)} and ${fmt(b.shape)}; reshape vectors to [1, n] or [n, 1]`,
      );
    }
    if (a.dtype !== b.dtype)
      throw new ShapeError(`matmul: dtypes differ (${a.dtype} vs ${b.dtype}); cast one`);
    const [m, k] = a.shape.slice(-2);
    const [k2, n] = b.shape.slice(-2);
    if (k !== k2) {
      throw new ShapeError(
        `matmul: ${fmt(a.shape)} @ ${fmt(b.shape)}: inner dimensions ${k} and ${k2} differ; transpose or reshape one operand`,
      );
    }
    const batch = broadcastShapes("matmul", a.shape.slice(0, -2), b.shape.slice(0, -2));
    return [{ shape: [...batch, m, n], dtype: a.dtype }];
  },
  grad(node, [g], needs) {
    if (!g) return [null, null];
    const [a, b] = node.inputs;
    const ga = needs[0] ? unbroadcast(matmul(g, swapLast(b)), a.shape) : null;
    let gb: Tensor | null = null;
    if (needs[1]) {
      const k = a.shape[a.rank - 1];
      const n = b.shape[b.rank - 1];
      // A shared weight: one [K, B*T] @ [B*T, N] product instead of a batched one plus a sum.
      gb =
        b.rank === 2 && a.rank > 2
          ? matmul(swapLast(reshape(a, [-1, k])), reshape(g, [-1, n]))
          : unbroadcast(matmul(swapLast(a), g), b.shape);
    }
    return [ga, gb];
  },
  lower(l, node, inputs, outputs) {
    const blocks = matmulRowBlocks(node, l.rowBlocks);
    if (blocks === 1) {
      l.node("MatMul", inputs, outputs);
      return;
    }
    // [M, K] @ [K, N] as [B, M/B, K] @ [B, K, N] (the weight expanded once, at load time):
    // ONNX Runtime then gives each thread whole rows, where for N > M it would split the
    // columns and every thread would read all rows (measured on cem_plan's fc1, 2 threads).
    const [a, b] = inputs;
    const [m, k] = node.inputs[0].shape;
    const n = node.inputs[1].shape[1];
    const rows = l.fresh("rows");
    const weights = l.fresh("weights");
    const blocked = l.fresh("blocked");
    l.node("Reshape", [a, l.int64s([blocks, m / blocks, k])], [rows]);
    l.node("Expand", [b, l.int64s([blocks, k, n])], [weights]);
    l.node("MatMul", [rows, weights], [blocked]);
    l.node("Reshape", [blocked, l.int64s([m, n])], outputs);
  },
  evaluate([a, b], node) {
    const shape = [...node.outputs[0].shape];
    const [m, k] = a.shape.slice(-2);
    const n = b.shape[b.shape.length - 1];
    const batch = shape.slice(0, -2);
    const out = ndarray(shape, a.dtype);
    const count = sizeOf(batch);
    const aBatch = a.shape.slice(0, -2);
    const bBatch = b.shape.slice(0, -2);
    const offsetIn = (bs: number[], i: number): number => {
      let off = 0;
      let mul = 1;
      let rem = i;
      for (let d = batch.length - 1; d >= 0; d--) {
        const idx = rem % batch[d];
        rem = Math.floor(rem / batch[d]);
        const own = bs[d - (batch.length - bs.length)];
        if (own !== undefined) {
          off += (own === 1 ? 0 : idx) * mul;
          mul *= own;
        }
      }
      return off;
    };
    for (let t = 0; t < count; t++) {
      const ao = offsetIn(aBatch, t) * m * k;
      const bo = offsetIn(bBatch, t) * k * n;
      const oo = t * m * n;
      for (let i = 0; i < m; i++) {
        for (let p = 0; p < k; p++) {
          const av = a.data[ao + i * k + p];
          if (av === 0) continue;
          for (let j = 0; j < n; j++) out.data[oo + i * n + j] += av * b.data[bo + p * n + j];
        }
      }
    }
    return [out];
  },
});
/**
 * How many row blocks a product lowers with, given the emitter's setting: 1 (a plain MatMul)
 * unless it is an activation [M, K] times a constant weight [K, N] with N > M, K >= 16 and at
 * least 64 rows per block (ONNX Runtime splits such products by columns across threads).
 */
export function matmulRowBlocks(node: Node, blocks: number): number {
  const [a, b] = node.inputs;
  if (blocks <= 1 || a.rank !== 2 || b.rank !== 2 || b.node.op !== "constant") return 1;
  const [m, k] = a.shape;
  const n = b.shape[1];
  return n > m && k >= 16 && m % blocks === 0 && m / blocks >= 64 ? blocks : 1;
}

/** Batched matrix product [..., M, K] @ [..., K, N] -> [..., M, N], batch dims broadcast. */
export function matmul(a: Tensor, b: Tensor): Tensor {
  return apply1("matmul", [a, b]);
}

// ---------- softmax ----------
defineOp({
  name: "softmax",
  infer: ([x]) => [x],
  grad(node, [g]) {
    if (!g) return [null];
    const y = node.outputs[0];
    const axis = node.attrs.axis as number;
    return [mul(y, sub(g, sum(mul(g, y), axis, true)))];
  },
  lower(l, node, inputs, outputs) {
    l.node("Softmax", inputs, outputs, { axis: { i: node.attrs.axis as number } });
  },
  evaluate([x], node) {
    const axis = node.attrs.axis as number;
    const n = x.shape[axis];
    const inner = sizeOf(x.shape.slice(axis + 1));
    const outer = sizeOf(x.shape.slice(0, axis));
    const out = ndarray([...x.shape], x.dtype);
    for (let o = 0; o < outer; o++) {
      for (let i = 0; i < inner; i++) {
        const base = o * n * inner + i;
        let m = Number.NEGATIVE_INFINITY;
        for (let j = 0; j < n; j++) m = Math.max(m, x.data[base + j * inner]);
        let s = 0;
        for (let j = 0; j < n; j++) {
          const e = Math.exp(x.data[base + j * inner] - m);
          out.data[base + j * inner] = e;
          s += e;
        }
        for (let j = 0; j < n; j++) out.data[base + j * inner] /= s;
      }
    }
    return [out];
  },
});
/** Softmax along an axis (default last). */
export function softmax(x: Tensor, axis = -1): Tensor {
  return apply1("softmax", [x], { axis: normAxis("softmax", axis, x.rank) });
}

// ---------- layer norm ----------
defineOp({
  name: "layerNorm",
  infer([x, gamma, beta], a) {
    const axis = a.axis as number;
    const normShape = x.shape.slice(axis);
    for (const [name, p] of [
      ["gamma", gamma],
      ["beta", beta],
    ] as const) {
      if (fmt(p.shape) !== fmt(normShape)) {
        throw new ShapeError(
          `layerNorm: ${name} ${fmt(p.shape)} must be ${fmt(normShape)} (the normalised axes of ${fmt(x.shape)})`,
        );
      }
    }
    const stat = x.shape.map((d, i) => (i < axis ? d : 1));
    return [x, { shape: stat, dtype: x.dtype }, { shape: stat, dtype: x.dtype }];
  },
  grad(node, [g], needs) {
    if (!g) return [null, null, null];
    const [x, gamma] = node.inputs;
    const [, mu, invStd] = node.outputs;
    const axis = node.attrs.axis as number;
    const axes = x.shape.map((_, i) => i).filter((i) => i >= axis);
    const lead = x.shape.map((_, i) => i).filter((i) => i < axis);
    const xhat = mul(sub(x, mu), invStd);
    const gy = mul(g, gamma);
    const dx = needs[0]
      ? mul(invStd, sub(sub(gy, mean(gy, axes, true)), mul(xhat, mean(mul(gy, xhat), axes, true))))
      : null;
    const dgamma = needs[1] ? sum(mul(g, xhat), lead) : null;
    const dbeta = needs[2] ? sum(g, lead) : null;
    return [dx, dgamma, dbeta];
  },
  lower(l, node, inputs, outputs) {
    const attrs = { axis: { i: node.attrs.axis as number }, epsilon: { f: node.attrs.eps as number } };
    l.node("LayerNormalization", inputs, outputs, attrs);
  },
  evaluate([x, gamma, beta], node) {
    const axis = node.attrs.axis as number;
    const eps = node.attrs.eps as number;
    const inner = sizeOf(x.shape.slice(axis));
    const outer = sizeOf(x.shape.slice(0, axis));
    const y = ndarray([...x.shape], x.dtype);
    const stat = [...node.outputs[1].shape];
    const mu = ndarray(stat, x.dtype);
    const inv = ndarray(stat, x.dtype);
    for (let o = 0; o < outer; o++) {
      let m = 0;
      for (let i = 0; i < inner; i++) m += x.data[o * inner + i];
      m /= inner;
      let v = 0;
      for (let i = 0; i < inner; i++) v += (x.data[o * inner + i] - m) ** 2;
      const r = 1 / Math.sqrt(v / inner + eps);
      mu.data[o] = m;
      inv.data[o] = r;
      for (let i = 0; i < inner; i++)
        y.data[o * inner + i] = (x.data[o * inner + i] - m) * r * gamma.data[i] + beta.data[i];
    }
    return [y, mu, inv];
  },
});
/** Layer normalisation over the axes from `axis` on: (x - mean) / sqrt(var + eps) * gamma + beta. */
export function layerNorm(
  x: Tensor,
  gamma: Tensor,
  beta: Tensor,
  opts: { axis?: number; eps?: number } = {},
): Tensor {
  const { axis = -1, eps = 1e-5 } = opts;
  return apply("layerNorm", [x, gamma, beta], { axis: normAxis("layerNorm", axis, x.rank), eps })[0];
}

// ---------- GELU ----------
const SQRT_2_OVER_PI = Math.sqrt(2 / Math.PI);
const GELU_CUBIC = 0.044715;

// The op keeps h = y / x as a second output (sigmoid(2u) with the tanh approximation, since
// (1 + tanh u) / 2 = sigmoid(2u); Phi(x) for the exact form), and in tanh mode a third,
// k = 2c (1 + a x^2) with 2u = x k, so the backward recomputes neither tanh nor the cubic:
//   forward: x^2, k, x k, h = Sigmoid(x k), y = x h (5 passes, not 8);
//   backward: dy/dx = h + x h (1 - h) d(2u)/dx = h + y (1 - h) (3k - 4c) (6 passes, not 11).
defineOp({
  name: "gelu",
  infer: ([x], a) => (a.approximate === "tanh" ? [x, x, x] : [x, x]),
  grad(node, [g]) {
    if (!g) return [null];
    const x = node.inputs[0];
    const [y, h] = node.outputs;
    if (node.attrs.approximate === "tanh") {
      const slope = add(mul(node.outputs[2], 3), -4 * SQRT_2_OVER_PI); // d(2u)/dx = 2c (1 + 3a x^2)
      return [mul(g, add(mul(mul(y, sub(1, h)), slope), h))];
    }
    // d/dx [x Phi(x)] = Phi(x) + x phi(x)
    const pdf = mul(exp(mul(mul(x, x), -0.5)), 1 / Math.sqrt(2 * Math.PI));
    return [mul(g, add(h, mul(x, pdf)))];
  },
  lower(l, node, [x], [y, h, k]) {
    if (
      node.attrs.approximate === "tanh" &&
      l.contribOps &&
      !l.consumed(node.outputs[1]) &&
      !l.consumed(node.outputs[2])
    ) {
      // Inference (no backward reads h or k): ONNX Runtime's FastGelu, one pass where the form
      // below takes five. Training graphs keep the standard form: ONNX Runtime 1.30's fusion
      // into FastGelu produces an invalid graph when x also feeds the backward pass.
      l.node("FastGelu", [x], [y], {}, "com.microsoft");
      return;
    }
    // Standard ops only (portable to every runtime).
    const dt = node.inputs[0].dtype;
    if (node.attrs.approximate === "tanh") {
      const x2 = l.fresh();
      const ax2 = l.fresh();
      const twoU = l.fresh();
      l.node("Mul", [x, x], [x2]);
      l.node("Mul", [x2, l.scalar(2 * GELU_CUBIC * SQRT_2_OVER_PI, dt)], [ax2]);
      l.node("Add", [ax2, l.scalar(2 * SQRT_2_OVER_PI, dt)], [k]);
      l.node("Mul", [x, k], [twoU]);
      l.node("Sigmoid", [twoU], [h]);
    } else {
      // Phi(x) = (1 + erf(x / sqrt 2)) / 2, the affine step as one HardSigmoid (erf is in [-1, 1]).
      const z = l.fresh();
      const e = l.fresh();
      l.node("Mul", [x, l.scalar(Math.SQRT1_2, dt)], [z]);
      l.node("Erf", [z], [e]);
      l.node("HardSigmoid", [e], [h], { alpha: { f: 0.5 }, beta: { f: 0.5 } });
    }
    l.node("Mul", [x, h], [y]);
  },
  evaluate([x], node) {
    const tanhMode = node.attrs.approximate === "tanh";
    const y = ndarray([...x.shape], x.dtype);
    const h = ndarray([...x.shape], x.dtype);
    const k = ndarray([...x.shape], x.dtype);
    for (let i = 0; i < y.data.length; i++) {
      const v = x.data[i];
      k.data[i] = 2 * SQRT_2_OVER_PI * (1 + GELU_CUBIC * v * v);
      h.data[i] = tanhMode ? 1 / (1 + Math.exp(-v * k.data[i])) : 0.5 * (1 + erfValue(v * Math.SQRT1_2));
      y.data[i] = v * h.data[i];
    }
    return tanhMode ? [y, h, k] : [y, h];
  },
});

/** GELU, exact (erf) or with the tanh approximation. */
export function gelu(x: Tensor, approximate: "none" | "tanh" = "none"): Tensor {
  return apply("gelu", [x], { approximate })[0];
}
