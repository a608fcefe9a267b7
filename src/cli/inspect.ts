// `jepa inspect`: prints a dataset's manifest summary and validates every shard.
import { parseArgs } from "node:util";
import { validateDataset } from "../data/node.ts";
import { type Command, UsageError } from "./command.ts";

const usage = `usage: jepa inspect --data DIR

Prints the manifest summary of a dataset folder and checks every shard (present, size,
sha256). Exits 2 with one line per problem if anything is wrong.`;

export const command: Command = {
  name: "inspect",
  summary: "summarise and validate a dataset folder",
  usage,
  async run(argv) {
    let data: string | undefined;
    try {
      data = parseArgs({ args: argv, strict: true, options: { data: { type: "string" } } }).values.data;
    } catch (err) {
      throw new UsageError(`${(err as Error).message}; see "jepa help inspect"`);
    }
    if (!data) throw new UsageError(`missing --data DIR; see "jepa help inspect"`);
    const { manifest: m, problems, goodShards } = validateDataset(data);
    const total = Math.ceil(m.episodes / m.shardEpisodes);
    const bytes = m.shards.reduce((a, s) => a + s.bytes, 0);
    const field = (name: keyof typeof m.fields) =>
      `${m.fields[name].dtype} [E, ${m.fields[name].shape.join(", ")}]`;
    console.log(
      [
        `dataset      ${data}`,
        `env          ${m.env.name} ${JSON.stringify(m.env.options)}`,
        `policy       ${m.policy}, seed ${m.seed}`,
        `episodes     ${m.episodes} x ${m.steps} steps (${m.steps + 1} frames)`,
        `observations ${field("observations")}`,
        `actions      ${field("actions")}`,
        `states       ${field("states")}: ${m.stateNames.join(", ")}`,
        `shards       ${m.shards.length} of ${total} listed, ${goodShards.length} valid, ${(bytes / 2 ** 20).toFixed(1)} MiB${m.complete ? "" : " (incomplete: rerun jepa collect to finish)"}`,
      ].join("\n"),
    );
    for (const p of problems) console.error(`jepa: ${p}`);
    return problems.length === 0 ? 0 : 2;
  },
};
