// Loading a trained world model from a run folder written by `jepa train` or `jepa demo`
// (config.json or the checkpoint's own config, and the newest checkpoint's parameters).
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { type HostTensor, keyFromSeed, layoutOf, type Tree, unpackTree } from "../engine/index.ts";
import { initWorldModel } from "../world/index.ts";
import { checkpointName, listCheckpoints, loadCheckpoint } from "./checkpoint.ts";
import { validateRunConfig } from "./config.ts";
import type { WorldModelPreset } from "./presets.ts";

export interface TrainedWorldModel {
  preset: WorldModelPreset;
  params: Tree<HostTensor>;
  step: number;
  checkpoint: string;
}

/**
 * The newest checkpoint of a world-model run: `dir` is a run folder (with checkpoints/),
 * a demo folder (with run/checkpoints/), or one checkpoint folder.
 */
export function loadTrainedWorldModel(dir: string): TrainedWorldModel {
  const candidates = [join(dir, "checkpoints"), join(dir, "run", "checkpoints")];
  let checkpoint: string | undefined;
  if (existsSync(join(dir, "state.json"))) checkpoint = dir;
  for (const c of candidates) {
    const steps = listCheckpoints(c);
    if (!checkpoint && steps.length) checkpoint = join(c, checkpointName(steps.at(-1)!));
  }
  if (!checkpoint)
    throw new Error(
      `--model ${dir}: no checkpoint found; pass a folder written by "jepa train" or "jepa demo"`,
    );
  const meta = JSON.parse(readFileSync(join(checkpoint, "state.json"), "utf8")) as { config?: unknown };
  let preset: WorldModelPreset;
  try {
    preset = validateRunConfig(meta.config);
  } catch (err) {
    throw new Error(
      `--model ${dir}: the checkpoint's config is not a world-model run config (${(err as Error).message})`,
    );
  }
  const template = initWorldModel(keyFromSeed(0), preset.model) as unknown as Tree<HostTensor>;
  const layout = layoutOf(template);
  const { state } = loadCheckpoint(checkpoint, layout);
  return { preset, params: unpackTree(state.params, layout, template), step: state.step, checkpoint };
}
