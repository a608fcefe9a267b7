// Browser benchmark (not part of the test suite): the demo-sized two-rooms world model
// (preset two-rooms-vicreg: 64 px, 1000 episodes, batch 32 x 17 frames, 1500 steps) trained
// in the web app in headless Chromium on onnxruntime-web (WASM threads), and the app's
// planner in plans per second. Targets (issue 7): training <= 3 minutes, >= 10 plans/s.
//   node --import tsx bench/web-bench.ts [--steps N] [--full]
// By default it times N = 40 steps after collection and extrapolates to 1500 (the steady
// per-step time times 1500, plus collection and compilation); --full trains all 1500 steps.
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { serveStatic } from "../web/serve-static.ts";

const { values } = parseArgs({
  options: { steps: { type: "string", default: "40" }, full: { type: "boolean", default: false } },
});
const DEMO_STEPS = 1500;
const steps = values.full ? DEMO_STEPS : Number(values.steps);
const CHROMIUM = ["/usr/bin/chromium", "/usr/bin/chromium-browser"].find((p) => existsSync(p));
if (!CHROMIUM) throw new Error("Chromium not found; apt-get install chromium");

const root = join(import.meta.dirname, "..");
const out = mkdtempSync(join(tmpdir(), "jepa-web-bench-"));
const { build } = await import("vite");
await build({ configFile: join(root, "web", "vite.config.ts"), logLevel: "error", build: { outDir: out } });
const { server, url } = await serveStatic(out);
const { chromium } = await import("playwright-core");
const browser = await chromium.launch({
  executablePath: CHROMIUM,
  args: [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
  ],
});
try {
  const page = await browser.newPage();
  page.on("pageerror", (e) => console.error(`page error: ${e.message}`));
  await page.goto(url);
  await page.waitForFunction(() => document.body.dataset.ep !== undefined, null, { timeout: 60_000 });
  const ep = await page.textContent("#ep");
  const result = await page.evaluate(
    async ({ steps }) => {
      type Call = (r: unknown) => Promise<unknown>;
      const jepa = (window as unknown as { jepa: { call: Call; logs: () => { elapsedSeconds: number }[] } })
        .jepa;
      const settings = {
        regularizer: "vicreg",
        fixedWall: false,
        imageSize: 64,
        episodes: 1000,
        steps,
        batch: 32,
        clipLength: 17,
        lr: 1e-3,
      };
      const t0 = performance.now();
      const collected = (await jepa.call({ type: "collect", settings })) as { seconds: number };
      const t1 = performance.now();
      await jepa.call({ type: "train", settings, logEvery: 1, monitorEvery: 100 });
      const trainSeconds = (performance.now() - t1) / 1000;
      const logs = jepa.logs();
      const warm = Math.min(10, logs.length - 2);
      const stepSeconds =
        (logs[logs.length - 1].elapsedSeconds - logs[warm].elapsedSeconds) / (logs.length - 1 - warm);
      const p1 = { horizon: 40, population: 200, iterations: 10, elites: 20, executeSteps: 10, budget: 200 };
      const app = { horizon: 20, population: 200, iterations: 6, elites: 20, executeSteps: 5, budget: 100 };
      const plan = async (plan: typeof p1, keepHistory: boolean, fused: boolean) =>
        (await jepa.call({ type: "bench-plan", plan, repeats: 20, keepHistory, fused })) as {
          plansPerSecond: number;
        };
      return {
        collectSeconds: collected.seconds,
        collectWallSeconds: (t1 - t0) / 1000,
        trainSeconds,
        stepSeconds,
        setupSeconds: trainSeconds - logs[logs.length - 1].elapsedSeconds,
        plansPerSecondP1Fused: (await plan(p1, false, true)).plansPerSecond,
        plansPerSecondP1: (await plan(p1, false, false)).plansPerSecond,
        plansPerSecondApp: (await plan(app, true, false)).plansPerSecond,
      };
    },
    { steps },
  );
  const estimate = result.collectSeconds + result.setupSeconds + result.stepSeconds * DEMO_STEPS;
  console.log(
    JSON.stringify(
      {
        workload: "web_train_two_rooms_demo",
        executionProvider: ep,
        stepsTimed: steps,
        ...result,
        demoTrainSecondsEstimate: estimate,
        targets: { demoTrainSeconds: 180, plansPerSecond: 10 },
      },
      null,
      1,
    ),
  );
} finally {
  await browser.close();
  server.close();
  rmSync(out, { recursive: true, force: true });
}
