// `npm run bench`: starts bench/main.ts with the process settings ONNX Runtime needs.
import { spawnSync } from "node:child_process";
import { tunedEnv } from "../scripts/env.mjs";

const r = spawnSync(process.execPath, ["--import", "tsx", "bench/main.ts", ...process.argv.slice(2)], {
  stdio: "inherit",
  env: tunedEnv(),
});
process.exit(r.status ?? 1);
