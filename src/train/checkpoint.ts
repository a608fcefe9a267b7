// Checkpoints: a folder per saved step holding params.safetensors (the parameter tree by
// path), optimizer.safetensors (optimizer slots and the EMA buffer) and state.json (step,
// config, layout). Each folder is written under a temporary name, then renamed, so a crash
// never leaves a half-written checkpoint where a loader looks.
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync } from "node:fs";
import { join } from "node:path";
import type { HostTensor, ParamLayout, TrainState } from "../engine/index.ts";
import { loadSafetensors, saveSafetensors, writeFileAtomic } from "../engine/node.ts";

export interface CheckpointMeta {
  step: number;
  /** The run's configuration as given (JSON), so `--resume` can check it matches. */
  config: unknown;
  layout: { path: string; shape: number[] }[];
  savedAt: string;
  /** Free-form extra state (e.g. the metrics so far) owned by the caller. */
  extra?: Record<string, unknown>;
}

const NAME = /^step-(\d{9})$/;
export const checkpointName = (step: number): string => `step-${String(step).padStart(9, "0")}`;

/** Writes the state of a training step into `dir/step-NNNNNNNNN/`, atomically. */
export function saveCheckpoint(
  dir: string,
  state: TrainState,
  layout: ParamLayout,
  meta: Omit<CheckpointMeta, "step" | "layout" | "savedAt">,
): string {
  mkdirSync(dir, { recursive: true });
  const final = join(dir, checkpointName(state.step));
  const tmp = join(dir, `.tmp-${checkpointName(state.step)}-${process.pid}`);
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp);
  const params: Record<string, HostTensor> = {};
  for (const e of layout.entries) {
    params[e.path] = {
      shape: e.shape,
      dtype: "float32",
      data: state.params.subarray(e.offset, e.offset + e.size),
    };
  }
  saveSafetensors(join(tmp, "params.safetensors"), params, { format: "jepa-ts", step: String(state.step) });
  const opt: Record<string, HostTensor> = {};
  for (const [k, v] of Object.entries(state.slots))
    opt[`slot.${k}`] = { shape: [v.length], dtype: "float32", data: v };
  if (state.ema) opt.ema = { shape: [state.ema.length], dtype: "float32", data: state.ema };
  saveSafetensors(join(tmp, "optimizer.safetensors"), opt, { step: String(state.step) });
  const full: CheckpointMeta = {
    ...meta,
    step: state.step,
    layout: layout.entries.map((e) => ({ path: e.path, shape: e.shape })),
    savedAt: new Date().toISOString(),
  };
  writeFileAtomic(join(tmp, "state.json"), `${JSON.stringify(full, null, 1)}\n`);
  rmSync(final, { recursive: true, force: true });
  renameSync(tmp, final);
  return final;
}

/** Step numbers of the complete checkpoints in `dir`, ascending. */
export function listCheckpoints(dir: string): number[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .map((n) => NAME.exec(n))
    .filter((m): m is RegExpExecArray => m !== null && existsSync(join(dir, m[0], "state.json")))
    .map((m) => Number(m[1]))
    .sort((a, b) => a - b);
}

/** Deletes all but the newest `keep` checkpoints (and stray temporary folders). */
export function pruneCheckpoints(dir: string, keep: number): void {
  const steps = listCheckpoints(dir);
  for (const s of steps.slice(0, Math.max(0, steps.length - keep)))
    rmSync(join(dir, checkpointName(s)), { recursive: true, force: true });
  for (const n of readdirSync(dir))
    if (n.startsWith(".tmp-step-")) rmSync(join(dir, n), { recursive: true, force: true });
}

/** Loads a checkpoint folder, checking that its parameters match `layout`. */
export function loadCheckpoint(
  path: string,
  layout: ParamLayout,
): { state: TrainState; meta: CheckpointMeta } {
  const statePath = join(path, "state.json");
  if (!existsSync(statePath))
    throw new Error(`checkpoint ${path} has no state.json; it is incomplete or not a checkpoint`);
  let meta: CheckpointMeta;
  try {
    meta = JSON.parse(readFileSync(statePath, "utf8")) as CheckpointMeta;
  } catch (err) {
    throw new Error(`checkpoint ${statePath} is not valid JSON (${(err as Error).message})`);
  }
  const { tensors } = loadSafetensors(join(path, "params.safetensors"));
  const params = new Float32Array(layout.total);
  for (const e of layout.entries) {
    const t = tensors[e.path];
    if (!t)
      throw new Error(
        `checkpoint ${path} lacks parameter ${e.path}; it was saved by a different model config`,
      );
    if (t.dtype !== "float32" || t.shape.join(",") !== e.shape.join(",")) {
      throw new Error(
        `checkpoint ${path}: parameter ${e.path} is ${t.dtype}[${t.shape}], the model expects float32[${e.shape}]`,
      );
    }
    params.set(t.data as Float32Array, e.offset);
  }
  const opt = loadSafetensors(join(path, "optimizer.safetensors")).tensors;
  const slots: Record<string, Float32Array> = {};
  for (const [k, v] of Object.entries(opt))
    if (k.startsWith("slot.")) slots[k.slice(5)] = v.data as Float32Array;
  return { state: { step: meta.step, params, slots, ema: opt.ema?.data as Float32Array | undefined }, meta };
}
