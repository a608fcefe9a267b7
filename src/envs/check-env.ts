// checkEnv: the contract test every environment must pass (after Gymnasium's env_checker):
// well-formed spaces, seeded determinism bit for bit, and an exact getState/setState round trip.
import type { Env, StepResult } from "./env.ts";
import { Random } from "./random.ts";

export interface CheckEnvOptions {
  /** Seed of the episodes and of the random actions (default 0). */
  seed?: number;
  /** Steps per checked episode (default 12). */
  steps?: number;
}

function sameBytes(a: ArrayLike<number>, b: ArrayLike<number>): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) return false;
  return true;
}

/**
 * Checks an env against the contract and throws an Error naming the first failure, e.g.
 * `checkEnv(push-t): same seed and actions gave different observations at step 3`.
 */
export function checkEnv(env: Env, opts: CheckEnvOptions = {}): void {
  const { seed = 0, steps = 12 } = opts;
  const fail = (what: string): never => {
    throw new Error(`checkEnv(${env.id}): ${what}`);
  };

  // 1. Spaces.
  const { shape, dtype } = env.observationSpace;
  if (dtype !== "uint8") fail(`observation dtype must be "uint8", got "${dtype}"`);
  if (shape.length !== 3 || !shape.every((d) => Number.isInteger(d) && d > 0)) {
    fail(`observation shape must be [C, H, W] of positive integers, got [${shape}]`);
  }
  const frameSize = shape[0] * shape[1] * shape[2];
  const { shape: aShape, low, high } = env.actionSpace;
  const actionDim = aShape[0];
  if (aShape.length !== 1 || !Number.isInteger(actionDim) || actionDim < 0)
    fail(`action shape must be [A], got [${aShape}]`);
  if (low.length !== actionDim || high.length !== actionDim)
    fail(`action low/high must have ${actionDim} entries`);
  for (let k = 0; k < actionDim; k++) {
    if (!Number.isFinite(low[k]) || !Number.isFinite(high[k]) || low[k] > high[k])
      fail(`action bound ${k} is not a finite low <= high`);
  }
  if (env.stateNames.length !== env.stateSize)
    fail(`stateNames has ${env.stateNames.length} names for stateSize ${env.stateSize}`);

  // 2. getState returns a fresh copy (recorded states below must not alias the env's).
  env.reset({ seed });
  const copy = env.getState();
  if (copy === env.getState()) fail("getState must return a copy (it returned the same array twice)");
  const before = Array.from(copy);
  copy.fill(Number.NaN);
  if (!sameBytes(env.getState(), before)) fail("getState must return a copy (mutating it changed the env)");

  // 3. One seeded episode, recorded.
  const rng = new Random(seed);
  const actions = Array.from({ length: steps }, () =>
    Float64Array.from({ length: actionDim }, (_, k) => rng.uniform(low[k], high[k])),
  );
  const run = () => {
    const first = env.reset({ seed });
    const observations = [first.observation];
    const states = [env.getState()];
    const results: StepResult[] = [];
    for (const a of actions) {
      const r = env.step(a);
      results.push(r);
      observations.push(r.observation);
      states.push(env.getState());
    }
    return { first, observations, states, results };
  };
  const a = run();
  if (!(a.first.observation instanceof Uint8Array)) fail("reset must return observation as a Uint8Array");
  if (typeof a.first.info !== "object" || a.first.info === null) fail("reset must return an info object");
  a.observations.forEach((o, t) => {
    if (!(o instanceof Uint8Array) || o.length !== frameSize)
      fail(`observation at step ${t} is not ${frameSize} bytes [${shape}]`);
  });
  a.results.forEach((r, t) => {
    if (typeof r.reward !== "number" || !Number.isFinite(r.reward))
      fail(`reward at step ${t + 1} is not a finite number`);
    if (typeof r.terminated !== "boolean" || typeof r.truncated !== "boolean")
      fail(`terminated/truncated at step ${t + 1} are not booleans`);
  });
  a.states.forEach((s, t) => {
    if (!(s instanceof Float64Array) || s.length !== env.stateSize)
      fail(`getState at step ${t} is not a Float64Array of ${env.stateSize}`);
  });

  // 4. Determinism: the same seed and actions give the same bytes.
  const b = run();
  for (let t = 0; t <= steps; t++) {
    if (!sameBytes(a.observations[t], b.observations[t]))
      fail(`same seed and actions gave different observations at step ${t}`);
    if (!sameBytes(a.states[t], b.states[t]))
      fail(`same seed and actions gave different states at step ${t}`);
  }
  env.reset({ seed: seed + 1 });
  if (sameBytes(env.getState(), a.states[0]))
    fail("reset ignores the seed: seeds differ but the start state is the same");

  // 4. getState returns a copy; render re-draws the current observation.
  env.reset({ seed });
  const s0 = env.getState();
  s0.fill(Number.NaN);
  if (!sameBytes(env.getState(), a.states[0]))
    fail("getState must return a copy (mutating it changed the env)");
  if (!sameBytes(env.render(), a.observations[0]))
    fail("render() differs from the observation reset returned");

  // 6. setState round trip, on a fresh episode with another seed: the state of step t of the
  //    recorded episode reproduces its observation and its next step exactly.
  const t = Math.floor(steps / 2);
  env.reset({ seed: seed + 1 });
  env.setState(a.states[t]);
  if (!sameBytes(env.getState(), a.states[t])) fail(`setState(getState()) changed the state`);
  if (!sameBytes(env.render(), a.observations[t]))
    fail(`after setState, render() differs from the observation at step ${t}`);
  const again = env.step(actions[t]);
  const next = env.getState();
  env.setState(a.states[t]);
  const twice = env.step(actions[t]);
  if (!sameBytes(again.observation, twice.observation) || !sameBytes(next, env.getState())) {
    fail("the step after setState is not deterministic");
  }
  if (!sameBytes(next, a.states[t + 1]))
    fail(`the step after setState differs from the recorded step ${t + 1}`);
}
