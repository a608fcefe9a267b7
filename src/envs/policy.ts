// Data-collection policies. A policy is made per episode, after `env.reset`, from the env
// and a seed; it may place the episode's start with `env.setState` (the two-rooms explorer
// starts a share of episodes by the door), then returns one action per step.
import type { Env } from "./env.ts";
import { Random } from "./random.ts";

/** One episode's action source: reads the env's state as it needs and returns an action. */
export interface Policy {
  act(): Float64Array;
}

/** Builds a policy for one episode of `env`, seeded. */
export type PolicyFactory = (env: Env, seed: number) => Policy;

/** Uniform random actions in the action box. */
export function uniformPolicy(env: Env, seed: number): Policy {
  const rng = new Random(seed);
  const { low, high, shape } = env.actionSpace;
  return {
    act() {
      const a = new Float64Array(shape[0]);
      for (let k = 0; k < a.length; k++) a[k] = rng.uniform(low[k], high[k]);
      return a;
    },
  };
}
