// The nn layers against the golden PyTorch fixtures (../shared/fixtures): outputs and the
// gradients of sum(output * upstream) for every input, in float32 on the reference
// interpreter and on ONNX Runtime, and in float64 on the interpreter.
import assert from "node:assert/strict";
import { test } from "node:test";
import {
  type Backend,
  type DType,
  ops,
  referenceBackend,
  type Tensor,
  type TensorRecord,
} from "../src/engine/index.ts";
import { nodeBackend } from "../src/engine/node.ts";
import {
  adaLNModulate,
  adaLNModulation,
  attention,
  conv2d,
  gruCell,
  layerNorm,
  linear,
  patchEmbed,
} from "../src/nn/index.ts";
import { fixtureErrors, haveFixtures, loadFixture } from "./nn-helpers.ts";

type Build = (inputs: TensorRecord) => Tensor;

/** Self-attention from separate wq/wk/wv (the fixture's layout) packed into our fused qkv weight. */
const attentionFrom =
  (heads: number, mask: "none" | "causal"): Build =>
  ({ x, wq, wk, wv, wo }) =>
    attention(
      { qkv: { w: ops.concat([wq, wk, wv], 1) }, proj: { w: wo } },
      x,
      { dim: x.shape[2], heads },
      { mask },
    );

const convFrom =
  (stride: number, padding: number): Build =>
  ({ x, w, b }) =>
    conv2d({ w, b }, x, {
      inChannels: w.shape[1],
      outChannels: w.shape[0],
      kernelSize: w.shape[2],
      stride,
      padding,
    });

/** Case name -> [fixture file, layer under test]. */
const CASES: Record<string, [string, Build]> = Object.fromEntries(
  Object.entries<Build>({
    linear: ({ x, w, b }) => linear({ w, b }, x),
    layer_norm: ({ x, gamma, beta }) => layerNorm({ gamma, beta }, x, { dim: 16 }),
    gelu_tanh: ({ x }) => ops.gelu(x, "tanh"),
    gelu_erf: ({ x }) => ops.gelu(x, "none"),
    softmax_last: ({ x }) => ops.softmax(x, -1),
    attention: attentionFrom(4, "none"),
    attention_causal: attentionFrom(2, "causal"),
    conv2d_s1_p1: convFrom(1, 1),
    conv2d_s2_p0: convFrom(2, 0),
    // Our patch embedding returns tokens [B, T, D]; the fixture holds the conv map [B, D, h, w].
    patch_embed: ({ x, w, b }) => {
      const tokens = patchEmbed({ w, b }, x, { imageSize: 8, patchSize: 4, channels: 3, dim: 6 });
      return ops.reshape(ops.swapLast(tokens), [2, 6, 2, 2]);
    },
    // PyTorch stores weight_ih [3H, in]; ours is [in, 3H].
    gru_cell: ({ x, h, w_ih, w_hh, b_ih, b_hh }) =>
      gruCell({ wIh: ops.swapLast(w_ih), wHh: ops.swapLast(w_hh), bIh: b_ih, bHh: b_hh }, x, h, {
        inDim: 4,
        hiddenDim: 6,
      }),
    adaln_modulate: ({ x, c, w_mod }) => {
      const [shift, scale] = adaLNModulation({ proj: { w: w_mod } }, c, {
        dim: 8,
        condDim: 5,
        chunks: 2,
        bias: false,
      });
      return adaLNModulate(x, shift, scale, { eps: 1e-6 });
    },
  }).map(([name, build]) => [name, [name, build]]),
);
CASES.patch_embed_matmul = [
  "patch_embed",
  ({ x, w, b }) => {
    const config = { imageSize: 8, patchSize: 4, channels: 3, dim: 6 };
    return ops.reshape(ops.swapLast(patchEmbed({ w, b }, x, config, { impl: "matmul" })), [2, 6, 2, 2]);
  },
];

const RUNS: { label: string; backend: () => Backend; dtype: DType; tol: number }[] = [
  {
    label: "reference float32",
    backend: () => referenceBackend({ precision: "float32" }),
    dtype: "float32",
    tol: 1e-4,
  },
  {
    label: "onnxruntime float32",
    backend: () => nodeBackend({ intraOpThreads: 1 }),
    dtype: "float32",
    tol: 1e-4,
  },
  {
    label: "reference float64",
    backend: () => referenceBackend({ precision: "float64" }),
    dtype: "float64",
    tol: 1e-9,
  },
];

for (const [name, [file, build]] of Object.entries(CASES)) {
  for (const run of RUNS) {
    test(`fixture ${name} on ${run.label}`, {
      skip: !haveFixtures && "../shared/fixtures is absent",
    }, async () => {
      const errors = await fixtureErrors(loadFixture(file), build, run.backend(), run.dtype);
      const worst = Math.max(...Object.values(errors));
      if (process.env.NN_REPORT) console.log(`${name} ${run.label} max rel err ${worst.toExponential(2)}`);
      for (const [what, err] of Object.entries(errors)) {
        assert.ok(err <= run.tol, `${name} ${what}: relative error ${err.toExponential(2)} > ${run.tol}`);
      }
    });
  }
}

test("the fixture check fails on a wrong layer (linear without its bias)", {
  skip: !haveFixtures && "../shared/fixtures is absent",
}, async () => {
  const errors = await fixtureErrors(
    loadFixture("linear"),
    ({ x, w, b }) => ops.add(linear({ w }, x), ops.mul(b, 0)),
    referenceBackend({ precision: "float64" }),
    "float64",
  );
  assert.ok(errors.output > 1e-3, `output error ${errors.output} should be large`);
  assert.ok(errors.grad_b > 0.5, `bias gradient error ${errors.grad_b} should be large`);
});
