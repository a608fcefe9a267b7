// Messages between the page (main.ts) and the compute worker (worker.ts). Every request has an
// id and gets exactly one reply; long jobs also stream named events while they run.
import type { CollapseStats } from "../../src/train/index.ts";

export type ExecutionProvider = "wasm" | "webgpu";

/** What the Learn view asks for: a two-rooms world and the size of the run. */
export interface RunSettings {
  regularizer: "vicreg" | "sigreg";
  /** "conv": the CLI preset's encoder; "keypoint": spatial-softmax keypoints (run-settings.ts). */
  encoder: "conv" | "keypoint";
  fixedWall: boolean;
  imageSize: number;
  episodes: number;
  steps: number;
  batch: number;
  clipLength: number;
  lr: number;
}

/** Severity 0 (off) to 5 of each perturbation the Break view offers. */
export type PerturbationSettings = Record<string, number>;

export interface PlanSettings {
  horizon: number;
  population: number;
  iterations: number;
  elites: number;
  executeSteps: number;
  budget: number;
}

export type Request =
  | { type: "init"; ep: ExecutionProvider; ortBase: string; threads?: number }
  | { type: "collect"; settings: RunSettings }
  | { type: "train"; settings: RunSettings; logEvery: number; monitorEvery: number }
  | { type: "stop" }
  | { type: "scene"; seed: number }
  | { type: "plan"; goal: [number, number]; plan: PlanSettings; perturbation: PerturbationSettings }
  | { type: "view"; perturbation: PerturbationSettings }
  | { type: "drift"; perturbation: PerturbationSettings }
  | {
      type: "sweep";
      kind: string;
      severities: number[];
      episodes: number;
      goalDistance: number;
      plan: PlanSettings;
    }
  | { type: "load"; params: ArrayBuffer; state: string }
  | { type: "save" }
  /** Plans/s of the current model's CEM, fused or not (benchmarks): `repeats` timed plans after one warm-up. */
  | { type: "bench-plan"; plan: PlanSettings; repeats: number; keepHistory: boolean; fused: boolean };

export interface InitReply {
  label: string;
  ep: ExecutionProvider;
  threads: number;
  isolated: boolean;
}

export interface TrainLog {
  step: number;
  loss: number;
  terms: Record<string, number>;
  stepsPerSecond: number;
  elapsedSeconds: number;
  /**
   * Where the interval's time went, ms per step: building the batch (clips sampled from the
   * dataset, bytes to floats), the training graph's run (inputs into WASM memory, the graph,
   * outputs back), and the rest (monitors, messages, yielding to the event loop).
   */
  timing: { batchMs: number; runMs: number; otherMs: number };
  /**
   * Before the first step: tracing, differentiating and emitting the training graph plus
   * ONNX Runtime's session for it; then the first monitor (its embedding graph compiled).
   * `elapsedSeconds` counts from the end of the compile.
   */
  setup: { compileSeconds: number; monitorSeconds: number };
}

export interface MonitorEvent {
  step: number;
  collapse: CollapseStats;
  /** PCA of the monitor embeddings [n] and the true agent positions (for colour). */
  pca: [number, number][];
  positions: [number, number][];
  size: number;
  probeR2: number;
}

/** A scene: the layout, the agent, and the frames as RGB for display. */
export interface SceneReply {
  size: number;
  state: number[];
  rgb: Uint8Array;
  /** RGB of what the model sees (perturbed), when it differs. */
  seenRgb?: Uint8Array;
}

export interface PlanStepEvent {
  /** Decoded (probe) positions [M][H][2] of sampled candidates, elites and the chosen plan. */
  candidates: number[][][];
  elites: number[][][];
  chosen: number[][];
  path: number[][];
  state: number[];
  rgb: Uint8Array;
  seenRgb: Uint8Array;
  planMs: number;
  replans: number;
}

export interface PlanReply {
  success: boolean;
  steps: number;
  finalDistance: number;
  path: number[][];
  plans: number;
  plansPerSecond: number;
}

export interface DriftReply {
  /** Mean embedding displacement relative to the clean embeddings' spread. */
  drift: number;
  /** Mean probe error of the agent's position in pixels, perturbed and clean. */
  probeError: number;
  cleanProbeError: number;
}

export interface SweepPoint {
  kind: string;
  severity: number;
  drift: number;
  probeError: number;
  success: number;
  episodes: number;
}

export interface LoadReply {
  message: string;
  step: number;
  name: string;
  settings: RunSettings;
}

export interface SaveReply {
  params: ArrayBuffer;
  state: string;
  optimizer?: ArrayBuffer;
  step: number;
}

export type WorkerMessage =
  | { type: "reply"; id: number; ok: true; value: unknown }
  | { type: "reply"; id: number; ok: false; error: string }
  | { type: "event"; name: string; data: unknown };
