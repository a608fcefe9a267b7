// Planning with a trained world model, shared by `jepa eval` (p1-two-rooms, p2-push-t,
// p4-stress) and `jepa plan`: load the run, compile the latent world, run the protocol's
// episodes with progress, and shape the report (frames left out of the JSON).
import { collectInMemory } from "../data/index.ts";
import { nodeBackend } from "../engine/node.ts";
import {
  buildGenerativeRun,
  compileGradLatentWorld,
  compileLatentWorld,
  evaluateP1,
  evaluateP2,
  latentP2World,
  P1_DEFAULTS,
  p1Groups,
  P1_GD_DEFAULTS,
  type P1Settings,
  type P4Settings,
  P2_DEFAULTS,
  type P2Settings,
  P6_DEFAULTS,
} from "../eval/index.ts";
import { loadTrainedWorldModel, train } from "../train/node.ts";
import { UsageError } from "./command.ts";
import { progress } from "./progress.ts";

/** A trained world model from a run folder, checked to be trained on `env`. */
export function loadModelFor(modelDir: string | undefined, env: string) {
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
  if (model.preset.env.name !== env) {
    throw new UsageError(
      `--model ${modelDir} was trained on ${model.preset.env.name}; planning here needs a ${env} model (e.g. "jepa train --preset ${env === "push-t" ? "push-t" : "two-rooms-vicreg"}")`,
    );
  }
  return model;
}

/** Settings of `jepa plan` (planner "gd" takes its population and iterations from P1_GD_DEFAULTS). */
export type PlanSettings = Partial<P1Settings>;

const modelInfo = (model: ReturnType<typeof loadTrainedWorldModel>) => ({
  checkpoint: model.checkpoint,
  step: model.step,
  preset: model.preset.name,
});

/**
 * The P1 settings a two-rooms model plans with: its preset's own planning settings when they
 * are for the same planner, then `settings` over them, episodes rendered at the model's input
 * size (P1 scales distances and actions with it); and the options to compile its world with.
 */
function resolvePlan<S extends PlanSettings>(model: ReturnType<typeof loadTrainedWorldModel>, settings: S) {
  const gd = settings.planner === "gd";
  const { accumulate, ...presetPlan } = model.preset.plan ?? {};
  // No planner asked for: the preset's.
  const samePlanner =
    settings.planner === undefined || settings.planner === (presetPlan.planner ?? P1_DEFAULTS.planner);
  const given = Object.fromEntries(Object.entries(settings).filter(([, v]) => v !== undefined)) as S;
  const merged: S = {
    ...(samePlanner ? presetPlan : {}),
    ...(gd ? P1_GD_DEFAULTS : {}),
    ...given,
    imageSize: settings.imageSize ?? model.preset.model.observation[1],
  };
  const compileOpts = {
    population: merged.population ?? P1_DEFAULTS.population,
    horizon: merged.horizon ?? P1_DEFAULTS.horizon,
    accumulate,
    groups: p1Groups(merged),
    backend: nodeBackend(),
  };
  return { settings: merged, compileOpts };
}

/**
 * A two-rooms model compiled for P4: it plans as `jepa plan` would (its preset's planner
 * settings under `settings`), each cell's episodes in lockstep.
 */
export async function stressWorld(modelDir: string | undefined, settings: Partial<P4Settings>) {
  const model = loadModelFor(modelDir, "two-rooms");
  if (settings.planner === "gd") throw new UsageError("p4-stress plans with cem, icem or mppi, not gd");
  const resolved = resolvePlan(model, settings);
  const world = await compileLatentWorld(model.params, model.preset.model, resolved.compileOpts);
  return { world, model, settings: resolved.settings, compileOpts: resolved.compileOpts };
}

/**
 * P4's reference model (PROTOCOLS.md: "the pixel-reconstruction baseline of P6 trained on the
 * same data"): the generative baseline of `model`'s preset (same encoder, predictor,
 * initialisation, batches and schedule, plus P6's pixel decoder), trained for `steps` (default
 * the preset's) on the preset's data, compiled to plan exactly as the model does.
 */
export async function generativeReferenceWorld(
  model: ReturnType<typeof loadTrainedWorldModel>,
  compileOpts: Parameters<typeof compileLatentWorld>[2],
  steps = model.preset.train.steps,
) {
  const { preset } = model;
  const data = collectInMemory(preset.env.name, preset.env.options, preset.data.policy, {
    episodes: preset.data.episodes,
    steps: preset.data.steps,
    seed: preset.data.seed,
  });
  const bar = progress("p4 reference: generative baseline", steps, { unit: "steps" });
  const started = performance.now();
  const result = await train(buildGenerativeRun(preset, data, P6_DEFAULTS.decoder), {
    steps,
    backend: nodeBackend(),
    logEvery: Math.max(1, Math.floor(steps / 50)),
    onLog: (r) => bar.update(r.step, `loss ${r.loss.toFixed(4)}`),
  });
  const finalLoss = result.history.at(-1)?.loss ?? Number.NaN;
  bar.finish(`loss ${finalLoss.toFixed(4)}`);
  const params = result.trainStep.params();
  await result.trainStep.release();
  const world = await compileLatentWorld(params, preset.model, compileOpts);
  const info = {
    kind: "generative" as const,
    decoder: P6_DEFAULTS.decoder,
    trainSteps: steps,
    trainSeconds: (performance.now() - started) / 1000,
    finalLoss,
    data: { ...preset.data },
  };
  return { world, info };
}

/** P1 episodes with a trained model; returns report.json's object under `protocol`. */
export async function planTwoRooms(
  modelDir: string | undefined,
  settings: PlanSettings,
  protocolName: string | ((planner: string) => string),
) {
  const model = loadModelFor(modelDir, "two-rooms");
  const gd = settings.planner === "gd";
  const { compileOpts, ...resolved } = resolvePlan(model, settings);
  settings = resolved.settings;
  const protocol =
    typeof protocolName === "string" ? protocolName : protocolName(settings.planner ?? P1_DEFAULTS.planner);
  const episodes = settings.episodes ?? P1_DEFAULTS.episodes;
  const bar = progress(protocol, episodes, { unit: "episodes" });
  let wins = 0;
  const onEpisode = (done: number, e: { success: boolean }) => {
    wins += e.success ? 1 : 0;
    bar.update(done, `${wins}/${done} reached the goal`);
  };
  const world = await (gd ? compileGradLatentWorld : compileLatentWorld)(
    model.params,
    model.preset.model,
    compileOpts,
  );
  const report = await evaluateP1(world, settings, onEpisode);
  await world.release();
  bar.finish();
  const { episodes: list, ...rest } = report;
  return {
    ...rest,
    protocol,
    model: modelInfo(model),
    episodes: list.map(({ startObservation, goalObservation, finalObservation, ...e }) => e),
  };
}

/** P2 push-t episodes with a trained push-t model; returns report.json's object under `protocol`. */
export async function planPushT(
  modelDir: string | undefined,
  settings: Partial<P2Settings>,
  protocol: string,
) {
  const model = loadModelFor(modelDir, "push-t");
  const [, size] = model.preset.model.observation;
  const envSize = (model.preset.env.options as { size?: number }).size ?? size;
  if (envSize !== size)
    throw new UsageError(
      `--model ${modelDir}: its env renders ${envSize} px frames but the model takes ${size} px; retrain with matching sizes`,
    );
  const s = { ...settings, imageSize: size };
  const world = await compileLatentWorld(model.params, model.preset.model, {
    population: s.population ?? P2_DEFAULTS.population,
    horizon: s.horizon ?? P2_DEFAULTS.horizon,
    backend: nodeBackend(),
  });
  const episodes = s.episodes ?? P2_DEFAULTS.episodes;
  const bar = progress(protocol, episodes, { unit: "episodes" });
  let wins = 0;
  const report = await evaluateP2(latentP2World(world, { actionScale: model.preset.train.actionScale }), s, {
    protocol,
    onEpisode(done, e) {
      wins += e.success ? 1 : 0;
      bar.update(done, `${wins}/${done} reached the goal pose`);
    },
  });
  bar.finish();
  await world.release();
  const { episodes: list, ...rest } = report;
  return {
    ...rest,
    model: modelInfo(model),
    episodes: list.map(({ startObservation, goalObservation, finalObservation, ...e }) => e),
  };
}
