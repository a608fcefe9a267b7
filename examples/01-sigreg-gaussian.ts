// Example 1: SIGReg tells Gaussian embeddings from non-Gaussian ones, and training on it
// moves a skewed cloud toward an isotropic Gaussian (LeJEPA's regulariser, on its own).
//   npx tsx examples/01-sigreg-gaussian.ts [--tiny]
import assert from "node:assert/strict";
import {
  compile,
  compileTrainStep,
  foldIn,
  hostTensor,
  keyFromSeed,
  normal,
  ops,
  type Tensor,
} from "../src/engine/index.ts";
import { nodeBackend } from "../src/engine/node.ts";
import { sampleSlices, sigreg } from "../src/objectives/index.ts";
import { adamw } from "../src/optim/index.ts";

const tiny = process.argv.includes("--tiny");
const [N, D, K] = [256, 16, 64];
const backend = nodeBackend();

// 1. The statistic: near zero for N(0, I), large for a skewed (exponential) cloud.
const stat = await compile(
  (i) => sigreg(i.z, i.slices),
  { z: { shape: [1, N, D] }, slices: { shape: [D, K] } },
  backend,
);
const gaussian = hostTensor([1, N, D], normal(keyFromSeed(1), N * D));
const skewed = hostTensor(
  [1, N, D],
  normal(keyFromSeed(2), N * D).map((v) => Math.exp(v) - Math.exp(0.5)),
);
const slices = sampleSlices(keyFromSeed(3), D, K);
const onGaussian = Number((await stat.run({ z: gaussian, slices })).output.data[0]);
const onSkewed = Number((await stat.run({ z: skewed, slices })).output.data[0]);
console.log(`SIGReg: Gaussian ${onGaussian.toFixed(3)}, skewed ${onSkewed.toFixed(3)}`);
assert.ok(onSkewed > 5 * onGaussian, "SIGReg should separate skewed from Gaussian samples");

// 2. Gradient descent on SIGReg alone: a learnable cloud starts skewed and becomes Gaussian.
const steps = tiny ? 60 : 400;
const train = await compileTrainStep(
  (p, batch) => ({ loss: sigreg(ops.reshape(p as Tensor, [1, N, D]), batch.slices) }),
  hostTensor([N * D], skewed.data as Float32Array),
  adamw({ lr: 0.05, weightDecay: 0 }),
  { slices: { shape: [D, K] } },
  { backend },
);
let first = 0;
let last = 0;
for (let s = 0; s < steps; s++) {
  const { loss } = await train.run({ slices: sampleSlices(foldIn(keyFromSeed(4), s), D, K) });
  if (s === 0) first = loss;
  last = loss;
}
console.log(`training on SIGReg: ${first.toFixed(3)} -> ${last.toFixed(3)} in ${steps} steps`);
assert.ok(last < first / 3, "training on SIGReg should shrink the statistic");
await Promise.all([stat.release(), train.release()]);
