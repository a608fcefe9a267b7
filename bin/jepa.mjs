#!/usr/bin/env node
// The `jepa` launcher: starts the CLI in a Node process whose environment carries the
// malloc settings ONNX Runtime needs (scripts/env.mjs), with TypeScript loaded by tsx.
import { spawn } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { tunedEnv } from "../scripts/env.mjs";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const main = join(root, "src", "cli", "main.ts");
const child = spawn(process.execPath, ["--import", "tsx", main, ...process.argv.slice(2)], {
  stdio: "inherit",
  env: tunedEnv(),
  cwd: process.cwd(),
});
// Ctrl-C reaches the child through the shared process group; wait for it to finish cleanly.
for (const signal of ["SIGINT", "SIGTERM"]) process.on(signal, () => {});
child.on("exit", (code, signal) => {
  if (signal) process.kill(process.pid, signal);
  else process.exit(code ?? 1);
});
