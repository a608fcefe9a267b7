// `jepa plan`: plans episodes with a trained world model (P1 two-rooms episodes) and writes
// report.json with every episode's path, success and final distance.
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { writeFileAtomic } from "../engine/node.ts";
import type { P1Settings } from "../eval/index.ts";
import { optionalInteger, parseOptions } from "./args.ts";
import { type Command, UsageError } from "./command.ts";
import { type PlanSettings, planTwoRooms } from "./planning.ts";

const PLANNERS = ["cem", "icem", "mppi", "gd"] as const;

const usage = `usage: jepa plan --model DIR --env two-rooms --out DIR [--episodes N] [--planner NAME] [--seed S]

Plans P1 evaluation episodes (start and goal in different rooms, 200-step budget) with the
world model of DIR (a "jepa train" or "jepa demo" folder) and writes DIR/report.json.
  --planner NAME   ${PLANNERS.join(", ")} (default cem); gd: Adam on the actions through the
                   compiled rollout's gradient (16 restarts, 30 steps per plan)
  --episodes N     default 10
  --seed S         episode seed (default 0)`;

export const command: Command = {
  name: "plan",
  summary: "plan episodes with a trained world model and report success",
  usage,
  async run(argv) {
    const v = parseOptions("plan", argv, {
      model: { type: "string" },
      env: { type: "string", default: "two-rooms" },
      out: { type: "string" },
      episodes: { type: "string" },
      planner: { type: "string", default: "cem" },
      seed: { type: "string" },
    });
    if (v.env !== "two-rooms")
      throw new UsageError(`--env ${v.env}: only two-rooms planning is wired to this command yet`);
    const planner = v.planner as string;
    if (!(PLANNERS as readonly string[]).includes(planner))
      throw new UsageError(`--planner ${planner}: choose one of ${PLANNERS.join(", ")}`);
    if (!v.out) throw new UsageError(`missing --out DIR; see "jepa help plan"`);
    const settings: PlanSettings = {
      planner: planner as P1Settings["planner"] | "gd",
      episodes: optionalInteger("episodes", v.episodes, 1) ?? 10,
      seed: optionalInteger("seed", v.seed, 0) ?? 0,
    };
    const report = await planTwoRooms(v.model as string | undefined, settings, `plan-two-rooms-${planner}`);
    mkdirSync(v.out as string, { recursive: true });
    const file = join(v.out as string, "report.json");
    writeFileAtomic(file, `${JSON.stringify(report, null, 1)}\n`);
    const [lo, hi] = report.ci95.success;
    console.log(
      `success ${(100 * report.metrics.success).toFixed(1)}% (95% CI ${(100 * lo).toFixed(1)}-${(100 * hi).toFixed(1)}%), mean final distance ${report.metrics.mean_final_distance.toFixed(1)} px\nwrote ${file}`,
    );
    return 0;
  },
};
