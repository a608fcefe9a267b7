import assert from "node:assert/strict";
import { test } from "node:test";
import {
  type Backend,
  compileTrainStep,
  type HostTensor,
  hostTensor,
  keyFromSeed,
  normal,
  ops,
  referenceBackend,
  type Tensor,
  type Tree,
} from "../src/engine/index.ts";
import { nodeBackend } from "../src/engine/node.ts";
import { adamw, linearSchedule, sgd, warmupCosine } from "../src/optim/index.ts";
import { asHost, haveFixtures, loadFixture, relError } from "./helpers/fixtures.ts";

const backends: [string, () => Backend][] = [
  ["reference", () => referenceBackend()],
  ["onnxruntime", () => nodeBackend()],
];

for (const [name, backend] of backends) {
  test(`AdamW matches torch.optim.AdamW over three steps (${name})`, { skip: !haveFixtures }, async () => {
    const fx = loadFixture("adamw_three_steps");
    const [beta1, beta2] = fx.betas as number[];
    const opt = adamw({
      lr: fx.lr as number,
      beta1,
      beta2,
      eps: fx.eps as number,
      weightDecay: fx.weight_decay as number,
      decayFilter: () => true,
    });
    const step = await compileTrainStep(
      (p, batch) => ({ loss: ops.sum(ops.sub((p as { p: Tensor }).p, batch.target).square()) }),
      { p: asHost(fx.inputs.p0) },
      opt,
      { target: { shape: fx.inputs.target.shape } },
      { backend: backend() },
    );
    const target = asHost(fx.inputs.target);
    for (const expected of fx.params_after_each_step as { data: number[] }[]) {
      await step.run({ target });
      const p = (step.params() as { p: HostTensor }).p;
      assert.ok(
        relError(p.data as Float32Array, expected.data) < 1e-5,
        `step ${step.step}: ${relError(p.data as Float32Array, expected.data)}`,
      );
    }
    await step.release();
  });
}

function mlpProblem() {
  const k = keyFromSeed(3);
  const init: Tree<HostTensor> = {
    l1: {
      w: hostTensor(
        [4, 16],
        normal(k, 64).map((v) => v * 0.5),
      ),
      b: hostTensor([16], new Float32Array(16)),
    },
    l2: {
      w: hostTensor(
        [16, 1],
        normal(keyFromSeed(4), 16).map((v) => v * 0.25),
      ),
      b: hostTensor([1], [0]),
    },
  };
  const x = hostTensor([32, 4], normal(keyFromSeed(5), 128));
  const y = hostTensor(
    [32, 1],
    Array.from(
      { length: 32 },
      (_, i) => Math.sin(x.data[i * 4] as number) + 0.5 * (x.data[i * 4 + 1] as number),
    ),
  );
  const loss = (p: Tree<Tensor>, b: Record<string, Tensor>) => {
    const q = p as { l1: { w: Tensor; b: Tensor }; l2: { w: Tensor; b: Tensor } };
    const h = ops.tanh(ops.add(ops.matmul(b.x, q.l1.w), q.l1.b));
    const pred = ops.add(ops.matmul(h, q.l2.w), q.l2.b);
    const mse = ops.mean(ops.sub(pred, b.y).square());
    return { loss: mse, terms: { mse } };
  };
  return { init, x, y, loss, spec: { x: { shape: [32, 4] }, y: { shape: [32, 1] } } };
}

test("a compiled step trains an MLP, ONNX Runtime and the interpreter agree, EMA follows", async () => {
  const { init, x, y, loss, spec } = mlpProblem();
  const opt = () => adamw({ lr: warmupCosine({ peak: 0.05, warmupSteps: 5, totalSteps: 60 }), clipNorm: 5 });
  const ema = { of: "l1", momentum: linearSchedule(0.9, 1, 60) };
  const ort = await compileTrainStep(loss, init, opt(), spec, { backend: nodeBackend(), ema });
  const ref = await compileTrainStep(loss, init, opt(), spec, { backend: referenceBackend(), ema });
  const first = await ort.run({ x, y });
  const firstRef = await ref.run({ x, y });
  assert.ok(Math.abs(first.loss - firstRef.loss) < 1e-5 * Math.abs(firstRef.loss));
  let last = first;
  for (let i = 1; i < 60; i++) {
    last = await ort.run({ x, y });
    await ref.run({ x, y });
  }
  assert.ok(last.loss < 0.2 * first.loss, `loss ${first.loss} -> ${last.loss}`);
  assert.ok("grad_norm" in last.terms && "mse" in last.terms && "lr" in last.terms);
  const a = ort.getState();
  const b = ref.getState();
  assert.ok(relError(a.params, b.params) < 1e-3, `params differ by ${relError(a.params, b.params)}`);
  // The EMA of l1 lags the live l1 parameters but has moved from the start.
  const e = ort.emaParams() as { w: HostTensor };
  const live = (ort.params() as { l1: { w: HostTensor } }).l1.w;
  assert.ok(relError(e.w.data as Float32Array, live.data as Float32Array) > 1e-4);
  assert.ok(
    relError(e.w.data as Float32Array, (init as { l1: { w: HostTensor } }).l1.w.data as Float32Array) > 1e-3,
  );
  await ort.release();
  await ref.release();
});

test("same seed, same bits: two identical runs give identical parameters", async () => {
  const { init, x, y, loss, spec } = mlpProblem();
  const run = async () => {
    const s = await compileTrainStep(loss, init, sgd({ lr: 0.05, momentum: 0.9 }), spec, {
      backend: nodeBackend(),
    });
    for (let i = 0; i < 20; i++) await s.run({ x, y });
    const out = s.getState().params;
    await s.release();
    return out;
  };
  const [a, b] = [await run(), await run()];
  assert.deepEqual(Buffer.from(a.buffer), Buffer.from(b.buffer));
});

test("getState/setState resumes exactly", async () => {
  const { init, x, y, loss, spec } = mlpProblem();
  const make = () => compileTrainStep(loss, init, adamw({ lr: 0.01 }), spec, { backend: nodeBackend() });
  const full = await make();
  for (let i = 0; i < 10; i++) await full.run({ x, y });
  const half = await make();
  for (let i = 0; i < 5; i++) await half.run({ x, y });
  const resumed = await make();
  resumed.setState(half.getState());
  for (let i = 0; i < 5; i++) await resumed.run({ x, y });
  assert.equal(resumed.step, 10);
  assert.deepEqual(Buffer.from(resumed.getState().params.buffer), Buffer.from(full.getState().params.buffer));
});
