// Shapes, initialisation (determinism, PyTorch's bounds), masks, token selection, and the ViT
// of the reference workload against an independent loop-by-loop implementation.
import assert from "node:assert/strict";
import { test } from "node:test";
import {
  compile,
  flattenTree,
  grad,
  type HostTensor,
  hostTensor,
  keyFromSeed,
  layoutOf,
  ops,
  referenceBackend,
  type Tensor,
  type TensorRecord,
  type Tree,
  toFloat64,
} from "../src/engine/index.ts";
import { nodeBackend } from "../src/engine/node.ts";
import {
  type AdaLNBlockParams,
  adaLNBlock,
  attention,
  type ConvEncoderParams,
  convEncoder,
  type GruCellParams,
  gatherTokens,
  gruCell,
  type ImpalaCnnConfig,
  type ImpalaCnnParams,
  impalaCnn,
  initAdaLNBlock,
  initAttention,
  initConvEncoder,
  initGruCell,
  initImpalaCnn,
  initLinear,
  initMlp,
  initViT,
  MASKED_SCORE,
  type MlpParams,
  maskScores,
  mlp,
  truncNormal,
  type ViTConfig,
  type ViTParams,
  vit,
  vitTokens,
} from "../src/nn/index.ts";
import { randomTensor, relErr, treeFrom, treeInputs } from "./nn-helpers.ts";

const f64 = referenceBackend({ precision: "float64" });

/** Runs fn(params, inputs) on the float64 interpreter with the tree's leaves as graph inputs. */
async function run64<P>(
  params: Tree<HostTensor>,
  inputs: Record<string, HostTensor>,
  fn: (p: P, x: TensorRecord) => Tensor,
): Promise<HostTensor> {
  const { spec, feeds } = treeInputs(params, "p");
  for (const [n, t] of Object.entries(inputs)) spec[n] = { shape: t.shape, dtype: t.dtype };
  const compiled = await compile((all) => fn(treeFrom<P>(params, "p", all), all), spec, f64);
  return (await compiled.run({ ...feeds, ...inputs })).output;
}

const sameBits = (a: Tree<HostTensor>, b: Tree<HostTensor>): boolean => {
  const fa = flattenTree(a);
  const fb = flattenTree(b);
  return (
    fa.length === fb.length &&
    fa.every(
      (e, i) =>
        e.path === fb[i].path &&
        Buffer.from(e.value.data.buffer).equals(Buffer.from(fb[i].value.data.buffer)),
    )
  );
};

// ---------- initialisation ----------

const REFERENCE_VIT: ViTConfig = {
  imageSize: 64,
  patchSize: 8,
  channels: 3,
  dim: 128,
  depth: 4,
  heads: 4,
  mlpDim: 512,
};

test("init: the same key gives the same bits, another key different ones", () => {
  const a = initViT(keyFromSeed(1), REFERENCE_VIT);
  const b = initViT(keyFromSeed(1), REFERENCE_VIT);
  const c = initViT(keyFromSeed(2), REFERENCE_VIT);
  assert.ok(sameBits(a, b));
  assert.ok(!sameBits(a, c));
  const cnn: ImpalaCnnConfig = { inChannels: 3, imageSize: 64, embedDim: 64 };
  assert.ok(sameBits(initImpalaCnn(keyFromSeed(3), cnn), initImpalaCnn(keyFromSeed(3), cnn)));
});

test("init: the reference ViT has the parameter shapes and count of workloads.py", () => {
  const p = initViT(keyFromSeed(0), REFERENCE_VIT);
  const { dim: d, mlpDim: m, channels: c, patchSize: ps, depth } = REFERENCE_VIT;
  const t = vitTokens(REFERENCE_VIT);
  assert.equal(t, 64);
  const shapes = Object.fromEntries(flattenTree(p).map((e) => [e.path, e.value.shape.join("x")]));
  assert.equal(shapes["patch.w"], `${d}x${c}x${ps}x${ps}`);
  assert.equal(shapes.pos, `1x${t}x${d}`);
  assert.equal(shapes["blocks.3.attn.qkv.w"], `${d}x${3 * d}`);
  assert.equal(shapes["blocks.0.mlp.layers.0.w"], `${d}x${m}`);
  assert.equal(shapes["blocks.0.mlp.layers.1.b"], `${d}`);
  // nn.Conv2d(c, d, p, p) + pos + depth x (2 LN + qkv + proj + fc1 + fc2) + final LN.
  const block = 2 * 2 * d + (d * 3 * d + 3 * d) + (d * d + d) + (d * m + m) + (m * d + d);
  const expected = c * ps * ps * d + d + t * d + depth * block + 2 * d;
  assert.equal(layoutOf(p).total, expected);
});

test("init: linear and conv weights follow PyTorch's U(-1/sqrt(fan_in), 1/sqrt(fan_in))", () => {
  const lin = initLinear(keyFromSeed(4), { inDim: 400, outDim: 50 });
  const bound = 1 / Math.sqrt(400);
  for (const t of [lin.w, lin.b!]) {
    const v = toFloat64(t.data);
    const max = v.reduce((m, x) => Math.max(m, Math.abs(x)), 0);
    assert.ok(max <= bound && max > 0.95 * bound, `max |w| ${max} vs bound ${bound}`);
  }
  const enc = initConvEncoder(keyFromSeed(5), { inChannels: 2, imageSize: 64, embedDim: 128 });
  const convBound = 1 / Math.sqrt(2 * 9);
  const w = toFloat64(enc.convs[0].w.data);
  assert.ok(w.every((x) => Math.abs(x) <= convBound));
  assert.deepEqual(enc.fc.w.shape, [32 * 8 * 8, 128]);
});

test("init: trunc-normal draws stay within 2 std and have std near 0.02 * 0.88", () => {
  const t = toFloat64(truncNormal(keyFromSeed(6), [100, 100], 0.02).data);
  assert.ok(t.every((x) => Math.abs(x) <= 0.04 + 1e-9));
  const std = Math.sqrt(t.reduce((s, x) => s + x * x, 0) / t.length);
  // The standard deviation of a normal truncated at +-2 sigma is 0.8796 sigma.
  assert.ok(Math.abs(std / 0.02 - 0.8796) < 0.02, `std ${std}`);
  const lin = initLinear(keyFromSeed(6), { inDim: 8, outDim: 8, init: "trunc-normal" });
  assert.ok(toFloat64(lin.b!.data).every((x) => x === 0));
});

// ---------- shapes ----------

test("shapes: each layer maps its documented input shape to its documented output shape", async () => {
  const key = keyFromSeed(8);
  const x = randomTensor(key, [2, 3, 16, 16]);
  const cnn: ImpalaCnnConfig = { inChannels: 3, imageSize: 16, embedDim: 10, finalNorm: true };
  const y = await run64(initImpalaCnn(key, cnn), { x }, (p: ImpalaCnnParams<Tensor>, { x }) =>
    impalaCnn(p, x, cnn),
  );
  assert.deepEqual(y.shape, [2, 10]);
  const enc = { inChannels: 3, imageSize: 16, embedDim: 12 };
  assert.deepEqual(
    (
      await run64(initConvEncoder(key, enc), { x }, (p: ConvEncoderParams<Tensor>, { x }) =>
        convEncoder(p, x, enc),
      )
    ).shape,
    [2, 12],
  );
  const mlpConfig = { inDim: 5, hidden: [7], outDim: 3 };
  const z = await run64(
    initMlp(key, mlpConfig),
    { x: randomTensor(key, [2, 4, 5]) },
    (p: MlpParams<Tensor>, { x }) => mlp(p, x, mlpConfig),
  );
  assert.deepEqual(z.shape, [2, 4, 3]);
  const gru = { inDim: 3, hiddenDim: 5 };
  const h = await run64(
    initGruCell(key, gru),
    { x: randomTensor(key, [4, 3]), h: randomTensor(key, [4, 5]) },
    (p: GruCellParams<Tensor>, { x, h }) => gruCell(p, x, h, gru),
  );
  assert.deepEqual(h.shape, [4, 5]);
});

test("shapes: a wrong input shape is refused at trace time with the expected shape named", async () => {
  const cnn: ImpalaCnnConfig = { inChannels: 3, imageSize: 16, embedDim: 10 };
  await assert.rejects(
    run64(
      initImpalaCnn(keyFromSeed(0), cnn),
      { x: randomTensor(keyFromSeed(0), [2, 3, 8, 8]) },
      (p: ImpalaCnnParams<Tensor>, { x }) => impalaCnn(p, x, cnn),
    ),
    /must be \[B, 3, 16, 16\]/,
  );
  assert.throws(() => maskScores({ kind: "block-causal", tokensPerFrame: 4 }, 6, 6), /frames of 4/);
});

// ---------- masks and tokens ----------

test("masks: causal and block-causal scores allow exactly the earlier tokens and frames", () => {
  const causal = maskScores("causal", 4, 4)!;
  const block = maskScores({ kind: "block-causal", tokensPerFrame: 2 }, 4, 4)!;
  for (let i = 0; i < 4; i++) {
    for (let j = 0; j < 4; j++) {
      assert.equal(causal[i * 4 + j], j <= i ? 0 : MASKED_SCORE);
      assert.equal(block[i * 4 + j], Math.floor(j / 2) <= Math.floor(i / 2) ? 0 : MASKED_SCORE);
    }
  }
  assert.equal(maskScores("none", 3, 5), null);
});

test("masks: with block-causal attention, earlier frames do not see later ones and a frame sees itself", async () => {
  const config = { dim: 8, heads: 2 };
  const params = initAttention(keyFromSeed(9), config);
  const x = randomTensor(keyFromSeed(10), [1, 6, 8]);
  const changed = hostTensor(
    [1, 6, 8],
    Float64Array.from(x.data as Float64Array, (v, i) => (i >= 4 * 8 ? v + 1 : v)),
    "float64",
  );
  const apply = (p: Parameters<typeof attention>[0], { x }: TensorRecord) =>
    attention(p, x, config, { mask: { kind: "block-causal", tokensPerFrame: 2 } });
  const a = toFloat64((await run64(params, { x }, apply)).data);
  const b = toFloat64((await run64(params, { x: changed }, apply)).data);
  // Token 4 (frame 2) changed: frames 0-1 (tokens 0-3) are unaffected; token 5 (frame 2) is.
  for (let i = 0; i < 4 * 8; i++) assert.equal(a[i], b[i]);
  assert.ok(Math.abs(a[5 * 8] - b[5 * 8]) > 1e-6);
});

test("gatherTokens: shared [K] and per-sample [B, K] indices pick the right rows", async () => {
  const h = hostTensor(
    [2, 4, 3],
    Array.from({ length: 24 }, (_, i) => i),
    "float64",
  );
  const pick = async (idx: HostTensor) =>
    toFloat64(
      (
        await (
          await compile(
            ({ h, idx }) => gatherTokens(h, idx),
            { h: { shape: [2, 4, 3], dtype: "float64" }, idx: { shape: idx.shape, dtype: "int32" } },
            f64,
          )
        ).run({ h, idx })
      ).output.data,
    );
  const row = (b: number, t: number) => [0, 1, 2].map((d) => (b * 4 + t) * 3 + d);
  assert.deepEqual(
    [...(await pick(hostTensor([2], [3, 1], "int32")))],
    [...row(0, 3), ...row(0, 1), ...row(1, 3), ...row(1, 1)],
  );
  assert.deepEqual(
    [...(await pick(hostTensor([2, 2], [3, 1, 0, 2], "int32")))],
    [...row(0, 3), ...row(0, 1), ...row(1, 0), ...row(1, 2)],
  );
});

test("adaLNBlock is the identity at initialisation (AdaLN-zero)", async () => {
  const config = { dim: 8, heads: 2, mlpDim: 16, condDim: 4 };
  const h = randomTensor(keyFromSeed(11), [2, 3, 8]);
  const c = randomTensor(keyFromSeed(12), [2, 4]);
  const y = await run64(
    initAdaLNBlock(keyFromSeed(13), config),
    { h, c },
    (p: AdaLNBlockParams<Tensor>, { h, c }) => adaLNBlock(p, h, c, config),
  );
  assert.equal(relErr(y, toFloat64(h.data)), 0);
});

// ---------- the ViT against an independent implementation ----------

/** The ViT forward of workloads.py written out in loops over plain float64 arrays: x [B, C, S, S] -> [B, T, D]. */
function loopViT(p: ViTParams<HostTensor>, x: Float64Array, batch: number, config: ViTConfig): Float64Array {
  const { imageSize: s, patchSize: ps, channels: c, dim: d, heads, mlpDim: m } = config;
  const g = s / ps;
  const t = g * g;
  const rows = batch * t;
  const dh = d / heads;
  const v = (a: HostTensor | undefined) => toFloat64(a!.data);
  const layerNorm = (a: Float64Array, gamma: Float64Array, beta: Float64Array) => {
    const out = new Float64Array(a.length);
    for (let r = 0; r < rows; r++) {
      let mean = 0;
      for (let i = 0; i < d; i++) mean += a[r * d + i] / d;
      let variance = 0;
      for (let i = 0; i < d; i++) variance += (a[r * d + i] - mean) ** 2 / d;
      for (let i = 0; i < d; i++)
        out[r * d + i] = ((a[r * d + i] - mean) / Math.sqrt(variance + 1e-5)) * gamma[i] + beta[i];
    }
    return out;
  };
  const dense = (a: Float64Array, inDim: number, w: Float64Array, b: Float64Array, outDim: number) => {
    const out = new Float64Array(rows * outDim);
    for (let r = 0; r < rows; r++)
      for (let o = 0; o < outDim; o++) {
        let acc = b[o];
        for (let i = 0; i < inDim; i++) acc += a[r * inDim + i] * w[i * outDim + o];
        out[r * outDim + o] = acc;
      }
    return out;
  };
  const gelu = (u: number) => 0.5 * u * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (u + 0.044715 * u ** 3)));
  // Patch embedding (Conv2d, kernel = stride = patch) + positions.
  let h = new Float64Array(rows * d);
  const [pw, pb, pos] = [v(p.patch.w), v(p.patch.b), v(p.pos)];
  for (let b = 0; b < batch; b++)
    for (let i = 0; i < g; i++)
      for (let j = 0; j < g; j++)
        for (let o = 0; o < d; o++) {
          let acc = pb[o] + pos[(i * g + j) * d + o];
          for (let ch = 0; ch < c; ch++)
            for (let u = 0; u < ps; u++)
              for (let w = 0; w < ps; w++)
                acc +=
                  x[((b * c + ch) * s + i * ps + u) * s + j * ps + w] * pw[((o * c + ch) * ps + u) * ps + w];
          h[(b * t + i * g + j) * d + o] = acc;
        }
  for (const blk of p.blocks) {
    const qkv = dense(
      layerNorm(h, v(blk.norm1.gamma), v(blk.norm1.beta)),
      d,
      v(blk.attn.qkv.w),
      v(blk.attn.qkv.b),
      3 * d,
    );
    const att = new Float64Array(rows * d);
    for (let b = 0; b < batch; b++)
      for (let hd = 0; hd < heads; hd++)
        for (let i = 0; i < t; i++) {
          const scores = new Float64Array(t);
          for (let j = 0; j < t; j++) {
            for (let e = 0; e < dh; e++)
              scores[j] +=
                qkv[(b * t + i) * 3 * d + hd * dh + e] * qkv[(b * t + j) * 3 * d + d + hd * dh + e];
            scores[j] /= Math.sqrt(dh);
          }
          const top = Math.max(...scores);
          const weights = scores.map((z) => Math.exp(z - top));
          const total = weights.reduce((a, z) => a + z, 0);
          for (let e = 0; e < dh; e++) {
            let acc = 0;
            for (let j = 0; j < t; j++)
              acc += (weights[j] / total) * qkv[(b * t + j) * 3 * d + 2 * d + hd * dh + e];
            att[(b * t + i) * d + hd * dh + e] = acc;
          }
        }
    const proj = dense(att, d, v(blk.attn.proj.w), v(blk.attn.proj.b), d);
    h = h.map((z, i) => z + proj[i]);
    const [fc1, fc2] = blk.mlp.layers;
    const hidden = dense(layerNorm(h, v(blk.norm2.gamma), v(blk.norm2.beta)), d, v(fc1.w), v(fc1.b), m).map(
      gelu,
    );
    const out = dense(hidden, m, v(fc2.w), v(fc2.b), d);
    h = h.map((z, i) => z + out[i]);
  }
  return layerNorm(h, v(p.norm.gamma), v(p.norm.beta));
}

test("vit matches a loop-by-loop implementation of the reference ViT (float64, both patch paths)", async () => {
  const config: ViTConfig = {
    imageSize: 8,
    patchSize: 4,
    channels: 2,
    dim: 8,
    depth: 2,
    heads: 2,
    mlpDim: 12,
  };
  const params = initViT(keyFromSeed(20), config);
  const x = randomTensor(keyFromSeed(21), [2, 2, 8, 8]);
  const expected = loopViT(params, x.data as Float64Array, 2, config);
  for (const patchImpl of ["conv", "matmul"] as const) {
    const y = await run64<ViTParams<Tensor>>(params, { x }, (p, { x }) => vit(p, x, config, { patchImpl }));
    assert.deepEqual(y.shape, [2, 4, 8]);
    assert.ok(relErr(y, expected) < 1e-12, `${patchImpl}: ${relErr(y, expected)}`);
  }
});

test("vit at the reference size on ONNX Runtime (float32) matches the loop implementation to 1e-4", async () => {
  const params = initViT(keyFromSeed(22), REFERENCE_VIT);
  const x = hostTensor(
    [2, 3, 64, 64],
    Float32Array.from(randomTensor(keyFromSeed(23), [2, 3, 64, 64]).data as Float64Array),
  );
  const expected = loopViT(params, toFloat64(x.data), 2, REFERENCE_VIT);
  const leaves = flattenTree(params, "p");
  const spec = Object.fromEntries(leaves.map((e) => [e.path, { shape: e.value.shape }]));
  const feeds = Object.fromEntries(leaves.map((e) => [e.path, e.value]));
  for (const patchImpl of ["conv", "matmul"] as const) {
    const compiled = await compile(
      (all) => vit(treeFrom<ViTParams<Tensor>>(params, "p", all), all.x, REFERENCE_VIT, { patchImpl }),
      { ...spec, x: { shape: [2, 3, 64, 64] } },
      nodeBackend({ intraOpThreads: 2 }),
    );
    const y = (await compiled.run({ ...feeds, x })).output;
    await compiled.release();
    assert.deepEqual(y.shape, [2, vitTokens(REFERENCE_VIT), 128]);
    assert.ok(relErr(y, expected) < 1e-4, `${patchImpl}: ${relErr(y, expected)}`);
  }
});

test("gatherTokens and its gradient agree between ONNX Runtime and the interpreter", async () => {
  const h = randomTensor(keyFromSeed(30), [2, 5, 3]);
  const u = randomTensor(keyFromSeed(31), [2, 3, 3]);
  // Per-sample indices with a repeat (token 1 twice in sample 0): the gradient must add both.
  const idx = hostTensor([2, 3], [1, 4, 1, 0, 2, 3], "int32");
  const fn = ({ h, u, idx }: TensorRecord) => {
    const y = gatherTokens(h, idx);
    return { y, dh: grad(ops.sum(ops.mul(y, u)), [h])[0] };
  };
  const results = [];
  for (const [backend, dtype] of [
    [f64, "float64"],
    [nodeBackend({ intraOpThreads: 1 }), "float32"],
  ] as const) {
    const spec = {
      h: { shape: [2, 5, 3], dtype },
      u: { shape: [2, 3, 3], dtype },
      idx: { shape: [2, 3], dtype: "int32" as const },
    };
    const compiled = await compile(fn, spec, backend);
    const cast = (t: HostTensor) => hostTensor(t.shape, toFloat64(t.data), dtype);
    results.push(await compiled.run({ h: cast(h), u: cast(u), idx }));
    await compiled.release();
  }
  const [ref, ort] = results;
  assert.ok(relErr(ort.y, toFloat64(ref.y.data)) < 1e-6);
  assert.ok(relErr(ort.dh, toFloat64(ref.dh.data)) < 1e-6);
  // Sample 0, token 1 receives u[0,0] + u[0,2]; token 3 of sample 0 receives nothing.
  const dh = toFloat64(ref.dh.data);
  const uu = toFloat64(u.data);
  for (let d = 0; d < 3; d++) {
    assert.ok(Math.abs(dh[1 * 3 + d] - (uu[d] + uu[2 * 3 + d])) < 1e-12);
    assert.equal(dh[3 * 3 + d], 0);
  }
});
