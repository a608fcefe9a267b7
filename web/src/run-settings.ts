// The Learn view's settings as a run config (a two-rooms preset with its sizes replaced),
// and back: the settings a loaded checkpoint's config corresponds to.
import { getPreset, validateRunConfig, type WorldModelPreset } from "../../src/train/index.ts";
import type { RunSettings } from "./protocol.ts";

/** The run config of the Learn view's settings: a two-rooms preset with its sizes replaced. */
export function presetFor(s: RunSettings): WorldModelPreset {
  const base = getPreset(s.regularizer === "sigreg" ? "two-rooms-sigreg" : "two-rooms-vicreg");
  return validateRunConfig({
    ...base,
    name: `web-${base.name}`,
    env: { name: "two-rooms", options: { size: s.imageSize, fixedWall: s.fixedWall } },
    data: { ...base.data, episodes: s.episodes },
    model: { ...base.model, observation: [2, s.imageSize, s.imageSize] },
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
    fixedWall: Boolean(options.fixedWall),
    imageSize: options.size ?? p.model.observation[1],
    episodes: p.data.episodes,
    steps: p.train.steps,
    batch: p.train.batch,
    clipLength: p.train.clipLength,
    lr: p.train.lr,
  };
}
