// The training loop. Each step, numbered from 0:
//   1. batch  = spec.batch(step)          (a pure function of the step: the data position)
//   2. run the compiled step               (forward, backward, optimizer, EMA in one graph)
//   3. check every loss term is finite     (stop before anything is saved if not)
//   4. log every `logEvery` steps          (callback + metrics.jsonl)
//   5. collapse monitors every `monitorEvery` steps (probe embeddings -> std, rank, SIGReg)
//   6. checkpoint every `checkpointEvery` steps, keeping the last `keepLast`
// A run killed at any point and resumed from its last checkpoint ends with the same bits.
import { appendFileSync, existsSync, mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import {
  type Backend,
  compileTrainStep,
  type EmaOptions,
  type GraphOptimizer,
  type HostTensor,
  type InputSpec,
  isHostTensor,
  type LossFn,
  type TrainStep,
  type Tree,
} from "../engine/index.ts";
import { writeFileAtomic } from "../engine/node.ts";
import {
  checkpointName,
  listCheckpoints,
  loadCheckpoint,
  pruneCheckpoints,
  saveCheckpoint,
} from "./checkpoint.ts";
import { type CollapseStats, collapseStats } from "./collapse.ts";

/** Everything a run trains, built by a preset or by the caller. */
export interface TrainSpec {
  params: Tree<HostTensor>;
  loss: LossFn;
  optimizer: GraphOptimizer;
  batchSpec: InputSpec;
  batch(step: number): Record<string, HostTensor>;
  ema?: EmaOptions;
  /** Embeddings [n, d] of a fixed probe batch under the given parameters (collapse monitors). */
  probe?: (params: Tree<HostTensor>) => Promise<{ data: Float32Array; n: number; d: number }>;
}

export interface TrainOptions {
  steps: number;
  backend: Backend;
  /** Run folder for metrics.jsonl and checkpoints/ (none: nothing is written). */
  outDir?: string;
  /** The run's configuration, stored in checkpoints and compared on resume. */
  config?: unknown;
  checkpointEvery?: number;
  keepLast?: number;
  logEvery?: number;
  monitorEvery?: number;
  /** Continue from the newest checkpoint in outDir, if any. */
  resume?: boolean;
  onLog?: (record: LogRecord) => void;
  /** Abort to stop after the current step; a checkpoint is written first. */
  signal?: AbortSignal;
}

export interface LogRecord {
  step: number;
  loss: number;
  terms: Record<string, number>;
  stepsPerSecond: number;
  elapsedSeconds: number;
  collapse?: CollapseStats;
  warning?: string;
}

export interface TrainResult {
  trainStep: TrainStep;
  history: LogRecord[];
  resumedFrom?: number;
  stoppedEarly: boolean;
}

/** Thrown when a loss term or the loss goes NaN or infinite; the last checkpoint is untouched. */
export class TrainingDiverged extends Error {
  override name = "TrainingDiverged";
}

/** Fixed unit directions for the monitor's SIGReg statistic (deterministic, no key needed). */
function monitorDirections(d: number, k = 16): Float64Array {
  const out = new Float64Array(k * d);
  for (let s = 0; s < k; s++) {
    let norm = 0;
    for (let j = 0; j < d; j++) {
      out[s * d + j] = (Math.sin(12.9898 * (s + 1) + 78.233 * (j + 1)) * 43758.5453) % 1;
      norm += out[s * d + j] ** 2;
    }
    for (let j = 0; j < d; j++) out[s * d + j] /= Math.sqrt(norm);
  }
  return out;
}

/** Path of the first parameter leaf holding a NaN or an infinity, if any. */
function firstNonFinite(tree: Tree<HostTensor>, path = ""): string | undefined {
  if (isHostTensor(tree)) {
    for (const v of tree.data as Float32Array) if (!Number.isFinite(v)) return path || "(root)";
    return undefined;
  }
  for (const [k, sub] of Object.entries(tree as Record<string, Tree<HostTensor>>)) {
    const found = firstNonFinite(sub, path ? `${path}.${k}` : k);
    if (found) return found;
  }
  return undefined;
}

export async function train(spec: TrainSpec, opts: TrainOptions): Promise<TrainResult> {
  const {
    steps,
    backend,
    outDir,
    config,
    checkpointEvery = 0,
    keepLast = 3,
    logEvery = 10,
    monitorEvery = 0,
  } = opts;
  const trainStep = await compileTrainStep(spec.loss, spec.params, spec.optimizer, spec.batchSpec, {
    backend,
    ema: spec.ema,
  });
  const ckptDir = outDir ? join(outDir, "checkpoints") : undefined;
  const metricsPath = outDir ? join(outDir, "metrics.jsonl") : undefined;
  if (outDir) mkdirSync(outDir, { recursive: true });
  let history: LogRecord[] = [];
  let resumedFrom: number | undefined;
  if (opts.resume && ckptDir && listCheckpoints(ckptDir).length) {
    const last = listCheckpoints(ckptDir).at(-1)!;
    const { state, meta } = loadCheckpoint(join(ckptDir, checkpointName(last)), trainStep.layout);
    if (config !== undefined && JSON.stringify(meta.config) !== JSON.stringify(config)) {
      throw new Error(
        `cannot resume: ${outDir} was trained with a different config; use a new --out or the same config`,
      );
    }
    trainStep.setState(state);
    resumedFrom = last;
    if (metricsPath && existsSync(metricsPath)) {
      history = readFileSync(metricsPath, "utf8")
        .split("\n")
        .filter(Boolean)
        .map((l) => JSON.parse(l) as LogRecord)
        .filter((r) => r.step <= last); // a record's step counts the steps done before it
      writeFileAtomic(metricsPath, history.map((r) => `${JSON.stringify(r)}\n`).join(""));
    }
  } else if (metricsPath) {
    writeFileAtomic(metricsPath, "");
  }

  const save = () => {
    if (!ckptDir) return;
    saveCheckpoint(ckptDir, trainStep.getState(), trainStep.layout, { config });
    pruneCheckpoints(ckptDir, keepLast);
  };
  const directions = new Map<number, Float64Array>();
  const start = performance.now();
  const firstStep = trainStep.step;
  let stoppedEarly = false;
  while (trainStep.step < steps) {
    const step = trainStep.step;
    const { loss, terms } = await trainStep.run(spec.batch(step));
    // Terms first, so the message names the term that went non-finite rather than their sum.
    for (const [name, v] of [...Object.entries(terms), ["loss", loss] as const]) {
      if (!Number.isFinite(v)) {
        throw new TrainingDiverged(
          `training diverged at step ${step}: ${name === "loss" ? "the loss" : `loss term "${name}"`} is ${v}; the last checkpoint is intact (lower the learning rate or check the data)`,
        );
      }
    }
    const badParam = firstNonFinite(trainStep.params());
    if (badParam) {
      throw new TrainingDiverged(
        `training diverged at step ${step}: parameter ${badParam} became non-finite (the loss was ${loss}); the last checkpoint is intact (lower the learning rate or clip gradients)`,
      );
    }
    const done = trainStep.step;
    const monitorDue = monitorEvery > 0 && spec.probe && (done % monitorEvery === 0 || done === steps);
    if (done % logEvery === 0 || done === steps || monitorDue) {
      const elapsed = (performance.now() - start) / 1000;
      const record: LogRecord = {
        step: done,
        loss,
        terms,
        stepsPerSecond: (done - firstStep) / elapsed,
        elapsedSeconds: elapsed,
      };
      if (monitorDue && spec.probe) {
        const h = await spec.probe(trainStep.params());
        if (!directions.has(h.d)) directions.set(h.d, monitorDirections(h.d));
        record.collapse = collapseStats(h.data, h.n, h.d, directions.get(h.d));
        if (record.collapse.collapsed) record.warning = `step ${done}: ${record.collapse.reason}`;
      }
      history.push(record);
      if (metricsPath) appendFileSync(metricsPath, `${JSON.stringify(record)}\n`);
      opts.onLog?.(record);
    }
    if (checkpointEvery > 0 && (done % checkpointEvery === 0 || done === steps)) save();
    if (opts.signal?.aborted && done < steps) {
      save();
      stoppedEarly = true;
      break;
    }
  }
  return { trainStep, history, resumedFrom, stoppedEarly };
}
