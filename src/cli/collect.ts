// `jepa collect`: seeded offline data collection to a dataset folder, with a progress bar.
import { collect } from "../data/node.ts";
import { ENV_NAMES, makeEnv, POLICY_NAMES } from "../envs/index.ts";
import { parseOptions, requiredInteger } from "./args.ts";
import { type Command, UsageError } from "./command.ts";
import { progress } from "./progress.ts";

const usage = `usage: jepa collect --env NAME --episodes N --steps T --seed S --out DIR [options]

Collects N episodes of T steps (T + 1 frames) with a seeded data policy into DIR:
manifest.json plus shards of observations, actions and states. Rerunning the same
command resumes: finished shards are kept, the rest are collected.

  --env NAME            ${ENV_NAMES.join(", ")}
  --episodes N          number of episodes
  --steps T             actions per episode (P1 two-rooms clips: 16)
  --seed S              collection seed (episode i depends only on S and i)
  --out DIR             dataset folder
  --workers K           worker threads (default 1); the bytes do not depend on K
  --policy NAME         ${POLICY_NAMES.join(", ")} (default explore)
  --size PX             image side (default 64)
  --options JSON        more env options, e.g. '{"fixedWall":true}'
  --shard-episodes N    episodes per shard (default: ~8 MB shards)`;

const integer = (name: string, value: string | undefined, min: number): number =>
  requiredInteger("collect", name, value, min);

export const command: Command = {
  name: "collect",
  summary: "collect a seeded offline dataset from an environment",
  usage,
  async run(argv) {
    const values = parseOptions("collect", argv, {
      env: { type: "string" },
      episodes: { type: "string" },
      steps: { type: "string" },
      seed: { type: "string" },
      out: { type: "string" },
      workers: { type: "string" },
      policy: { type: "string" },
      size: { type: "string" },
      options: { type: "string" },
      "shard-episodes": { type: "string" },
    }) as Record<string, string | undefined>;
    const env = values.env;
    if (!env) throw new UsageError(`missing --env; one of ${ENV_NAMES.join(", ")}`);
    if (!(ENV_NAMES as string[]).includes(env))
      throw new UsageError(`unknown env "${env}"; one of ${ENV_NAMES.join(", ")}`);
    const policy = values.policy ?? "explore";
    if (!(POLICY_NAMES as readonly string[]).includes(policy)) {
      throw new UsageError(`unknown policy "${policy}"; one of ${POLICY_NAMES.join(", ")}`);
    }
    const episodes = integer("episodes", values.episodes, 1);
    const steps = integer("steps", values.steps, 1);
    const seed = integer("seed", values.seed, 0);
    const workers = values.workers === undefined ? 1 : integer("workers", values.workers, 1);
    const shardEpisodes =
      values["shard-episodes"] === undefined
        ? undefined
        : integer("shard-episodes", values["shard-episodes"], 1);
    const out = values.out;
    if (!out) throw new UsageError(`missing --out DIR; see "jepa help collect"`);
    let envOptions: Record<string, unknown> = {};
    if (values.options !== undefined) {
      try {
        envOptions = JSON.parse(values.options);
      } catch {
        throw new UsageError(`--options must be a JSON object, got ${values.options}`);
      }
      if (typeof envOptions !== "object" || envOptions === null || Array.isArray(envOptions)) {
        throw new UsageError(`--options must be a JSON object, got ${values.options}`);
      }
    }
    if (values.size !== undefined) envOptions = { ...envOptions, size: integer("size", values.size, 16) };
    try {
      makeEnv(env, envOptions); // checks the options before any file is written
    } catch (err) {
      throw new UsageError((err as Error).message);
    }
    const framesPerEpisode = steps + 1;
    const bar = progress("collect", episodes, { unit: "episodes" });
    const start = performance.now();
    let first = -1;
    const result = await collect(env, envOptions, policy, {
      episodes,
      steps,
      seed,
      workers,
      out,
      shardEpisodes,
      onProgress: (done) => {
        if (first < 0) first = done; // resumed episodes do not count towards the rate
        const seconds = (performance.now() - start) / 1000;
        const fps = ((done - first) * framesPerEpisode) / Math.max(seconds, 1e-9);
        bar.update(done, `${fps.toFixed(0)} frames/s`);
      },
    });
    const seconds = bar.finish();
    const collected = (episodes - first) * framesPerEpisode;
    console.log(
      `collected ${result.collectedShards} shard(s), kept ${result.resumedShards}; ${episodes} episodes x ${framesPerEpisode} frames in ${out} (${(collected / Math.max(seconds, 1e-9)).toFixed(0)} frames/s)`,
    );
    return 0;
  },
};
