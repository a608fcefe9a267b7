// The Learn view's settings as a run config (a two-rooms preset with its sizes replaced),
// and back: the settings a loaded checkpoint's config corresponds to.
import { getPreset, validateRunConfig, type WorldModelPreset } from "../../src/train/index.ts";
import type { EncoderConfig } from "../../src/world/index.ts";
import type { RunSettings } from "./protocol.ts";

/**
 * The encoder offered beside the preset's conv encoder: 3x3 convolutions on 2x-pooled frames,
 * a spatial softmax per channel (its expected x, y), then an MLP, so the agent's position comes
 * out directly. The conv encoder needs the CLI's long runs to learn position. Checked in Node
 * at 32 px with a fixed wall: in runs of 200-3 000 steps its position probe's R² stayed at
 * 0.1-0.5 and its inverse-dynamics loss at the actions' variance, and CEM (horizon 10) reached
 * 2, 6 and 8 of 12 same-room goals 9 px away after 400, 800 and 1 500 steps (batch 16). This
 * one reached R² 0.99 within 300 steps of batch 8, and after them all 8 such goals with 5 of 8
 * training seeds (5-6 of 8 with the others).
 */
export const KEYPOINT_ENCODER: EncoderConfig = {
  kind: "keypoint",
  channels: [16, 16],
  strides: [1, 1],
  hidden: [32],
  pool: 2,
};

/** The run config of the Learn view's settings: a two-rooms preset with its sizes replaced. */
export function presetFor(s: RunSettings): WorldModelPreset {
  const base = getPreset(s.regularizer === "sigreg" ? "two-rooms-sigreg" : "two-rooms-vicreg");
  return validateRunConfig({
    ...base,
    name: `web-${base.name}${s.encoder === "keypoint" ? "-keypoint" : ""}`,
    env: { name: "two-rooms", options: { size: s.imageSize, fixedWall: s.fixedWall } },
    data: { ...base.data, episodes: s.episodes },
    model: {
      ...base.model,
      observation: [2, s.imageSize, s.imageSize],
      encoder: s.encoder === "keypoint" ? KEYPOINT_ENCODER : base.model.encoder,
    },
    train: {
      ...base.train,
      steps: s.steps,
      batch: s.batch,
      clipLength: s.clipLength,
      lr: s.lr,
      warmupSteps: Math.min(base.train.warmupSteps, Math.floor(s.steps / 5)),
    },
  });
}

export function settingsOf(p: WorldModelPreset): RunSettings {
  const options = p.env.options as { size?: number; fixedWall?: boolean };
  return {
    regularizer: p.loss.regularizer,
    encoder: p.model.encoder.kind === "keypoint" ? "keypoint" : "conv",
    fixedWall: Boolean(options.fixedWall),
    imageSize: options.size ?? p.model.observation[1],
    episodes: p.data.episodes,
    steps: p.train.steps,
    batch: p.train.batch,
    clipLength: p.train.clipLength,
    lr: p.train.lr,
  };
}
