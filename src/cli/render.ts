// `jepa render`: one episode of a dataset as a PNG strip of frames.
import { writeFileSync } from "node:fs";
import { frameStrip } from "../data/index.ts";
import { DataError, encodePng, openDataset, readManifest } from "../data/node.ts";
import { parseOptions } from "./args.ts";
import { type Command, UsageError } from "./command.ts";

const usage = `usage: jepa render --data DIR --episode I --out FILE.png [--every K]

Writes episode I of a dataset as a PNG strip, frames left to right (every K-th frame,
default 1). Two-channel frames (two-rooms) are drawn as a red agent over grey-blue walls.`;

export const command: Command = {
  name: "render",
  summary: "render an episode of a dataset as a PNG strip",
  usage,
  async run(argv) {
    const values = parseOptions("render", argv, {
      data: { type: "string" },
      episode: { type: "string" },
      out: { type: "string" },
      every: { type: "string" },
    }) as Record<string, string | undefined>;
    const { data, out } = values;
    if (!data) throw new UsageError(`missing --data DIR; see "jepa help render"`);
    if (!out) throw new UsageError(`missing --out FILE.png; see "jepa help render"`);
    const episode = Number(values.episode);
    if (values.episode === undefined || !Number.isInteger(episode) || episode < 0) {
      throw new UsageError(`--episode must be an integer >= 0, got "${values.episode ?? ""}"`);
    }
    const every = values.every === undefined ? 1 : Number(values.every);
    if (!Number.isInteger(every) || every < 1)
      throw new UsageError(`--every must be an integer >= 1, got "${values.every}"`);
    const manifest = readManifest(data);
    if (episode >= manifest.episodes) {
      throw new UsageError(
        `--episode ${episode} is out of range: the dataset has ${manifest.episodes} episodes`,
      );
    }
    // Load only the shard holding the episode, so other shards' problems do not matter here.
    const entry = manifest.shards.find((s) => episode >= s.episodes[0] && episode < s.episodes[1]);
    if (!entry)
      throw new DataError(`${data}: episode ${episode} is in a shard not collected yet; rerun jepa collect`);
    const dataset = openDataset(data, { shards: [entry.index] });
    const view = dataset.episode(episode - entry.episodes[0]);
    const shape = dataset.info.observationShape;
    const frame = shape[0] * shape[1] * shape[2];
    const frames: Uint8Array[] = [];
    for (let t = 0; t <= dataset.info.steps; t += every)
      frames.push(view.observations.subarray(t * frame, (t + 1) * frame));
    const strip = frameStrip(frames, shape);
    writeFileSync(out, encodePng(strip.pixels, 3, strip.height, strip.width));
    console.log(`wrote ${out}: episode ${episode}, ${frames.length} frames of ${shape[1]}x${shape[2]}`);
    return 0;
  },
};
