import assert from "node:assert/strict";
import { test } from "node:test";
import { PERTURBATIONS, PIXEL_PERTURBATIONS, perturb, perturbFrame } from "./perturb.ts";
import { makeEnv, makePolicy } from "./registry.ts";

const distance = (a: Uint8Array, b: Uint8Array) =>
  a.reduce((s, v, i) => s + Math.abs(v - b[i]), 0) / a.length;

test("every pixel perturbation changes the frame, more with severity, and is a pure function", () => {
  const env = makeEnv("push-t");
  const frame = env.reset({ seed: 1 }).observation;
  const shape = env.observationSpace.shape;
  for (const kind of PIXEL_PERTURBATIONS) {
    const d = [1, 2, 3, 4, 5].map((s) => distance(perturbFrame(frame, shape, kind, s, 7, { t: 3 }), frame));
    assert.ok(d[0] > 0, `${kind} at severity 1 changed nothing`);
    assert.ok(d[4] > d[0], `${kind}: severity 5 (${d[4]}) is not stronger than 1 (${d[0]})`);
    assert.deepEqual(
      perturbFrame(frame, shape, kind, 3, 7, { t: 3 }),
      perturbFrame(frame, shape, kind, 3, 7, { t: 3 }),
    );
  }
  assert.throws(() => perturbFrame(frame, shape, "blur", 6, 0), /severity must be an integer 1..5/);
});

test("the distractor moves with t; the occluder does not", () => {
  const env = makeEnv("two-rooms");
  const frame = env.reset({ seed: 2 }).observation;
  const shape = env.observationSpace.shape;
  const at = (kind: "distractor" | "occlusion", t: number) => perturbFrame(frame, shape, kind, 3, 1, { t });
  assert.notDeepEqual(at("distractor", 0), at("distractor", 5));
  assert.deepEqual(at("occlusion", 0), at("occlusion", 5));
});

test("a perturbed env has exactly the physics of the clean one", () => {
  for (const name of ["two-rooms", "push-t"]) {
    for (const kind of PERTURBATIONS) {
      const clean = makeEnv(name);
      const noisy = perturb(makeEnv(name), { kind, severity: 5, seed: 3 });
      const a = clean.reset({ seed: 4 }).observation;
      const b = noisy.reset({ seed: 4 }).observation;
      assert.notDeepEqual(a, b, `${name} ${kind}: the observation did not change`);
      const policy = makePolicy("random", clean, 5);
      for (let t = 0; t < 8; t++) {
        const action = policy.act();
        clean.step(action);
        noisy.step(action);
        assert.deepEqual(
          noisy.getState(),
          clean.getState(),
          `${name} ${kind}: the state diverged at step ${t}`,
        );
      }
    }
  }
});

test("factor perturbations need the factor: shapes has no agent", () => {
  assert.throws(
    () => perturb(makeEnv("shapes"), { kind: "agent-size", severity: 1 }),
    /shapes has no visual factor "agentSize"/,
  );
});
