// The page: four views over one compute worker. Nothing here touches a model; it sends
// requests (protocol.ts), draws what comes back, and keeps the controls honest about what
// is running.
import { linePlot, type Series } from "../../src/eval/index.ts";
import { drawFrame, drawMarker, drawPath, drawScatter } from "./draw.ts";
import type {
  DriftReply,
  ExecutionProvider,
  InitReply,
  LoadReply,
  MonitorEvent,
  PerturbationSettings,
  PlanReply,
  PlanSettings,
  PlanStepEvent,
  Request,
  RunSettings,
  SaveReply,
  SceneReply,
  SweepPoint,
  TrainLog,
  WorkerMessage,
} from "./protocol.ts";
import { BREAK_PERTURBATIONS } from "./scene.ts";

const $ = <T extends HTMLElement = HTMLElement>(id: string) => document.getElementById(id) as T;
const num = (id: string) => Number($<HTMLInputElement>(id).value);

// --- worker calls ----------------------------------------------------------------------
const worker = new Worker(new URL("./worker.ts", import.meta.url), { type: "module" });
const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
const listeners = new Map<string, (data: never) => void>();
let nextId = 0;
worker.onmessage = (e: MessageEvent<WorkerMessage>) => {
  const m = e.data;
  if (m.type === "event") listeners.get(m.name)?.(m.data as never);
  else {
    const p = pending.get(m.id);
    pending.delete(m.id);
    if (m.ok) p?.resolve(m.value);
    else p?.reject(new Error(m.error));
  }
};
worker.onerror = (e) => status(`worker error: ${e.message}`, true);
function call<T>(request: Request, transfer: Transferable[] = []): Promise<T> {
  const id = nextId++;
  return new Promise<T>((resolve, reject) => {
    pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
    worker.postMessage({ id, request }, transfer);
  });
}
/** For automation (the end-to-end test, bench/web-bench.ts, scripts/soak-web.mjs): worker calls, logs, runtime. */
(window as unknown as { jepa: unknown }).jepa = {
  call,
  logs: () => logs,
  monitors: () => monitors,
  runtime: () => ready,
};
const on = <T>(name: string, f: (data: T) => void) => listeners.set(name, f as (data: never) => void);

function status(text: string, bad = false): void {
  const el = $("status");
  el.textContent = text;
  el.className = bad ? "bad" : "";
}

let busy = false;
/** Runs one job at a time; buttons are disabled while it runs (Stop stays live). */
async function job<T>(label: string, f: () => Promise<T>): Promise<T | undefined> {
  if (busy) {
    status("busy: wait for the current job or press Stop", true);
    return undefined;
  }
  busy = true;
  document.body.dataset.busy = "1";
  for (const b of document.querySelectorAll<HTMLButtonElement>("button.action")) b.disabled = b.id !== "stop";
  status(`${label}…`);
  try {
    const r = await f();
    status(`${label}: done`);
    return r;
  } catch (err) {
    status(`${label} failed: ${(err as Error).message}`, true);
    throw err;
  } finally {
    busy = false;
    delete document.body.dataset.busy;
    for (const b of document.querySelectorAll<HTMLButtonElement>("button.action")) b.disabled = false;
  }
}
const quiet = <T>(p: Promise<T>) => p.catch(() => undefined);

// --- views -----------------------------------------------------------------------------
function show(view: string): void {
  for (const tab of document.querySelectorAll<HTMLButtonElement>("nav button"))
    tab.setAttribute("aria-selected", String(tab.dataset.view === view));
  for (const s of document.querySelectorAll("main > section"))
    (s as HTMLElement).hidden = s.id !== `view-${view}`;
  if (view === "plan" && hasModel && !sceneShown) void quiet(newScene());
  if (view === "break" && hasModel) void quiet(refreshBreak());
}
for (const tab of document.querySelectorAll<HTMLButtonElement>("nav button"))
  tab.onclick = () => show(tab.dataset.view!);

// --- start-up: execution provider --------------------------------------------------------
const params = new URLSearchParams(location.search);
const ep = (params.get("ep") === "webgpu" ? "webgpu" : "wasm") as ExecutionProvider;
$<HTMLSelectElement>("ep-choice").value = ep;
$<HTMLSelectElement>("ep-choice").onchange = (e) => {
  params.set("ep", (e.target as HTMLSelectElement).value);
  location.search = params.toString();
};
/** `?threads=N` overrides the WASM thread count (default: runtime.ts's wasmThreads). */
const threads = Number(params.get("threads")) || undefined;
const ready = call<InitReply>({
  type: "init",
  ep,
  threads,
  ortBase: new URL("ort/", document.baseURI).href,
}).then(
  (r) => {
    $("ep").textContent = `ONNX Runtime: ${r.label}`;
    document.body.dataset.ep = r.ep;
    return r;
  },
  (err) => {
    $("ep").textContent = `ONNX Runtime failed: ${(err as Error).message}`;
    throw err;
  },
);

// --- Learn -------------------------------------------------------------------------------
const SIZES: Record<string, Omit<RunSettings, "regularizer" | "fixedWall">> = {
  // The CLI preset two-rooms-vicreg (model, batch, clips, data: 400 episodes of 128 steps), trained
  // for 1500 steps here (2400 in `jepa demo`).
  demo: { encoder: "conv", imageSize: 64, episodes: 400, steps: 1500, batch: 32, clipLength: 17, lr: 1e-3 },
  // Keypoints: the conv encoder learns no position in a run this short (run-settings.ts).
  small: {
    encoder: "keypoint",
    imageSize: 32,
    episodes: 200,
    steps: 400,
    batch: 16,
    clipLength: 9,
    lr: 2e-3,
  },
};
const FIELDS = {
  imageSize: "image-size",
  episodes: "episodes",
  steps: "steps",
  batch: "batch",
  clipLength: "clip-length",
  lr: "lr",
} as const;
function fillSize(name: string): void {
  const s = SIZES[name];
  $<HTMLSelectElement>("encoder").value = s.encoder;
  for (const [k, id] of Object.entries(FIELDS))
    $<HTMLInputElement>(id).value = String(s[k as keyof typeof s]);
}
$<HTMLSelectElement>("size-preset").onchange = (e) => fillSize((e.target as HTMLSelectElement).value);
fillSize("demo");

function runSettings(): RunSettings {
  return {
    regularizer: $<HTMLSelectElement>("regularizer").value as RunSettings["regularizer"],
    encoder: $<HTMLSelectElement>("encoder").value as RunSettings["encoder"],
    fixedWall: $<HTMLSelectElement>("env").value === "two-rooms-fixed",
    imageSize: num("image-size"),
    episodes: num("episodes"),
    steps: num("steps"),
    batch: num("batch"),
    clipLength: num("clip-length"),
    lr: num("lr"),
  };
}
function setRunSettings(s: RunSettings): void {
  $<HTMLSelectElement>("regularizer").value = s.regularizer;
  $<HTMLSelectElement>("encoder").value = s.encoder;
  $<HTMLSelectElement>("env").value = s.fixedWall ? "two-rooms-fixed" : "two-rooms";
  for (const [k, id] of Object.entries(FIELDS))
    $<HTMLInputElement>(id).value = String(s[k as keyof typeof FIELDS]);
}

let collected = "";
let logs: TrainLog[] = [];
let monitors: MonitorEvent[] = [];
let hasModel = false;

on<{ done: number; total: number }>("collect", (p) => {
  $("train-status").textContent = `collecting: ${p.done}/${p.total} episodes`;
});
on<TrainLog>("log", (r) => {
  logs.push(r);
  const terms = Object.entries(r.terms)
    .filter(([k]) => k !== "lr")
    .map(([k, v]) => `${k} ${v.toPrecision(3)}`)
    .join(", ");
  $("train-status").textContent =
    `step ${r.step}: loss ${r.loss.toPrecision(4)} (${terms}); ${r.stepsPerSecond.toFixed(1)} steps/s, ${r.elapsedSeconds.toFixed(0)} s (a step: batch ${r.timing.batchMs.toFixed(0)} ms, graph ${r.timing.runMs.toFixed(0)} ms)`;
  $("loss-plot").innerHTML = linePlot([{ name: "loss", points: logs.map((l) => [l.step, l.loss]) }], {
    title: "training loss",
  });
  const names = Object.keys(r.terms).filter((k) => k !== "lr");
  const series: Series[] = names.map((n) => ({ name: n, points: logs.map((l) => [l.step, l.terms[n]]) }));
  $("terms-plot").innerHTML = linePlot(series, { title: "loss terms", logY: true });
});
on<MonitorEvent>("monitor", (m) => {
  monitors.push(m);
  drawScatter($("pca"), m.pca, m.positions, m.size, `latent PCA at step ${m.step} (colour: true position)`);
  $("collapse-plot").innerHTML = linePlot(
    [
      { name: "effective rank", points: monitors.map((x) => [x.step, x.collapse.effectiveRank]) },
      { name: "std (mean over dims)", points: monitors.map((x) => [x.step, x.collapse.stdMean]) },
      { name: "position probe R²", points: monitors.map((x) => [x.step, x.probeR2]) },
    ],
    { title: "collapse monitors", width: 320, height: 220 },
  );
  const c = m.collapse;
  const el = $("collapse-status");
  el.textContent = `rank ${c.effectiveRank.toFixed(1)}, std ${c.stdMean.toFixed(3)} (min ${c.stdMin.toFixed(3)}), SIGReg ${c.sigreg.toFixed(3)}, probe R² ${m.probeR2.toFixed(2)}${c.collapsed ? ` — COLLAPSED: ${c.reason}` : ""}`;
  el.className = c.collapsed ? "bad" : "muted";
});

async function collect(): Promise<void> {
  await ready;
  const s = runSettings();
  const r = await call<{ frames: number; seconds: number }>({ type: "collect", settings: s });
  collected = JSON.stringify([s.imageSize, s.fixedWall, s.episodes]);
  $("train-status").textContent =
    `collected ${r.frames.toLocaleString("en")} frames in ${r.seconds.toFixed(1)} s`;
  document.body.dataset.collected = "1";
}
$("collect").onclick = () => void quiet(job("collecting data", collect));
$("train").onclick = () =>
  void quiet(
    job("training", async () => {
      const s = runSettings();
      if (collected !== JSON.stringify([s.imageSize, s.fixedWall, s.episodes])) await collect();
      logs = [];
      monitors = [];
      const logEvery = Math.max(1, Math.round(s.steps / 100));
      const monitorEvery = Math.max(logEvery, Math.round(s.steps / 15));
      const last = await call<TrainLog | undefined>({ type: "train", settings: s, logEvery, monitorEvery });
      hasModel = true;
      sceneShown = false;
      document.body.dataset.trained = String(last?.step ?? 0);
      $("train-status").textContent += " — done";
    }),
  );
$("stop").onclick = () => void call({ type: "stop" });

// --- Plan --------------------------------------------------------------------------------
let scene: SceneReply | undefined;
let sceneShown = false;
let sceneSeed = 1;
let goal: [number, number] | undefined;
let perturbation: PerturbationSettings = {};

function planSettings(): PlanSettings {
  return {
    horizon: num("horizon"),
    population: num("population"),
    iterations: num("iterations"),
    elites: num("elites"),
    executeSteps: num("execute"),
    budget: num("budget"),
  };
}

function drawWorld(rgb: Uint8Array, size: number, e?: PlanStepEvent): void {
  const canvas = $<HTMLCanvasElement>("world");
  drawFrame(canvas, rgb, size);
  if (e) {
    for (const c of e.candidates) drawPath(canvas, c, size, { colour: "#bbbbbb", width: 1, alpha: 0.6 });
    for (const c of e.elites) drawPath(canvas, c, size, { colour: "#f5a623", width: 1.5, alpha: 0.8 });
    drawPath(canvas, e.chosen, size, { colour: "#2ecc40", width: 3 });
    drawPath(canvas, e.path, size, { colour: "#ffffff", width: 2.5 });
  }
  if (goal) drawMarker(canvas, goal, size, "#39cccc", 8);
}

async function newScene(): Promise<void> {
  scene = await call<SceneReply>({ type: "scene", seed: sceneSeed++ });
  sceneShown = true;
  goal = undefined;
  lastDrawn = undefined;
  document.body.dataset.agent = `${scene.state[0]},${scene.state[1]}`;
  document.body.dataset.imageSize = String(scene.size);
  drawWorld(scene.rgb, scene.size);
  $("plan-status").textContent = "Click a goal inside a room.";
  $("plan-result").textContent = "";
}
$("new-scene").onclick = () => void quiet(job("new layout", newScene));

let lastDrawn: PlanStepEvent | undefined;
on<PlanStepEvent>("plan-step", (e) => {
  if (!scene) return;
  // The episode's last event has no new plan: keep the last plan's trajectories on screen.
  if (e.candidates.length === 0 && lastDrawn)
    e = { ...lastDrawn, path: e.path, rgb: e.rgb, seenRgb: e.seenRgb };
  else lastDrawn = e;
  drawWorld(e.rgb, scene.size, e);
  drawFrame($("plan-seen"), e.seenRgb, scene.size);
  if (e.planMs > 0)
    $("plan-status").textContent = `plan ${e.replans}: ${e.planMs.toFixed(0)} ms (CEM in latent space)`;
});

$("world").onclick = (ev: MouseEvent) => {
  if (!scene || busy) return;
  const canvas = $<HTMLCanvasElement>("world");
  const rect = canvas.getBoundingClientRect();
  goal = [
    ((ev.clientX - rect.left) / rect.width) * scene.size,
    ((ev.clientY - rect.top) / rect.height) * scene.size,
  ];
  drawWorld(scene.rgb, scene.size);
  $("plan-result").textContent = "";
  lastDrawn = undefined;
  delete document.body.dataset.planResult;
  delete document.body.dataset.planDistance;
  document.body.dataset.goal = goal.join(",");
  void quiet(
    job("planning", async () => {
      const r = await call<PlanReply>({ type: "plan", goal: goal!, plan: planSettings(), perturbation });
      const el = $("plan-result");
      el.textContent = r.success
        ? `Reached the goal in ${r.steps} steps (${r.plans} plans, ${r.plansPerSecond.toFixed(1)} plans/s).`
        : `Failed: ${r.finalDistance.toFixed(1)} px from the goal after ${r.steps} steps (${r.plans} plans).`;
      el.className = r.success ? "ok" : "bad";
      document.body.dataset.planDistance = String(r.finalDistance);
      document.body.dataset.planResult = r.success ? "success" : "failure";
    }),
  );
};

// --- Break -------------------------------------------------------------------------------
const sliders = $("sliders");
for (const p of BREAK_PERTURBATIONS) {
  const label = document.createElement("label");
  label.innerHTML = `<span style="display:inline-block;width:130px">${p.label}</span><input type="range" id="sev-${p.kind}" min="0" max="5" step="1" value="0"> <output id="out-${p.kind}">0</output>`;
  sliders.append(label);
  const option = document.createElement("option");
  option.value = p.kind;
  option.textContent = p.label;
  $("sweep-kind").append(option);
}
let breakTimer: ReturnType<typeof setTimeout> | undefined;
sliders.addEventListener("input", (e) => {
  const input = e.target as HTMLInputElement;
  const kind = input.id.slice(4);
  $(`out-${kind}`).textContent = input.value;
  perturbation = { ...perturbation, [kind]: Number(input.value) };
  clearTimeout(breakTimer);
  breakTimer = setTimeout(() => void quiet(refreshBreak()), 120);
});

let driftSeq = 0;
async function refreshBreak(): Promise<void> {
  if (!sceneShown) await newScene();
  const seq = ++driftSeq;
  const view = await call<SceneReply>({ type: "view", perturbation });
  drawFrame($("break-clean"), view.rgb, view.size);
  drawFrame($("break-seen"), view.seenRgb ?? view.rgb, view.size);
  if (busy) return;
  const d = await call<DriftReply>({ type: "drift", perturbation });
  if (seq !== driftSeq) return;
  const el = $("drift-status");
  el.textContent = `embedding drift ${d.drift.toFixed(3)} (of the embeddings' spread) · probe position error ${d.probeError.toFixed(2)} px (clean ${d.cleanProbeError.toFixed(2)} px)`;
  document.body.dataset.drift = d.drift.toFixed(4);
}

let sweepPoints: SweepPoint[] = [];
on<SweepPoint>("sweep-point", (p) => {
  sweepPoints.push(p);
  const row = document.createElement("tr");
  row.innerHTML = `<td>${p.severity}</td><td>${p.drift.toFixed(3)}</td><td>${p.probeError.toFixed(2)}</td><td>${(100 * p.success).toFixed(0)}%</td>`;
  $("sweep-table").querySelector("tbody")!.append(row);
  $("sweep-plot").innerHTML = linePlot(
    [
      { name: "planning success", points: sweepPoints.map((q) => [q.severity, q.success]) },
      { name: "embedding drift", points: sweepPoints.map((q) => [q.severity, q.drift]) },
    ],
    { title: `${p.kind}: success and drift`, xLabel: "severity", width: 360, height: 220 },
  );
});
$("sweep").onclick = () =>
  void quiet(
    job("sweeping", async () => {
      sweepPoints = [];
      $("sweep-table").querySelector("tbody")!.innerHTML = "";
      await call<SweepPoint[]>({
        type: "sweep",
        kind: $<HTMLSelectElement>("sweep-kind").value,
        severities: [0, 1, 2, 3, 4, 5],
        episodes: num("sweep-episodes"),
        goalDistance: num("sweep-distance"),
        plan: planSettings(),
      });
      document.body.dataset.sweep = String(sweepPoints.length);
    }),
  );

// --- Load / Save -------------------------------------------------------------------------
async function loadFiles(files: File[]): Promise<void> {
  const el = $("ckpt-message");
  const params = files.find((f) => f.name.endsWith(".safetensors") && !f.name.startsWith("optimizer"));
  const state = files.find((f) => f.name.endsWith(".json"));
  const problem = !params
    ? "params.safetensors is missing: pick it together with state.json (both from one checkpoint folder)"
    : !state
      ? "state.json is missing: pick it together with params.safetensors (both from one checkpoint folder)"
      : undefined;
  if (problem) {
    el.textContent = problem;
    el.className = "bad";
    return;
  }
  await job("loading checkpoint", async () => {
    try {
      const bytes = await params!.arrayBuffer();
      const r = await call<LoadReply>({ type: "load", params: bytes, state: await state!.text() }, [bytes]);
      el.textContent = r.message;
      el.className = "ok";
      setRunSettings(r.settings);
      hasModel = true;
      sceneShown = false;
      document.body.dataset.loaded = String(r.step);
    } catch (err) {
      el.textContent = `Could not load: ${(err as Error).message}`;
      el.className = "bad";
      throw err;
    }
  });
}
$<HTMLInputElement>("ckpt-files").onchange = (e) =>
  void quiet(loadFiles([...((e.target as HTMLInputElement).files ?? [])]));
const drop = $("drop");
drop.ondragover = (e) => {
  e.preventDefault();
  drop.classList.add("over");
};
drop.ondragleave = () => drop.classList.remove("over");
drop.ondrop = (e) => {
  e.preventDefault();
  drop.classList.remove("over");
  void quiet(loadFiles([...(e.dataTransfer?.files ?? [])]));
};

function download(name: string, data: BlobPart, type: string): void {
  const url = URL.createObjectURL(new Blob([data], { type }));
  const a = document.createElement("a");
  a.href = url;
  a.download = name;
  a.click();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
$("save").onclick = () =>
  void quiet(
    job("saving checkpoint", async () => {
      const r = await call<SaveReply>({ type: "save" });
      download("params.safetensors", r.params, "application/octet-stream");
      download("state.json", r.state, "application/json");
      if (r.optimizer) download("optimizer.safetensors", r.optimizer, "application/octet-stream");
      $("save-message").textContent = `saved step ${r.step}: ${r.optimizer ? 3 : 2} files downloaded`;
      $("save-message").className = "ok";
    }).catch((err) => {
      $("save-message").textContent = (err as Error).message;
      $("save-message").className = "bad";
    }),
  );
