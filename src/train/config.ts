// The run config of `jepa train` (a preset, or a JSON file in the same shape), checked before
// any work starts. Every problem is one line naming the field path and the fix:
//   config.train.batch: expected a number >= 2, got 1
// Checks, in order: the schema (strict: unknown keys are errors), then shapes that depend on
// each other (clip length against episode length) and on the environment (observation shape).
import { z } from "zod";
import { ENV_NAMES, makeEnv, POLICY_NAMES } from "../envs/index.ts";
import type { WorldModelPreset } from "./presets.ts";

/** A run config that failed validation; the message is one line naming the field. */
export class ConfigError extends Error {
  override name = "ConfigError";
}

const int = (min: number) => z.number().int().min(min);
const positive = z.number().positive();

const encoderSchema = z.discriminatedUnion("kind", [
  z.strictObject({
    kind: z.literal("conv"),
    channels: z.array(int(1)).min(1).optional(),
    norm: z.boolean().optional(),
    pool: int(1).optional(),
  }),
  z.strictObject({
    kind: z.literal("impala"),
    channels: z.array(int(1)).min(1).optional(),
    blocksPerStage: int(1).optional(),
    pool: int(1).optional(),
  }),
  z.strictObject({ kind: z.literal("mlp"), hidden: z.array(int(1)), pool: int(1).optional() }),
  z.strictObject({
    kind: z.literal("keypoint"),
    channels: z.array(int(1)).min(1),
    strides: z.array(int(1)).min(1).optional(),
    hidden: z.array(int(1)),
    pool: int(1).optional(),
  }),
]);

const predictorSchema = z.discriminatedUnion("kind", [
  z.strictObject({ kind: z.literal("mlp"), hidden: int(1), layers: int(1).optional() }),
  z.strictObject({ kind: z.literal("gru") }),
]);

/** The schema of a run config (the JSON shape of a WorldModelPreset). */
export const runConfigSchema = z.strictObject({
  name: z.string().min(1).optional(),
  description: z.string().optional(),
  env: z.strictObject({
    name: z.enum(ENV_NAMES as [string, ...string[]]),
    options: z.record(z.string(), z.unknown()),
  }),
  data: z.strictObject({
    episodes: int(1),
    steps: int(1),
    seed: int(0),
    policy: z.enum(POLICY_NAMES),
  }),
  model: z.strictObject({
    observation: z.tuple([int(1), int(1), int(1)]),
    actionDim: int(1),
    embedDim: int(1),
    encoder: encoderSchema,
    predictor: predictorSchema,
    inverseDynamicsHidden: int(0).optional(),
    inverseDynamicsLinear: z.boolean().optional(),
  }),
  loss: z.strictObject({
    regularizer: z.enum(["vicreg", "sigreg"]),
    variance: z.number().min(0).optional(),
    covariance: z.number().min(0).optional(),
    sigreg: z.number().min(0).optional(),
    timeSimilarity: z.number().min(0).optional(),
    inverseDynamics: z.number().min(0).optional(),
    distance: z.enum(["l1", "l2"]).optional(),
    numSlices: int(1).optional(),
    layoutDims: int(0).optional(),
    layoutInvariance: z.number().min(0).optional(),
  }),
  plan: z
    .strictObject({
      planner: z.enum(["cem", "mppi", "icem"]).optional(),
      horizon: int(1).optional(),
      population: int(2).optional(),
      iterations: int(1).optional(),
      elites: int(1).optional(),
      executeSteps: int(1).optional(),
      temperature: positive.optional(),
      noiseStd: positive.optional(),
      maxStep: positive.optional(),
      accumulate: z.enum(["final", "sum"]).optional(),
    })
    .optional(),
  train: z.strictObject({
    steps: int(1),
    batch: int(2),
    clipLength: int(2),
    lr: positive,
    warmupSteps: int(0),
    weightDecay: z.number().min(0),
    seed: int(0),
    actionScale: positive.optional(),
    clipsPerEpisode: int(1).optional(),
  }),
});

export type RunConfig = z.infer<typeof runConfigSchema>;

const describe = (v: unknown): string =>
  v === undefined ? "nothing" : Array.isArray(v) ? `[${v.map(describe).join(", ")}]` : JSON.stringify(v);

function at(json: unknown, path: PropertyKey[]): unknown {
  let v = json;
  for (const k of path)
    v = v !== null && typeof v === "object" ? (v as Record<PropertyKey, unknown>)[k] : undefined;
  return v;
}

/** The keys an object schema accepts at `path` (following the value's `kind` through unions). */
function knownKeys(json: unknown, path: PropertyKey[]): string[] {
  // biome-ignore lint/suspicious/noExplicitAny: walking zod's internal definitions
  let s: any = runConfigSchema;
  for (let i = 0; i <= path.length; i++) {
    while (s?.def?.type === "optional") s = s.def.innerType;
    if (s?.def?.type === "union") {
      const kind = (at(json, path.slice(0, i)) as { kind?: unknown })?.kind;
      s = s.def.options.find((o: { shape: { kind: { def: { values: unknown[] } } } }) =>
        o.shape.kind.def.values.includes(kind),
      );
    }
    if (i === path.length) break;
    s = s?.shape?.[path[i] as string];
  }
  return s?.shape ? Object.keys(s.shape) : [];
}

/** One zod issue as `config.a.b: what was expected, got what; the fix`. */
function formatIssue(issue: z.core.$ZodIssue, json: unknown): string {
  const field = ["config", ...issue.path.map(String)].join(".");
  const got = describe(at(json, issue.path));
  switch (issue.code) {
    case "invalid_type":
      return `${field}: expected ${issue.expected === "int" ? "an integer" : `a ${issue.expected}`}, got ${got}`;
    case "too_small":
      if (issue.origin === "array") return `${field}: expected at least ${issue.minimum} items, got ${got}`;
      if (issue.origin === "string") return `${field}: must not be empty`;
      return `${field}: expected a number ${issue.inclusive === false ? ">" : ">="} ${issue.minimum}, got ${got}`;
    case "too_big":
      return `${field}: expected ${issue.origin === "array" ? "at most" : "a number <="} ${issue.maximum}${issue.origin === "array" ? " items" : ""}, got ${got}`;
    case "invalid_value":
      return `${field}: expected one of ${issue.values.map((v) => JSON.stringify(v)).join(", ")}, got ${got}`;
    case "unrecognized_keys": {
      const known = knownKeys(json, issue.path);
      return `${field}: unknown key${issue.keys.length > 1 ? "s" : ""} ${issue.keys.map((k) => `"${k}"`).join(", ")}; remove ${issue.keys.length > 1 ? "them" : "it"}${known.length ? ` (known keys: ${known.join(", ")})` : ""}`;
    }
    case "invalid_union": {
      // A discriminated union reports at its `kind` (zod 4) or at the object itself.
      const path = issue.path.at(-1) === "kind" ? issue.path : [...issue.path, "kind"];
      const which = path.at(-2) === "encoder" ? '"conv", "impala", "mlp" or "keypoint"' : '"mlp" or "gru"';
      return `${["config", ...path.map(String)].join(".")}: unknown kind ${describe(at(json, path))}; expected ${which}`;
    }
    default:
      return `${field}: ${issue.message}`;
  }
}

/** Shapes that depend on each other and on the environment (after the schema passed). */
function checkShapes(c: RunConfig): string | undefined {
  const { train, data, model, env } = c;
  const k = train.clipsPerEpisode ?? 1;
  if (train.batch % k !== 0) {
    return `config.train.clipsPerEpisode: ${k} must divide train.batch ${train.batch}; use a divisor of ${train.batch}`;
  }
  if (train.clipLength > data.steps + 1) {
    return `config.train.clipLength: ${train.clipLength} exceeds the ${data.steps + 1} frames of an episode (data.steps + 1); use clipLength <= ${data.steps + 1} or raise data.steps`;
  }
  if (train.warmupSteps >= train.steps) {
    return `config.train.warmupSteps: ${train.warmupSteps} must be below train.steps (${train.steps}); lower it`;
  }
  const [, h, w] = model.observation;
  if (h !== w)
    return `config.model.observation: encoders take square images, got [${model.observation}]; use H = W`;
  let made: ReturnType<typeof makeEnv>;
  try {
    made = makeEnv(env.name, env.options);
  } catch (err) {
    return `config.env.options: ${(err as Error).message}`;
  }
  const shape = made.observationSpace.shape;
  if (shape.join(",") !== model.observation.join(",")) {
    return `config.model.observation: [${model.observation}] does not match the ${env.name} env's observations [${shape}]; set it to [${shape}]`;
  }
  const actionDim = made.actionSpace.shape[0];
  if (model.actionDim !== actionDim) {
    return `config.model.actionDim: ${model.actionDim} does not match the ${env.name} env's ${actionDim}-d actions; set it to ${actionDim}`;
  }
  return undefined;
}

/**
 * Validates a run config (parsed JSON). Returns it typed as a preset, or throws a one-line
 * ConfigError naming the field and the fix, before any work starts.
 */
export function validateRunConfig(json: unknown): WorldModelPreset {
  if (json === null || typeof json !== "object" || Array.isArray(json))
    throw new ConfigError(
      `config: expected a JSON object with env, data, model, loss, train, got ${describe(json)}`,
    );
  const parsed = runConfigSchema.safeParse(json);
  if (!parsed.success) throw new ConfigError(formatIssue(parsed.error.issues[0], json));
  const problem = checkShapes(parsed.data);
  if (problem) throw new ConfigError(problem);
  const c = parsed.data;
  return { name: c.name ?? "custom", description: c.description ?? "", ...c } as WorldModelPreset;
}
