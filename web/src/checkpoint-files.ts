// Checkpoints as the CLI writes them (src/train/checkpoint.ts), read and written in memory:
// params.safetensors (one tensor per parameter path), state.json (step, the run config, the
// layout) and, for `jepa train --resume`, optimizer.safetensors. Every problem with a file
// the user picked is one line naming the file, what is wrong, and what to do.
import {
  decodeSafetensors,
  encodeSafetensors,
  type HostTensor,
  keyFromSeed,
  layoutOf,
  type ParamLayout,
  type SafeTensor,
  type TrainState,
  type Tree,
  unpackTree,
} from "../../src/engine/index.ts";
import { validateRunConfig, type WorldModelPreset } from "../../src/train/index.ts";
import { initWorldModel } from "../../src/world/index.ts";

/** A checkpoint file that cannot be used; the message says which and why. */
export class CheckpointError extends Error {
  override name = "CheckpointError";
}

export interface LoadedCheckpoint {
  config: WorldModelPreset;
  params: Tree<HostTensor>;
  layout: ParamLayout;
  step: number;
}

const bytesOf = (tensors: Record<string, HostTensor>, meta: Record<string, string>) =>
  encodeSafetensors(tensors as Record<string, SafeTensor>, meta);

/** The files of a checkpoint of `state` (parameters and optimizer slots) under `config`. */
export function writeCheckpoint(
  state: TrainState,
  layout: ParamLayout,
  config: WorldModelPreset,
): { params: Uint8Array; state: string; optimizer: Uint8Array } {
  const params: Record<string, HostTensor> = {};
  for (const e of layout.entries)
    params[e.path] = {
      shape: e.shape,
      dtype: "float32",
      data: state.params.slice(e.offset, e.offset + e.size),
    };
  const opt: Record<string, HostTensor> = {};
  for (const [k, v] of Object.entries(state.slots))
    opt[`slot.${k}`] = { shape: [v.length], dtype: "float32", data: v };
  const meta = {
    step: state.step,
    config,
    layout: layout.entries.map((e) => ({ path: e.path, shape: e.shape })),
    savedAt: new Date().toISOString(),
    extra: { savedBy: "jepa-ts web" },
  };
  return {
    params: bytesOf(params, { format: "jepa-ts", step: String(state.step) }),
    state: `${JSON.stringify(meta, null, 1)}\n`,
    optimizer: bytesOf(opt, { step: String(state.step) }),
  };
}

/** Reads params.safetensors + state.json, checking both against the model the config describes. */
export function readCheckpoint(paramsBytes: Uint8Array, stateText: string): LoadedCheckpoint {
  let meta: { step?: unknown; config?: unknown };
  try {
    meta = JSON.parse(stateText);
  } catch (err) {
    throw new CheckpointError(
      `state.json is not valid JSON (${(err as Error).message}); pick the state.json of a jepa checkpoint folder`,
    );
  }
  if (meta === null || typeof meta !== "object" || !("config" in meta))
    throw new CheckpointError(
      'state.json has no run config ("config"); pick the state.json from a checkpoint folder (checkpoints/step-N/), not config.json or metrics',
    );
  let config: WorldModelPreset;
  try {
    config = validateRunConfig(meta.config);
  } catch (err) {
    throw new CheckpointError(`state.json: ${(err as Error).message}`);
  }
  if (config.env.name !== "two-rooms")
    throw new CheckpointError(
      `this checkpoint is a ${config.env.name} world model; the app plans in two-rooms only (train one with --preset two-rooms-vicreg)`,
    );
  let tensors: Record<string, SafeTensor>;
  try {
    tensors = decodeSafetensors(paramsBytes, "params.safetensors").tensors;
  } catch (err) {
    throw new CheckpointError(
      `${(err as Error).message}; pick the params.safetensors of a checkpoint folder`,
    );
  }
  const template = initWorldModel(keyFromSeed(0), config.model) as unknown as Tree<HostTensor>;
  const layout = layoutOf(template);
  const flat = new Float32Array(layout.total);
  for (const e of layout.entries) {
    const t = tensors[e.path];
    if (!t) {
      const names = Object.keys(tensors);
      throw new CheckpointError(
        `params.safetensors lacks parameter ${e.path} that state.json's model needs (it holds ${names.length} tensors${names.length ? `, e.g. ${names.slice(0, 3).join(", ")}` : ""}); the two files come from different checkpoints or models`,
      );
    }
    if (t.dtype !== "float32" || t.shape.join(",") !== e.shape.join(","))
      throw new CheckpointError(
        `params.safetensors: parameter ${e.path} is ${t.dtype}[${t.shape}], the model in state.json expects float32[${e.shape}]; the two files come from different checkpoints`,
      );
    flat.set(t.data as Float32Array, e.offset);
  }
  const extra = Object.keys(tensors).filter((k) => !layout.entries.some((e) => e.path === k));
  if (extra.length)
    throw new CheckpointError(
      `params.safetensors has ${extra.length} tensors the model in state.json lacks (${extra.slice(0, 3).join(", ")}); the two files come from different models`,
    );
  const step = typeof meta.step === "number" ? meta.step : 0;
  return { config, params: unpackTree(flat, layout, template), layout, step };
}
