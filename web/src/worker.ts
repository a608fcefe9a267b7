// The compute worker: everything that touches a model runs here, on onnxruntime-web, so the
// page never freezes. It owns one run at a time: the dataset, the model, its probe and its
// planner. Requests come from main.ts (protocol.ts); each gets one reply, long ones stream events.
import type { TrajectoryDataset } from "../../src/data/index.ts";
import {
  cloneTree,
  compileTrainStep,
  type HostTensor,
  keyFromSeed,
  type ParamLayout,
  packTree,
  type TrainState,
  type Tree,
} from "../../src/engine/index.ts";
import { pca2 } from "../../src/eval/index.ts";
import { buildWorldModelRun, collapseStats, type WorldModelPreset } from "../../src/train/index.ts";
import { batchesOf } from "./batches.ts";
import { CheckpointError, readCheckpoint, writeCheckpoint } from "./checkpoint-files.ts";
import { compileLatentPlanner, type LatentPlanner, runEpisode } from "./latent-planning.ts";
import { frameEmbedder, messageYielder } from "./frame-embedder.ts";
import { fitProbe, type LinearProbe } from "./linear-probe.ts";
import type {
  DriftReply,
  LoadReply,
  MonitorEvent,
  PlanReply,
  PlanSettings,
  PerturbationSettings,
  Request,
  RunSettings,
  SaveReply,
  SceneReply,
  SweepPoint,
  TrainLog,
  WorkerMessage,
} from "./protocol.ts";
import { collect, type Monitor, monitorOf } from "./dataset.ts";
import { initRuntime, type Runtime } from "./runtime.ts";
import { Scene } from "./scene.ts";
import { sampleNearbyGoal } from "./tasks.ts";
import { presetFor, settingsOf } from "./run-settings.ts";

const scope = self as unknown as {
  postMessage(message: WorkerMessage, transfer?: Transferable[]): void;
  onmessage: ((e: MessageEvent<{ id: number; request: Request }>) => void) | null;
};
const emit = (name: string, data: unknown) => scope.postMessage({ type: "event", name, data });
const collectProgress = (done: number, total: number) => emit("collect", { done, total });
const yieldToMessages = messageYielder();

/** Frames kept for the collapse monitors, the latent PCA, the probe and the drift measure. */
const MONITOR_FRAMES = 256;
/** Episodes collected for the probe when a model arrives from a checkpoint (no data yet). */
const PROBE_EPISODES = 64;

interface Model {
  preset: WorldModelPreset;
  params: Tree<HostTensor>;
  layout: ParamLayout;
  flat: Float32Array;
  step: number;
  /** The optimizer state when the model was trained here (saved for --resume). */
  state?: TrainState;
  probe?: LinearProbe;
  version: number;
}

let runtime: Runtime | undefined;
let preset: WorldModelPreset | undefined;
let data: TrajectoryDataset | undefined;
let monitor: Monitor | undefined;
let model: Model | undefined;
let scene: Scene | undefined;
let sceneStart: Float64Array | undefined;
let stopRequested = false;
let versions = 0;
let planner: { key: string; planner: LatentPlanner } | undefined;

function need<T>(value: T | undefined, what: string): T {
  if (value === undefined) throw new Error(what);
  return value;
}

const sceneOptions = (p: WorldModelPreset) => {
  const s = settingsOf(p);
  return { size: s.imageSize, fixedWall: s.fixedWall };
};

const embedWith = frameEmbedder(() => need(runtime, "runtime not started").backend);
/** Embeds frames [n, C, H, W] in [0, 1] under the model's flat parameters. */
const embedFrames = (m: Model, frames: Float32Array, n: number) =>
  embedWith({ config: m.preset.model, params: m.params, layout: m.layout, flat: m.flat }, frames, n);

const toUnit = (frame: Uint8Array) => Float32Array.from(frame, (v) => v / 255);

async function refitProbe(m: Model): Promise<{ z: Float32Array; probe: LinearProbe }> {
  const mon = need(monitor, "no monitor frames; collect data first");
  const z = await embedFrames(m, mon.frames, mon.n);
  m.probe = fitProbe(z, mon.positions, mon.n, m.preset.model.embedDim);
  return { z, probe: m.probe };
}

async function monitorEvent(m: Model, z: Float32Array, step: number): Promise<MonitorEvent> {
  const mon = need(monitor, "no monitor frames");
  const d = m.preset.model.embedDim;
  const pts: [number, number][] = [];
  for (let i = 0; i < mon.n; i++) pts.push([mon.positions[2 * i], mon.positions[2 * i + 1]]);
  return {
    step,
    collapse: collapseStats(z, mon.n, d),
    pca: pca2(z, mon.n, d),
    positions: pts,
    size: m.preset.model.observation[1],
    probeR2: fitProbe(z, mon.positions, mon.n, d).r2,
  };
}

async function setModel(m: Model): Promise<void> {
  if (planner) await planner.planner.release();
  planner = undefined;
  model = m;
}

async function plannerFor(m: Model, s: PlanSettings): Promise<LatentPlanner> {
  const key = `${m.version}|${JSON.stringify(s)}`;
  if (planner?.key === key) return planner.planner;
  if (planner) await planner.planner.release();
  planner = undefined;
  const p = await compileLatentPlanner(m.params, m.preset.model, s, need(runtime, "no runtime").backend);
  planner = { key, planner: p };
  return p;
}

async function train(s: RunSettings, logEvery: number, monitorEvery: number): Promise<TrainLog | undefined> {
  const p = presetFor(s);
  const d = need(data, "collect data before training");
  if (JSON.stringify(d.info.env.options) !== JSON.stringify(p.env.options))
    throw new Error("the collected data is for other settings (image size or wall); collect again");
  const rt = need(runtime, "runtime not started");
  const run = buildWorldModelRun(p, d);
  const batchOf = batchesOf(p, d);
  const t0 = performance.now();
  const step = await compileTrainStep(run.loss, run.params, run.optimizer, run.batchSpec, {
    backend: rt.backend,
  });
  const layout = step.layout;
  const current = (): Model => ({
    preset: p,
    params: step.params(),
    layout,
    flat: packTree(step.params(), layout),
    step: step.step,
    version: ++versions,
  });
  stopRequested = false;
  const start = performance.now();
  let last: TrainLog | undefined;
  try {
    emit("monitor", await monitorEvent(current(), (await refitProbe(current())).z, 0));
    const setup = { compileSeconds: (start - t0) / 1000, monitorSeconds: (performance.now() - start) / 1000 };
    let mark = performance.now();
    let intervalStart = mark;
    let batchMs = 0;
    let runMs = 0;
    let fromStep = step.step;
    while (step.step < s.steps && !stopRequested) {
      const batch = batchOf(step.step);
      const ran = performance.now();
      const { loss, terms } = await step.run(batch);
      const now = performance.now();
      batchMs += ran - mark;
      runMs += now - ran;
      for (const [name, v] of [...Object.entries(terms), ["loss", loss] as const])
        if (!Number.isFinite(v))
          throw new Error(
            `training diverged at step ${step.step}: ${name} is ${v}; lower the learning rate and train again`,
          );
      const done = step.step;
      if (done % logEvery === 0 || done === s.steps) {
        const elapsed = (now - start) / 1000;
        const n = done - fromStep;
        const timing = {
          batchMs: batchMs / n,
          runMs: runMs / n,
          otherMs: (now - intervalStart - batchMs - runMs) / n,
        };
        last = {
          step: done,
          loss,
          terms,
          stepsPerSecond: done / elapsed,
          elapsedSeconds: elapsed,
          timing,
          setup,
        };
        emit("log", last);
        intervalStart = now;
        fromStep = done;
        batchMs = 0;
        runMs = 0;
      }
      if (done % monitorEvery === 0 || done === s.steps) {
        const m = current();
        emit(
          "monitor",
          await monitorEvent(m, await embedFrames(m, need(monitor, "").frames, MONITOR_FRAMES), done),
        );
      }
      await yieldToMessages();
      mark = performance.now();
    }
    const final: Model = { ...current(), params: cloneTree(step.params()), state: step.getState() };
    final.flat = packTree(final.params, layout);
    await refitProbe(final);
    await setModel(final);
  } finally {
    await step.release();
  }
  return last;
}

async function plan(
  goal: [number, number],
  s: PlanSettings,
  perturbation: PerturbationSettings,
): Promise<PlanReply> {
  const m = need(model, "train or load a model first");
  const base = need(scene, "no scene");
  const planned = new Scene(base.options, perturbation);
  if (!planned.roomAt(goal[0], goal[1]))
    throw new Error(
      `the goal (${goal[0].toFixed(1)}, ${goal[1].toFixed(1)}) is inside a wall; click inside a room`,
    );
  const p = await plannerFor(m, s);
  if (!m.probe) await refitProbe(m);
  stopRequested = false;
  const r = await runEpisode({
    scene: planned,
    start: need(sceneStart, "no start"),
    goal,
    embed: async (frame) => embedFrames(m, toUnit(frame), 1),
    planner: p,
    key: keyFromSeed(1),
    probe: m.probe,
    onStep: (e) => emit("plan-step", e),
    shouldStop: () => stopRequested,
  });
  const final = planned.env.getState();
  emit("plan-step", {
    candidates: [],
    elites: [],
    chosen: [],
    path: r.path,
    state: Array.from(final),
    rgb: planned.rgb(planned.cleanFrame(final)),
    seenRgb: planned.rgb(planned.seenFrame(final, r.steps)),
    planMs: 0,
    replans: r.plans,
  });
  return {
    success: r.success,
    steps: r.steps,
    finalDistance: r.finalDistance,
    path: r.path,
    plans: r.plans,
    plansPerSecond: r.plans / Math.max(r.planSeconds, 1e-9),
  };
}

async function drift(perturbation: PerturbationSettings): Promise<DriftReply> {
  const m = need(model, "train or load a model first");
  const mon = need(monitor, "no monitor frames");
  const probe = m.probe ?? (await refitProbe(m)).probe;
  const d = m.preset.model.embedDim;
  const view = new Scene(sceneOptions(m.preset), perturbation);
  const frame = mon.frames.length / mon.n;
  const seen = new Float32Array(mon.frames.length);
  for (let i = 0; i < mon.n; i++) seen.set(toUnit(view.seenFrame(mon.states[i], i)), i * frame);
  const clean = await embedFrames(m, mon.frames, mon.n);
  const moved = await embedFrames(m, seen, mon.n);
  const mean = new Float64Array(d);
  for (let i = 0; i < mon.n; i++) for (let j = 0; j < d; j++) mean[j] += clean[i * d + j] / mon.n;
  let spread = 0;
  let shift = 0;
  let err = 0;
  let cleanErr = 0;
  for (let i = 0; i < mon.n; i++) {
    let a = 0;
    let b = 0;
    for (let j = 0; j < d; j++) {
      a += (clean[i * d + j] - mean[j]) ** 2;
      b += (moved[i * d + j] - clean[i * d + j]) ** 2;
    }
    spread += Math.sqrt(a) / mon.n;
    shift += Math.sqrt(b) / mon.n;
    const [px, py] = probe.apply(moved.subarray(i * d, (i + 1) * d));
    const [cx, cy] = probe.apply(clean.subarray(i * d, (i + 1) * d));
    err += Math.hypot(px - mon.positions[2 * i], py - mon.positions[2 * i + 1]) / mon.n;
    cleanErr += Math.hypot(cx - mon.positions[2 * i], cy - mon.positions[2 * i + 1]) / mon.n;
  }
  return { drift: shift / (spread || 1), probeError: err, cleanProbeError: cleanErr };
}

/** Planning success and drift at each severity of one perturbation, on fixed nearby-goal episodes. */
async function sweep(r: Extract<Request, { type: "sweep" }>): Promise<SweepPoint[]> {
  const m = need(model, "train or load a model first");
  const p = await plannerFor(m, r.plan);
  stopRequested = false;
  const points: SweepPoint[] = [];
  for (const severity of r.severities) {
    if (stopRequested) break;
    const perturbation = severity > 0 ? { [r.kind]: severity } : {};
    const dr = await drift(perturbation);
    const view = new Scene(sceneOptions(m.preset), perturbation);
    let wins = 0;
    for (let e = 0; e < r.episodes && !stopRequested; e++) {
      const start = view.reset(10_000 + e);
      const goal = sampleNearbyGoal(view, start, r.goalDistance, 10_000 + e);
      const res = await runEpisode({
        scene: view,
        start,
        goal,
        embed: async (frame) => embedFrames(m, toUnit(frame), 1),
        planner: p,
        key: keyFromSeed(e),
        shouldStop: () => stopRequested,
      });
      wins += res.success ? 1 : 0;
    }
    const point = { kind: r.kind, severity, ...dr, success: wins / r.episodes, episodes: r.episodes };
    points.push(point);
    emit("sweep-point", point);
  }
  return points;
}

async function load(paramsBytes: ArrayBuffer, stateText: string): Promise<LoadReply> {
  const ckpt = readCheckpoint(new Uint8Array(paramsBytes), stateText);
  const m: Model = {
    preset: ckpt.config,
    params: ckpt.params,
    layout: ckpt.layout,
    flat: packTree(ckpt.params, ckpt.layout),
    step: ckpt.step,
    version: ++versions,
  };
  // A probe needs frames with true positions from the checkpoint's world.
  preset = ckpt.config;
  data = collect(ckpt.config, Math.min(PROBE_EPISODES, ckpt.config.data.episodes), collectProgress);
  monitor = monitorOf(data, MONITOR_FRAMES);
  const { z } = await refitProbe(m);
  await setModel(m);
  emit("monitor", await monitorEvent(m, z, m.step));
  const s = settingsOf(ckpt.config);
  return {
    message: `loaded ${ckpt.config.name ?? "a world model"} at step ${ckpt.step}: ${s.imageSize} px, ${s.fixedWall ? "fixed" : "random"} wall, ${ckpt.config.model.encoder.kind} encoder, ${ckpt.config.loss.regularizer}, ${ckpt.layout.total.toLocaleString("en")} parameters; probe R² ${m.probe!.r2.toFixed(2)}`,
    step: ckpt.step,
    name: ckpt.config.name ?? "",
    settings: s,
  };
}

function save(): SaveReply {
  const m = need(model, "nothing to save: train or load a model first");
  const state: TrainState = m.state ?? { step: m.step, params: m.flat, slots: {} };
  const files = writeCheckpoint(state, m.layout, m.preset);
  return {
    params: files.params.buffer as ArrayBuffer,
    state: files.state,
    optimizer: Object.keys(state.slots).length ? (files.optimizer.buffer as ArrayBuffer) : undefined,
    step: state.step,
  };
}

async function benchPlan(
  r: Extract<Request, { type: "bench-plan" }>,
): Promise<{ plansPerSecond: number; compileSeconds: number; planMs: number[] }> {
  const m = need(model, "train or load a model first");
  const t0 = performance.now();
  const p = await compileLatentPlanner(
    m.params,
    m.preset.model,
    r.plan,
    need(runtime, "no runtime").backend,
    {
      keepHistory: r.keepHistory,
      fused: r.fused,
    },
  );
  const compileSeconds = (performance.now() - t0) / 1000;
  try {
    const view = new Scene(sceneOptions(m.preset));
    const start = view.reset(1);
    const goal = Float64Array.from(start);
    goal[0] += 4;
    const z0 = await embedFrames(m, toUnit(view.cleanFrame(start)), 1);
    const zg = await embedFrames(m, toUnit(view.cleanFrame(goal)), 1);
    await p.plan(keyFromSeed(0), z0, zg);
    const planMs: number[] = [];
    for (let i = 0; i < r.repeats; i++) {
      const t = performance.now();
      await p.plan(keyFromSeed(i + 1), z0, zg);
      planMs.push(performance.now() - t);
    }
    const total = planMs.reduce((a, b) => a + b, 0);
    return { plansPerSecond: r.repeats / (total / 1000), compileSeconds, planMs };
  } finally {
    await p.release();
  }
}

function sceneReply(s: Scene, state: ArrayLike<number>, perturbation?: PerturbationSettings): SceneReply {
  const seen = perturbation ? new Scene(s.options, perturbation) : s;
  return {
    size: s.size,
    state: Array.from(state),
    rgb: s.rgb(s.cleanFrame(state)),
    seenRgb: seen.perturbed ? seen.rgb(seen.seenFrame(state, 0)) : undefined,
  };
}

async function handle(request: Request): Promise<unknown> {
  switch (request.type) {
    case "init": {
      runtime = await initRuntime(request.ep, request.ortBase, request.threads);
      const { backend: _, ...reply } = runtime;
      return reply;
    }
    case "collect": {
      preset = presetFor(request.settings);
      const t0 = performance.now();
      data = collect(preset, preset.data.episodes, collectProgress);
      monitor = monitorOf(data, MONITOR_FRAMES);
      const frames = data.episodes * (data.info.steps + 1);
      return { frames, seconds: (performance.now() - t0) / 1000 };
    }
    case "train":
      return train(request.settings, request.logEvery, request.monitorEvery);
    case "stop":
      stopRequested = true;
      return true;
    case "scene": {
      const p = need(model, "train or load a model first").preset;
      scene = new Scene(sceneOptions(p));
      sceneStart = scene.reset(request.seed);
      return sceneReply(scene, sceneStart);
    }
    case "view": {
      const s = need(scene, "no scene");
      return sceneReply(s, need(sceneStart, "no start"), request.perturbation);
    }
    case "plan":
      return plan(request.goal, request.plan, request.perturbation);
    case "drift":
      return drift(request.perturbation);
    case "sweep":
      return sweep(request);
    case "load":
      return load(request.params, request.state);
    case "save":
      return save();
    case "bench-plan":
      return benchPlan(request);
  }
}

scope.onmessage = async (e) => {
  const { id, request } = e.data;
  try {
    const value = await handle(request);
    scope.postMessage({ type: "reply", id, ok: true, value });
  } catch (err) {
    const message = err instanceof CheckpointError ? err.message : (err as Error).message || String(err);
    scope.postMessage({ type: "reply", id, ok: false, error: message });
  }
};
