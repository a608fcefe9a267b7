// Central finite differences (float64 reference interpreter) against reverse-mode gradients
// for every nn layer, on small random inputs and freshly initialised parameters.
import assert from "node:assert/strict";
import { test } from "node:test";
import {
  type HostTensor,
  hostTensor,
  type Key,
  keyFromSeed,
  ops,
  split,
  type Tensor,
  type TensorRecord,
  type Tree,
  unflattenTree,
} from "../src/engine/index.ts";
import {
  type AdaLNBlockParams,
  type AttentionMask,
  type AttentionParams,
  adaLNBlock,
  attention,
  type Conv2dParams,
  type ConvEncoderParams,
  type CrossAttentionParams,
  conv2d,
  convEncoder,
  crossAttention,
  type GruCellParams,
  gruCell,
  type ImpalaCnnParams,
  impalaCnn,
  initAdaLNBlock,
  initAttention,
  initConv2d,
  initConvEncoder,
  initCrossAttention,
  initGruCell,
  initImpalaCnn,
  initKeypointEncoder,
  initLayerNorm,
  initLinear,
  initMlp,
  initViT,
  type KeypointEncoderParams,
  keypointEncoder,
  type LayerNormParams,
  type LinearParams,
  layerNorm,
  linear,
  type MlpConfig,
  type MlpParams,
  mlp,
  normalTensor,
  type ViTParams,
  vit,
} from "../src/nn/index.ts";
import { gradCheck, randomTensor, treeFrom, treeInputs } from "./nn-helpers.ts";

const TOL = 1e-6;

/**
 * Checks d/d(inputs and params) of sum(apply(params, inputs) * u). `params` is a host tree
 * (perturbed to break symmetries such as AdaLN's zero init); `inputs` are float64 tensors.
 */
async function checkLayer<P>(
  key: Key,
  params: Tree<HostTensor>,
  inputs: Record<string, HostTensor>,
  apply: (p: P, x: TensorRecord) => Tensor,
  fixed: Record<string, HostTensor> = {},
): Promise<void> {
  const { feeds } = treeInputs(params, "p");
  const result = await gradCheck(
    key,
    (all) => apply(treeFrom<P>(params, "p", all), all),
    { ...inputs, ...feeds },
    { fixed },
  );
  assert.ok(result.checked > 0);
  assert.ok(
    result.worst < TOL,
    `worst finite-difference error ${result.worst.toExponential(2)} at ${result.worstInput}`,
  );
}

/** Adds small noise to every leaf so that zero-initialised parameters get nonzero gradients. */
function jitter(key: Key, tree: Tree<HostTensor>): Tree<HostTensor> {
  const { feeds } = treeInputs(tree, "p");
  const noisy = Object.values(feeds).map((t, i) => {
    const n = normalTensor(split(key, i + 1)[i], t.shape, 0.3);
    return hostTensor(
      t.shape,
      Float64Array.from(t.data as Float64Array, (v, j) => v + (n.data[j] as number)),
      "float64",
    );
  });
  return unflattenTree(tree, noisy);
}

const [k0, k1, k2, k3, k4, k5, k6, k7, k8, k9, k10] = split(keyFromSeed(7), 11);

test("linear: gradients match finite differences", async () => {
  const config = { inDim: 5, outDim: 3 };
  await checkLayer(
    k0,
    initLinear(k0, config),
    { x: randomTensor(k1, [2, 4, 5]) },
    (p: LinearParams<Tensor>, { x }) => linear(p, x),
  );
});

for (const activation of ["gelu", "gelu-tanh", "relu", "silu", "tanh"] as const) {
  test(`mlp (${activation}, final norm): gradients match finite differences`, async () => {
    const config: MlpConfig = { inDim: 4, hidden: [6, 5], outDim: 3, activation, finalNorm: true };
    await checkLayer(
      k1,
      jitter(k2, initMlp(k1, config)),
      { x: randomTensor(k2, [3, 4]) },
      (p: MlpParams<Tensor>, { x }) => mlp(p, x, config),
    );
  });
}

for (const affine of [true, false]) {
  test(`layerNorm (affine ${affine}): gradients match finite differences`, async () => {
    const config = { dim: 6, affine };
    await checkLayer(
      k2,
      jitter(k3, initLayerNorm(k2, config)),
      { x: randomTensor(k3, [2, 3, 6]) },
      (p: LayerNormParams<Tensor>, { x }) => layerNorm(p, x, config),
    );
  });
}

test("conv2d (stride 2, padding 1, bias): gradients match finite differences", async () => {
  const config = { inChannels: 2, outChannels: 3, kernelSize: 3, stride: 2, padding: 1 };
  await checkLayer(
    k3,
    initConv2d(k3, config),
    { x: randomTensor(k4, [2, 2, 5, 5]) },
    (p: Conv2dParams<Tensor>, { x }) => conv2d(p, x, config),
  );
});

const masks: AttentionMask[] = ["none", "causal", { kind: "block-causal", tokensPerFrame: 2 }];
for (const mask of masks) {
  test(`attention (mask ${typeof mask === "string" ? mask : mask.kind}): gradients match finite differences`, async () => {
    const config = { dim: 8, heads: 2 };
    await checkLayer(
      k4,
      initAttention(k4, config),
      { x: randomTensor(k5, [2, 6, 8]) },
      (p: AttentionParams<Tensor>, { x }) => attention(p, x, config, { mask }),
    );
  });
}

test("crossAttention: gradients match finite differences", async () => {
  const config = { dim: 8, contextDim: 6, heads: 2 };
  await checkLayer(
    k5,
    initCrossAttention(k5, config),
    { x: randomTensor(k6, [2, 3, 8]), context: randomTensor(k7, [2, 5, 6]) },
    (p: CrossAttentionParams<Tensor>, { x, context }) => crossAttention(p, x, context, config),
  );
});

test("vit (block-causal, per-sample kept tokens, matmul patches): gradients match finite differences", async () => {
  const config = { imageSize: 8, patchSize: 4, channels: 2, dim: 8, depth: 2, heads: 2, mlpDim: 12 };
  const keep = hostTensor([2, 2], [3, 0, 1, 2], "int32");
  await checkLayer(
    k6,
    initViT(k6, config),
    { x: randomTensor(k7, [2, 2, 8, 8]) },
    (p: ViTParams<Tensor>, { x, keep: kept }) =>
      vit(p, x, config, { keep: kept, mask: "causal", patchImpl: "matmul" }),
    { keep },
  );
});

test("vit (conv patches, shared kept tokens): gradients match finite differences", async () => {
  const config = { imageSize: 8, patchSize: 4, channels: 1, dim: 4, depth: 1, heads: 1, mlpDim: 8 };
  const keep = hostTensor([3], [2, 0, 3], "int32");
  await checkLayer(
    k7,
    initViT(k7, config),
    { x: randomTensor(k8, [2, 1, 8, 8]) },
    (p: ViTParams<Tensor>, { x, keep: kept }) => vit(p, x, config, { keep: kept }),
    { keep },
  );
});

test("gruCell: gradients match finite differences", async () => {
  const config = { inDim: 3, hiddenDim: 4 };
  await checkLayer(
    k8,
    initGruCell(k8, config),
    { x: randomTensor(k9, [2, 3]), h: randomTensor(k10, [2, 4]) },
    (p: GruCellParams<Tensor>, { x, h }) => gruCell(p, x, h, config),
  );
});

test("adaLNBlock: gradients match finite differences (modulation jittered away from zero)", async () => {
  const config = { dim: 8, heads: 2, mlpDim: 12, condDim: 3 };
  await checkLayer(
    k9,
    jitter(k10, initAdaLNBlock(k9, config)),
    { h: randomTensor(k0, [2, 4, 8]), c: randomTensor(k1, [2, 3]) },
    (p: AdaLNBlockParams<Tensor>, { h, c }) =>
      adaLNBlock(p, h, c, config, { mask: { kind: "block-causal", tokensPerFrame: 2 } }),
  );
});

test("impalaCnn: gradients match finite differences", async () => {
  const config = {
    inChannels: 2,
    imageSize: 8,
    embedDim: 5,
    channels: [3, 4],
    blocksPerStage: 1,
    finalNorm: true,
  };
  await checkLayer(
    k10,
    initImpalaCnn(k10, config),
    { x: randomTensor(k0, [2, 2, 8, 8]) },
    (p: ImpalaCnnParams<Tensor>, { x }) => impalaCnn(p, x, config),
  );
});

test("convEncoder: gradients match finite differences", async () => {
  const config = { inChannels: 2, imageSize: 8, embedDim: 6, channels: [3, 4, 4] };
  await checkLayer(
    k1,
    initConvEncoder(k1, config),
    { x: randomTensor(k2, [2, 2, 8, 8]) },
    (p: ConvEncoderParams<Tensor>, { x }) => convEncoder(p, x, config),
  );
});

test("keypointEncoder (spatial softmax): gradients match finite differences", async () => {
  const config = { inChannels: 2, imageSize: 8, embedDim: 4, channels: [3, 3], hidden: [5], logitScale: 2 };
  await checkLayer(
    k4,
    initKeypointEncoder(k4, config),
    { x: randomTensor(k5, [2, 2, 8, 8]) },
    (p: KeypointEncoderParams<Tensor>, { x }) => keypointEncoder(p, x, config),
  );
});

test("the finite-difference check fails on a wrong gradient", async () => {
  // x * stopGradient(x) has value x^2 but autodiff sees slope x instead of 2x.
  const result = await gradCheck(k3, ({ x }) => ops.mul(x, ops.stopGradient(x)), {
    x: randomTensor(k4, [5]),
  });
  assert.ok(result.worst > 0.1, `worst error ${result.worst} should be large`);
});
