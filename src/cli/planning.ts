// Planning with a trained two-rooms world model, shared by `jepa eval --protocol p1-two-rooms`,
// `jepa eval --protocol p4-stress` and `jepa plan`: load the run, compile the latent world,
// run P1 episodes with progress, and shape the report (frames left out of the JSON).
import { nodeBackend } from "../engine/node.ts";
import { compileLatentWorld, evaluateP1, type P1Settings } from "../eval/index.ts";
import { loadTrainedWorldModel } from "../train/node.ts";
import { UsageError } from "./command.ts";
import { progress } from "./progress.ts";

/** A trained two-rooms world model from a run folder, compiled for planning. */
export async function plannedWorld(
  modelDir: string | undefined,
  settings: { population: number; horizon: number },
) {
  if (!modelDir)
    throw new UsageError(
      `this command plans with a trained model; pass --model DIR (a "jepa train" or "jepa demo" folder)`,
    );
  let model: ReturnType<typeof loadTrainedWorldModel>;
  try {
    model = loadTrainedWorldModel(modelDir);
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  if (model.preset.env.name !== "two-rooms") {
    throw new UsageError(
      `--model ${modelDir} was trained on ${model.preset.env.name}; planning here needs a two-rooms model`,
    );
  }
  const world = await compileLatentWorld(model.params, model.preset.model, {
    ...settings,
    backend: nodeBackend(),
  });
  return { world, model };
}

/** P1 episodes with a trained model; returns report.json's object under `protocol`. */
export async function planTwoRooms(
  modelDir: string | undefined,
  settings: Partial<P1Settings>,
  protocol: string,
) {
  const { world, model } = await plannedWorld(modelDir, {
    population: settings.population ?? 200,
    horizon: settings.horizon ?? 40,
  });
  const episodes = settings.episodes ?? 50;
  const bar = progress(protocol, episodes, { unit: "episodes" });
  let wins = 0;
  const report = await evaluateP1(world, settings, (done, e) => {
    wins += e.success ? 1 : 0;
    bar.update(done, `${wins}/${done} reached the goal`);
  });
  bar.finish();
  await world.release();
  const { episodes: list, ...rest } = report;
  return {
    ...rest,
    protocol,
    model: { checkpoint: model.checkpoint, step: model.step, preset: model.preset.name },
    episodes: list.map(({ startObservation, goalObservation, finalObservation, ...e }) => e),
  };
}
