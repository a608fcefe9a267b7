// Seeded episode collection, browser-safe: episode i of a dataset depends only on
// (seed, i), so shards can be collected in any order, by any number of workers.
import { deriveSeed, type Env, makeEnv, makePolicy } from "../envs/index.ts";
import type { Manifest } from "./manifest.ts";

/** What to collect: an env by name and options, a data policy, a seed and an episode length. */
export interface CollectSpec {
  env: string;
  envOptions: Record<string, unknown>;
  policy: string;
  seed: number;
  /** Actions per episode T; each episode has T + 1 frames. */
  steps: number;
}

/** Episodes `[E, ...]`: observations `[E, T+1, C, H, W]`, actions `[E, T, A]`, states `[E, T+1, S]`. */
export interface EpisodeBatch {
  count: number;
  observations: Uint8Array;
  actions: Float32Array;
  states: Float32Array;
}

/** The per-episode field shapes and dtypes, and the state names, of a spec. */
export function describeSpec(spec: CollectSpec): Pick<Manifest, "fields" | "stateNames"> {
  const env = makeEnv(spec.env, spec.envOptions);
  const T = spec.steps;
  return {
    fields: {
      observations: { dtype: "uint8", shape: [T + 1, ...env.observationSpace.shape] },
      actions: { dtype: "float32", shape: [T, env.actionSpace.shape[0]] },
      states: { dtype: "float32", shape: [T + 1, env.stateSize] },
    },
    stateNames: [...env.stateNames],
  };
}

/** The env and policy seeds of global episode i. */
export function episodeSeeds(seed: number, i: number): { env: number; policy: number } {
  return { env: deriveSeed(seed, i, 0), policy: deriveSeed(seed, i, 1) };
}

/** Runs one episode into the given arrays at episode slot `slot`. */
function runEpisode(env: Env, spec: CollectSpec, i: number, out: EpisodeBatch, slot: number): void {
  const T = spec.steps;
  const frame = env.observationSpace.shape.reduce((a, b) => a * b, 1);
  const A = env.actionSpace.shape[0];
  const S = env.stateSize;
  const seeds = episodeSeeds(spec.seed, i);
  env.reset({ seed: seeds.env });
  const policy = makePolicy(spec.policy, env, seeds.policy);
  // The policy may have moved the start: record the frame after it was built.
  out.observations.set(env.render(), slot * (T + 1) * frame);
  out.states.set(env.getState(), slot * (T + 1) * S);
  for (let t = 0; t < T; t++) {
    const action = policy.act();
    out.actions.set(action, (slot * T + t) * A);
    const { observation } = env.step(action);
    out.observations.set(observation, (slot * (T + 1) + t + 1) * frame);
    out.states.set(env.getState(), (slot * (T + 1) + t + 1) * S);
  }
}

/**
 * Collects the global episodes [start, end) of a spec. `onEpisode` is called after each
 * (for progress). Actions are stored as the policy gave them (before any clipping by the env).
 */
export function collectEpisodes(
  spec: CollectSpec,
  start: number,
  end: number,
  onEpisode?: (done: number) => void,
): EpisodeBatch {
  const env = makeEnv(spec.env, spec.envOptions);
  const T = spec.steps;
  const count = end - start;
  const frame = env.observationSpace.shape.reduce((a, b) => a * b, 1);
  const batch: EpisodeBatch = {
    count,
    observations: new Uint8Array(count * (T + 1) * frame),
    actions: new Float32Array(count * T * env.actionSpace.shape[0]),
    states: new Float32Array(count * (T + 1) * env.stateSize),
  };
  for (let i = start; i < end; i++) {
    runEpisode(env, spec, i, batch, i - start);
    onEpisode?.(i - start + 1);
  }
  return batch;
}

/** The bytes of a shard: the fields back to back, in manifest order (little-endian floats). */
export function encodeShard(batch: EpisodeBatch): Uint8Array[] {
  const bytes = (a: Float32Array | Uint8Array) => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
  return [bytes(batch.observations), bytes(batch.actions), bytes(batch.states)];
}
