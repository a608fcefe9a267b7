// The worker's data: P1 episodes collected in the page, and the fixed frames the collapse
// monitors, the latent PCA and the probe watch.
import {
  collectEpisodes,
  type DatasetChunk,
  datasetFromChunks,
  infoOfSpec,
  type TrajectoryDataset,
} from "../../src/data/index.ts";
import type { WorldModelPreset } from "../../src/train/index.ts";

/** Frames [n, C, H, W] in [0, 1] with the true state of each. */
export interface Monitor {
  frames: Float32Array; // [n, C, H, W] in [0, 1]
  states: Float64Array[]; // full env states, for re-rendering under perturbations
  positions: Float32Array; // [n, 2]
  n: number;
}

/** Collects a preset's episodes in chunks of 50, reporting progress after each. */
export function collect(
  p: WorldModelPreset,
  episodes: number,
  onProgress: (done: number, total: number) => void,
): TrajectoryDataset {
  const spec = {
    env: p.env.name,
    envOptions: p.env.options,
    policy: p.data.policy,
    seed: p.data.seed,
    steps: p.data.steps,
  };
  const chunks: DatasetChunk[] = [];
  for (let first = 0; first < episodes; first += 50) {
    const end = Math.min(episodes, first + 50);
    chunks.push({ first, batch: collectEpisodes(spec, first, end) });
    onProgress(end, episodes);
  }
  return datasetFromChunks(infoOfSpec(spec), chunks);
}

/** A fixed spread of frames over the dataset with their true states. */
export function monitorOf(d: TrajectoryDataset, n: number): Monitor {
  const [c, h, w] = d.info.observationShape;
  const frame = c * h * w;
  const frames = new Float32Array(n * frame);
  const positions = new Float32Array(n * 2);
  const states: Float64Array[] = [];
  const S = d.info.stateDim;
  for (let i = 0; i < n; i++) {
    const e = d.episode((i * 7919) % d.episodes);
    const t = (i * 5) % (d.info.steps + 1);
    const src = e.observations.subarray(t * frame, (t + 1) * frame);
    for (let k = 0; k < frame; k++) frames[i * frame + k] = src[k] / 255;
    const st = Float64Array.from(e.states.subarray(t * S, (t + 1) * S));
    states.push(st);
    positions[2 * i] = st[0];
    positions[2 * i + 1] = st[1];
  }
  return { frames, states, positions, n };
}
