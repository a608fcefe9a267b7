// The env contract: checkEnv passes for every registered env (and perturbed ones), and
// checkEnv really fails on envs that break the contract.
import assert from "node:assert/strict";
import { test } from "node:test";
import { checkEnv, ENV_NAMES, type Env, makeEnv, makePolicy, perturb, TwoRooms } from "../src/envs/index.ts";

for (const name of ENV_NAMES) {
  test(`checkEnv passes for ${name}`, () => {
    checkEnv(makeEnv(name));
    checkEnv(makeEnv(name, { size: 32 }), { seed: 5 });
  });
}

test("checkEnv passes for variants: fixed wall, maze layouts, teleporting sprites", () => {
  checkEnv(makeEnv("two-rooms", { fixedWall: true }));
  for (const layout of ["open", "u-maze", "medium"]) checkEnv(makeEnv("point-maze", { layout }));
  checkEnv(makeEnv("bouncing-sprites", { sprites: 3 }));
});

test("checkEnv passes for envs wrapped with a time-invariant perturbation", () => {
  for (const kind of [
    "blur",
    "brightness",
    "contrast",
    "agent-colour",
    "agent-size",
    "background-colour",
  ] as const) {
    checkEnv(perturb(makeEnv("two-rooms"), { kind, severity: 4 }));
    checkEnv(perturb(makeEnv("push-t"), { kind, severity: 2 }));
  }
});

/** A two-rooms env with one deliberate defect. */
function broken(defect: "nondeterministic" | "state-alias" | "bad-shape" | "setState-ignored"): Env {
  const env = new TwoRooms();
  const base = env as unknown as Record<string, unknown>;
  let calls = 0;
  if (defect === "nondeterministic") {
    const step = env.step.bind(env);
    base.step = (a: ArrayLike<number>) => {
      const r = step(a);
      if (++calls === 20) r.observation[0] ^= 1;
      return r;
    };
  }
  if (defect === "state-alias") {
    const state = env.getState.bind(env);
    let shared: Float64Array | undefined;
    base.getState = () => {
      shared = shared ?? state();
      shared.set(state());
      return shared;
    };
  }
  if (defect === "bad-shape")
    Object.defineProperty(env, "observationSpace", { value: { shape: [2, 64], dtype: "uint8" } });
  if (defect === "setState-ignored") base.setState = () => {};
  return env;
}

test("checkEnv names what is wrong", () => {
  assert.throws(
    () => checkEnv(broken("nondeterministic")),
    /checkEnv\(two-rooms\): same seed and actions gave different observations/,
  );
  assert.throws(() => checkEnv(broken("bad-shape")), /observation shape must be \[C, H, W\]/);
  assert.throws(() => checkEnv(broken("state-alias")), /getState must return a copy/);
  assert.throws(() => checkEnv(broken("setState-ignored")), /setState/);
});

test("makeEnv and makePolicy reject unknown names and options in one line", () => {
  assert.throws(() => makeEnv("nope"), /unknown env "nope"; known: two-rooms/);
  assert.throws(() => makeEnv("two-rooms", { sise: 32 }), /two-rooms: unknown option "sise"/);
  assert.throws(() => makePolicy("greedy", makeEnv("two-rooms"), 0), /unknown policy "greedy"/);
  assert.throws(
    () => makeEnv("two-rooms").reset({ options: { factors: { agentColor: [1, 2] } } }),
    /unknown factor "agentColor"/,
  );
});
