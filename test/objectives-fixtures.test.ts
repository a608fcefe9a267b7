// The objectives against the PyTorch fixtures: value and gradient of sum(output * upstream).
import assert from "node:assert/strict";
import { test } from "node:test";
import {
  type Backend,
  compile,
  grad,
  ops,
  referenceBackend,
  type Tensor,
  type TensorRecord,
} from "../src/engine/index.ts";
import { nodeBackend } from "../src/engine/node.ts";
import {
  covariancePenalty,
  eppsPulley,
  lejepaLoss,
  normalizeLast,
  sigreg,
  smoothL1,
  varianceHinge,
} from "../src/objectives/index.ts";
import { asHost, haveFixtures, loadFixture, relError } from "./helpers/fixtures.ts";

const CASES: Record<
  string,
  { fn: (x: TensorRecord, fx: Record<string, unknown>) => Tensor; diff: string[] }
> = {
  epps_pulley_normal: { fn: (x) => eppsPulley(x.x), diff: ["x"] },
  epps_pulley_composed: { fn: (x) => eppsPulley(x.x, { fused: false }), diff: ["x"] },
  epps_pulley_skewed: { fn: (x) => eppsPulley(x.x, { recurrence: true }), diff: ["x"] },
  sigreg_per_view: { fn: (x) => sigreg(x.z, x.slices), diff: ["z"] },
  sigreg_pooled: { fn: (x) => sigreg(x.z, x.slices, { pooled: true, recurrence: true }), diff: ["z"] },
  lejepa_loss: {
    fn: (x, fx) => lejepaLoss(x.z, x.slices, { lambda: fx.lambda as number }).loss,
    diff: ["z"],
  },
  vicreg_std: { fn: (x) => varianceHinge(x.z), diff: ["z"] },
  vicreg_cov: { fn: (x) => covariancePenalty(x.z), diff: ["z"] },
  smooth_l1_layernormed_target: {
    fn: (x) => smoothL1(x.pred, normalizeLast(x.target)),
    diff: ["pred", "target"],
  },
};

const configs: [string, () => Backend, "float32" | "float64", number][] = [
  ["reference float64", () => referenceBackend({ precision: "float64" }), "float64", 1e-9],
  ["reference float32", () => referenceBackend(), "float32", 1e-4],
  ["onnxruntime float32", () => nodeBackend(), "float32", 1e-4],
];

for (const [name, c] of Object.entries(CASES)) {
  for (const [label, backend, dtype, tol] of configs) {
    test(`${name} matches PyTorch (${label})`, { skip: !haveFixtures }, async () => {
      const fx = loadFixture(name === "epps_pulley_composed" ? "epps_pulley_normal" : name);
      const spec = Object.fromEntries(
        Object.entries(fx.inputs).map(([k, v]) => [k, { shape: v.shape, dtype }]),
      );
      const upstreamShape = fx.upstream!.shape;
      const compiled = await compile(
        (x) => {
          const out = c.fn(x, fx);
          const readout = ops.sum(ops.mul(out, x.upstream));
          const grads = grad(
            readout,
            c.diff.map((k) => x[k]),
          );
          return { out, ...Object.fromEntries(c.diff.map((k, i) => [`d_${k}`, grads[i]])) };
        },
        { ...spec, upstream: { shape: upstreamShape, dtype } },
        backend(),
      );
      const feeds = Object.fromEntries(Object.entries(fx.inputs).map(([k, v]) => [k, asHost(v, dtype)]));
      const r = await compiled.run({ ...feeds, upstream: asHost(fx.upstream!, dtype) });
      const outErr = relError(r.out.data as Float64Array, fx.output!.data);
      assert.ok(outErr < tol, `output rel error ${outErr}`);
      for (const k of c.diff) {
        const e = relError(r[`d_${k}`].data as Float64Array, fx.grads![k].data);
        assert.ok(e < tol, `grad ${k} rel error ${e}`);
      }
      await compiled.release();
    });
  }
}
