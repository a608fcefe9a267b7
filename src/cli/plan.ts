// `jepa plan`: plans episodes with a trained world model (P1 two-rooms or P2 push-t episodes)
// and writes report.json with every episode's path, success and final error.
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { writeFileAtomic } from "../engine/node.ts";
import type { P1Settings } from "../eval/index.ts";
import { optionalInteger, parseOptions } from "./args.ts";
import { type Command, UsageError } from "./command.ts";
import { type PlanSettings, planPushT, planTwoRooms } from "./planning.ts";

const ENVS = ["two-rooms", "push-t"] as const;
const PLANNERS = ["cem", "icem", "mppi", "gd"] as const;

const usage = `usage: jepa plan --model DIR --env ${ENVS.join("|")} --out DIR [--episodes N] [--planner NAME] [--seed S]

Plans evaluation episodes with the world model of DIR (a "jepa train" or "jepa demo" folder,
trained on the same env) and writes DIR/report.json.
  --env NAME       two-rooms (default): P1 episodes (start and goal in different rooms,
                   200-step budget); push-t: P2 episodes (goal pose 25 data-policy steps
                   ahead, 50-step budget, CEM 300 x 30 over 5 pusher moves)
  --planner NAME   ${PLANNERS.join(", ")} (default: the planner of the model's preset, with
                   its settings; cem without one); gd: Adam on the actions through the
                   compiled rollout's gradient (16 restarts, 30 steps per plan); push-t
                   plans with cem only
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
      planner: { type: "string" },
      seed: { type: "string" },
    });
    const env = v.env as string;
    if (!(ENVS as readonly string[]).includes(env))
      throw new UsageError(`--env ${env}: choose one of ${ENVS.join(", ")}`);
    // Unset: the model's preset planner (two-rooms), CEM (push-t).
    const planner = v.planner as string | undefined;
    if (planner !== undefined && !(PLANNERS as readonly string[]).includes(planner))
      throw new UsageError(`--planner ${planner}: choose one of ${PLANNERS.join(", ")}`);
    if (env === "push-t" && planner !== undefined && planner !== "cem")
      throw new UsageError(
        `--planner ${planner}: push-t plans with cem only (P2's CEM in src/eval/p2-push-t.ts evaluateP2); use --planner cem`,
      );
    if (!v.out) throw new UsageError(`missing --out DIR; see "jepa help plan"`);
    const episodes = optionalInteger("episodes", v.episodes, 1) ?? 10;
    const seed = optionalInteger("seed", v.seed, 0) ?? 0;
    const model = v.model as string | undefined;
    let report: { settings: object; metrics: { success: number }; ci95: { success: [number, number] } };
    let errors: string;
    if (env === "push-t") {
      const r = await planPushT(model, { episodes, seed }, "plan-push-t-cem");
      errors = `mean final block error ${r.metrics.mean_position_error.toFixed(1)} units, ${((180 / Math.PI) * r.metrics.mean_angle_error).toFixed(1)} deg`;
      // P2 plans with CEM; the report names it as the two-rooms one does.
      report = { ...r, settings: { planner: "cem", ...r.settings } };
    } else {
      const settings: PlanSettings = {
        ...(planner === undefined ? {} : { planner: planner as P1Settings["planner"] | "gd" }),
        episodes,
        seed,
      };
      const r = await planTwoRooms(model, settings, (used) => `plan-two-rooms-${used}`);
      errors = `mean final distance ${r.metrics.mean_final_distance.toFixed(1)} px`;
      report = r;
    }
    mkdirSync(v.out as string, { recursive: true });
    const file = join(v.out as string, "report.json");
    writeFileAtomic(file, `${JSON.stringify(report, null, 1)}\n`);
    const [lo, hi] = report.ci95.success;
    console.log(
      `success ${(100 * report.metrics.success).toFixed(1)}% (95% CI ${(100 * lo).toFixed(1)}-${(100 * hi).toFixed(1)}%), ${errors}\nwrote ${file}`,
    );
    return 0;
  },
};
