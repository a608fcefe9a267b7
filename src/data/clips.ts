// Training batches: clips of consecutive frames sampled uniformly over (episode, start). A
// pure function of (seed, step), so a resumed training run sees exactly the same batches.
import { deriveSeed, Random } from "../envs/index.ts";
import type { TrajectoryDataset } from "./dataset.ts";

export interface SampleClipsOptions {
  seed: number;
  /** The training step: batch `step` is the same whenever it is drawn. */
  step: number;
  batch: number;
  /** Frames per clip L (L - 1 actions between them). */
  length: number;
  /**
   * Consecutive runs of this many clips come from one episode, at independent start frames
   * (default 1: every clip from its own random episode). An objective can then compare
   * clips that share everything an episode fixes (two-rooms' wall and door).
   */
  clipsPerEpisode?: number;
}

/** A batch of clips: observations `[B, L, C, H, W]` in [0, 1], actions `[B, L-1, A]`, states `[B, L, S]`. */
export interface ClipBatch {
  observations: Float32Array;
  actions: Float32Array;
  states: Float32Array;
  /** Global episode index and start frame of each clip, `[B]`. */
  episodes: Int32Array;
  starts: Int32Array;
  shape: {
    batch: number;
    length: number;
    observation: [number, number, number];
    actionDim: number;
    stateDim: number;
  };
}

const BYTE_TO_UNIT = Float32Array.from({ length: 256 }, (_, v) => v / 255);

/** Samples a batch of clips; clip b uses its own stream deriveSeed(seed, step, b). */
export function sampleClips(dataset: TrajectoryDataset, opts: SampleClipsOptions): ClipBatch {
  const { seed, step, batch, length, clipsPerEpisode: k = 1 } = opts;
  if (!Number.isInteger(k) || k < 1 || batch % k !== 0) {
    throw new Error(`clipsPerEpisode ${k} must be a positive integer dividing the batch ${batch}`);
  }
  const { steps, observationShape, actionDim: A, stateDim: S } = dataset.info;
  if (!Number.isInteger(length) || length < 1 || length > steps + 1) {
    throw new Error(`clip length ${length} must be in 1..${steps + 1} (episodes have ${steps + 1} frames)`);
  }
  if (dataset.episodes === 0) throw new Error("the dataset has no loaded episodes to sample clips from");
  const frame = observationShape.reduce((a, b) => a * b, 1);
  const observations = new Float32Array(batch * length * frame);
  const actions = new Float32Array(batch * (length - 1) * A);
  const states = new Float32Array(batch * length * S);
  const episodes = new Int32Array(batch);
  const starts = new Int32Array(batch);
  for (let b = 0; b < batch; b++) {
    const rng = new Random(deriveSeed(seed, step, b));
    const pick = rng.int(dataset.episodes);
    const e = dataset.episode(
      k === 1 ? pick : new Random(deriveSeed(seed, step, b - (b % k))).int(dataset.episodes),
    );
    const start = rng.int(steps + 2 - length);
    episodes[b] = e.index;
    starts[b] = start;
    const src = e.observations.subarray(start * frame, (start + length) * frame);
    const o = b * length * frame;
    for (let k = 0; k < src.length; k++) observations[o + k] = BYTE_TO_UNIT[src[k]];
    actions.set(e.actions.subarray(start * A, (start + length - 1) * A), b * (length - 1) * A);
    states.set(e.states.subarray(start * S, (start + length) * S), b * length * S);
  }
  return {
    observations,
    actions,
    states,
    episodes,
    starts,
    shape: { batch, length, observation: observationShape, actionDim: A, stateDim: S },
  };
}
