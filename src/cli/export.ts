// `jepa export`: a trained encoder, predictor or whole world model out of a run folder as a
// standard ONNX model any runtime can serve: named inputs and outputs with static shapes, the
// weights as initializers, and metadata_props holding the config and the input normalisation.
import { existsSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import {
  constant,
  type HostTensor,
  keyFromSeed,
  layoutOf,
  mapTree,
  type Tensor,
  type Tree,
  toOnnx,
  trace,
  unpackTree,
} from "../engine/index.ts";
import { writeFileAtomic } from "../engine/node.ts";
import { type CheckpointMeta, checkpointName, listCheckpoints, loadCheckpoint } from "../train/node.ts";
import {
  encode,
  initWorldModel,
  predict,
  rollout,
  type WorldModelConfig,
  type WorldModelParams,
} from "../world/index.ts";
import { type Command, UsageError } from "./command.ts";

export type ExportPart = "encoder" | "predictor" | "world-model";
export const EXPORT_PARTS: ExportPart[] = ["encoder", "predictor", "world-model"];

export interface ExportOptions {
  /** Static batch of every input (ONNX shapes are static in jepa-ts graphs). */
  batch?: number;
  /** Steps the world-model export rolls out. */
  horizon?: number;
  /** Multiplier applied to raw environment actions before the model sees them. */
  actionScale?: number;
  /** Extra metadata_props (e.g. the run config, the checkpoint step). */
  metadata?: Record<string, string>;
}

const OBSERVATION_NORMALISATION =
  "uint8 frames [C, H, W] (channels first, as the environment renders them) divided by 255 to float32 in [0, 1]; no mean/std";

type Signature = Record<string, { shape: number[]; doc: string }>;

/** The signature of each part: input and output names with shapes, for the model's docs. */
function signature(
  part: ExportPart,
  c: WorldModelConfig,
  b: number,
  h: number,
): { inputs: Signature; outputs: Signature } {
  const [ch, hh, w] = c.observation;
  const { embedDim: d, actionDim: a } = c;
  const obs = { observation: { shape: [b, ch, hh, w], doc: "frames, float32 in [0, 1]" } };
  if (part === "encoder") return { inputs: obs, outputs: { embedding: { shape: [b, d], doc: "z = E(o)" } } };
  if (part === "predictor") {
    return {
      inputs: {
        embedding: { shape: [b, d], doc: "z_t" },
        action: { shape: [b, a], doc: "a_t, scaled by actionScale" },
      },
      outputs: { next_embedding: { shape: [b, d], doc: "predicted z_{t+1}" } },
    };
  }
  return {
    inputs: { ...obs, actions: { shape: [b, h, a], doc: "a_0..a_{H-1}, scaled by actionScale" } },
    outputs: {
      embedding: { shape: [b, d], doc: "z_0 = E(o)" },
      predicted_embeddings: { shape: [b, h, d], doc: "z_1..z_H rolled out by the predictor" },
    },
  };
}

/** Serialises one part of a world model with its weights as an ONNX model (opset 17). */
export function exportWorldModelPart(
  params: WorldModelParams<HostTensor>,
  config: WorldModelConfig,
  part: ExportPart,
  opts: ExportOptions = {},
): Uint8Array {
  const { batch = 1, horizon = 1, actionScale = 1, metadata = {} } = opts;
  const sig = signature(part, config, batch, horizon);
  const spec = Object.fromEntries(Object.entries(sig.inputs).map(([k, v]) => [k, { shape: v.shape }]));
  const traced = trace((i): Record<string, Tensor> => {
    const p = mapTree(params as unknown as Tree<HostTensor>, (t) =>
      constant(t),
    ) as unknown as WorldModelParams<Tensor>;
    if (part === "encoder") return { embedding: encode(p, i.observation, config) };
    if (part === "predictor") return { next_embedding: predict(p, i.embedding, i.action, config) };
    const z = encode(p, i.observation, config);
    return { embedding: z, predicted_embeddings: rollout(p, z, i.actions, config) };
  }, spec);
  const describe = (r: Signature) =>
    Object.entries(r)
      .map(([k, v]) => `${k} [${v.shape.join(", ")}]: ${v.doc}`)
      .join("; ");
  // opset 17: the newest the official checker of Debian's python3-onnx (1.12) knows.
  return toOnnx(traced, {
    opset: 17,
    graphName: `jepa_ts_${part.replace("-", "_")}`,
    docString: `jepa-ts ${part}. Inputs: ${describe(sig.inputs)}. Outputs: ${describe(sig.outputs)}.`,
    metadata: {
      "jepa.part": part,
      "jepa.model_config": JSON.stringify(config),
      "jepa.observation_normalisation": OBSERVATION_NORMALISATION,
      "jepa.action_scale": String(actionScale),
      "jepa.inputs": JSON.stringify(sig.inputs),
      "jepa.outputs": JSON.stringify(sig.outputs),
      ...metadata,
    },
  });
}

interface RunConfig {
  name?: string;
  model: WorldModelConfig;
  train?: { actionScale?: number };
}

/** The newest checkpoint of a run folder (or a checkpoint folder itself): params and config. */
export function loadRun(dir: string): {
  params: WorldModelParams<HostTensor>;
  run: RunConfig;
  meta: CheckpointMeta;
  path: string;
} {
  if (!existsSync(dir) || !statSync(dir).isDirectory())
    throw new UsageError(`--model ${dir}: no such folder`);
  let path = dir;
  if (!existsSync(join(dir, "state.json"))) {
    const steps = listCheckpoints(join(dir, "checkpoints"));
    if (steps.length === 0)
      throw new UsageError(
        `--model ${dir} holds no checkpoints (expected ${join(dir, "checkpoints", "step-N")}); train it first`,
      );
    path = join(dir, "checkpoints", checkpointName(steps[steps.length - 1]));
  }
  const meta = JSON.parse(readFileSync(join(path, "state.json"), "utf8")) as CheckpointMeta;
  const run = meta.config as RunConfig;
  if (!run?.model?.observation)
    throw new UsageError(`${path}/state.json has no model config; it was not written by "jepa train"`);
  const template = initWorldModel(keyFromSeed(0), run.model) as unknown as Tree<HostTensor>;
  const layout = layoutOf(template);
  const { state } = loadCheckpoint(path, layout);
  const params = unpackTree(state.params, layout, template) as unknown as WorldModelParams<HostTensor>;
  return { params, run, meta, path };
}

const usage = `usage: jepa export --model DIR --part encoder|predictor|world-model --out FILE.onnx [options]

Writes one part of a trained world model (the newest checkpoint of run folder DIR, or DIR
itself when it is a checkpoint folder) as a standard ONNX model (opset 17, static shapes):
  encoder       observation [B, C, H, W] -> embedding [B, D]
  predictor     embedding [B, D], action [B, A] -> next_embedding [B, D]
  world-model   observation [B, C, H, W], actions [B, H, A] -> embedding [B, D],
                predicted_embeddings [B, H, D]
Observations are uint8 frames / 255 (float32 in [0, 1]); actions are multiplied by the run's
actionScale. metadata_props hold the model config, the run config, the normalisation and
each input's and output's shape (keys jepa.*).

  --model DIR     run folder from "jepa train" (or one checkpoint folder)
  --part PART     encoder, predictor or world-model
  --out FILE      the .onnx file to write
  --batch N       static batch of the inputs (default 1)
  --horizon H     rollout steps of a world-model export (default 1)`;

export const command: Command = {
  name: "export",
  summary: "export a trained encoder, predictor or world model as a standard ONNX model",
  usage,
  async run(argv) {
    let v: Record<string, string | boolean | undefined>;
    try {
      v = parseArgs({
        args: argv,
        strict: true,
        options: {
          model: { type: "string" },
          part: { type: "string" },
          out: { type: "string" },
          batch: { type: "string", default: "1" },
          horizon: { type: "string", default: "1" },
        },
      }).values;
    } catch (err) {
      throw new UsageError(`${(err as Error).message}; see "jepa help export"`);
    }
    const { model, part, out } = v as { model?: string; part?: string; out?: string };
    if (!model || !part || !out)
      throw new UsageError(`pass --model DIR, --part PART and --out FILE; see "jepa help export"`);
    if (!EXPORT_PARTS.includes(part as ExportPart))
      throw new UsageError(`--part must be one of ${EXPORT_PARTS.join(", ")}, got "${part}"`);
    const positive = (name: string): number => {
      const n = Number(v[name]);
      if (!Number.isInteger(n) || n < 1)
        throw new UsageError(`--${name} must be a positive integer, got "${v[name]}"`);
      return n;
    };
    const { params, run, meta, path } = loadRun(model);
    const bytes = exportWorldModelPart(params, run.model, part as ExportPart, {
      batch: positive("batch"),
      horizon: positive("horizon"),
      actionScale: run.train?.actionScale ?? 1,
      metadata: { "jepa.run_config": JSON.stringify(run), "jepa.step": String(meta.step) },
    });
    writeFileAtomic(out, bytes);
    console.log(
      `wrote ${out} (${part}, step ${meta.step} of ${path}, ${(bytes.length / 1024).toFixed(1)} KiB)`,
    );
    return 0;
  },
};
