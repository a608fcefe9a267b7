// Training batches for the page: the batches of `buildWorldModelRun(preset, data).batch(step)`
// (the same clips, actions and SIGReg slices, bit for bit; test/web.test.ts checks it), built
// into one reused buffer. Two costs of the library's batches dominated a page training step
// (measured in this worker on the demo model, 32 clips x 17 frames x 2 x 64 x 64):
//   - `hostTensor` copies the 4.5 M observation floats element by element (a CPU profile's
//     hottest function, 150-400 ms a step);
//   - sampleClips allocates a fresh 18 MB Float32Array per batch: Chromium zeroes and
//     page-faults it and collects the last one, 40-120 ms beside a 1 GB dataset, where
//     converting the bytes into a reused buffer takes 2-8 ms.
// So the clips (episode and start of each, actions, slices) still come from the library's
// sampleClips, run over a view of the dataset whose frames are one byte (cheap), and the
// frames are converted here into a buffer kept across steps.
import type { TrajectoryDataset } from "../../src/data/index.ts";
import { sampleClips } from "../../src/data/index.ts";
import { foldIn, type HostTensor, keyFromSeed } from "../../src/engine/index.ts";
import { sampleSlices } from "../../src/objectives/index.ts";
import type { WorldModelPreset } from "../../src/train/index.ts";

/** buildWorldModelRun's stream id for SIGReg slices (src/train/presets.ts: SLICES_STREAM). */
const SLICES_STREAM = 0x511ce5;
const BYTE_TO_UNIT = Float32Array.from({ length: 256 }, (_, v) => v / 255);

const f32 = (shape: number[], data: Float32Array): HostTensor => ({ shape, dtype: "float32", data });

/**
 * The batch of training step `step` (0-based), as `buildWorldModelRun(p, data).batch(step)`.
 * The observations live in one buffer reused by every call: a batch is valid until the next.
 */
export function batchesOf(
  p: WorldModelPreset,
  data: TrajectoryDataset,
): (step: number) => Record<string, HostTensor> {
  const { model, loss, train } = p;
  const { batch: B, clipLength: L, actionScale = 1 } = train;
  const [c, h, w] = model.observation;
  const A = model.actionDim;
  const frame = c * h * w;
  const sliceKey = foldIn(keyFromSeed(train.seed), SLICES_STREAM);
  // The dataset with one-byte frames: sampleClips picks the same clips (its draws depend on
  // episode counts and lengths only) and copies next to nothing.
  const oneByte = new Uint8Array(data.info.steps + 1);
  const picks: TrajectoryDataset = {
    ...data,
    info: { ...data.info, observationShape: [1, 1, 1] },
    episode: (i) => ({ ...data.episode(i), index: i, observations: oneByte }),
  };
  const observations = new Float32Array(B * L * frame);
  return (step) => {
    const clips = sampleClips(picks, {
      seed: train.seed + 7,
      step,
      batch: B,
      length: L,
      clipsPerEpisode: train.clipsPerEpisode,
    });
    for (let b = 0; b < B; b++) {
      const start = clips.starts[b];
      const src = data.episode(clips.episodes[b]).observations.subarray(start * frame, (start + L) * frame);
      const o = b * L * frame;
      for (let k = 0; k < src.length; k++) observations[o + k] = BYTE_TO_UNIT[src[k]];
    }
    if (actionScale !== 1) for (let k = 0; k < clips.actions.length; k++) clips.actions[k] *= actionScale;
    const out: Record<string, HostTensor> = {
      observations: f32([B, L, c, h, w], observations),
      actions: f32([B, L - 1, A], clips.actions),
    };
    if (loss.regularizer === "sigreg")
      out.slices = sampleSlices(foldIn(sliceKey, step), model.embedDim, loss.numSlices ?? 64);
    return out;
  };
}
