// Browser benchmark (not a test): the web app in headless Chromium (Debian's, driven by
// playwright-core) on onnxruntime-web, as a user runs it.
//   web_collect        the Learn view's Collect at the demo size (400 two-rooms episodes of 128 steps, 64 px)
//   web_train_step     ms per training step of the demo-sized world model (the CLI's
//                      two-rooms-vicreg preset, batch 32 x 17 frames), with the page's logging
//                      and collapse monitors, from the page's own step log
//   web_train_demo     seconds from pressing Train (data collected) to the trained model: all
//                      1500 steps, or with --steps N stopped after N and extrapolated
//   web_plan_cem       ms per plan of the Plan view's CEM in latent space (its form's settings,
//                      fused graph, history kept for drawing), plans/s = 1000 / median
//   web_plan_cem_p1    the same with the CEM settings of `jepa eval --protocol p1-two-rooms`
//   web_replan         ms per replan of whole Plan-view episodes (embed the frame, CEM, the
//                      display rollout, drawing), clicked goals in fresh layouts
// Targets (issue 7): training <= 3 minutes, >= 10 plans/s.
//   npm run bench:web -- [--steps N] [--rounds R] [--plans P] [--episodes E] [--threads T]
//                        [--url URL | --dist DIR] [--json]
// --threads T opens the page as ?threads=T (WASM threads; default half the cores, at most 4).
import { parseArgs } from "node:util";
import { P1_DEFAULTS } from "../src/eval/p1-two-rooms.ts";
import { median } from "./timing.ts";
import {
  describeRuntime,
  HarnessError,
  machine,
  MemoryProbe,
  openWebApp,
  settled,
  type WebApp,
} from "./web-app.ts";

const TARGETS = { trainSeconds: 180, plansPerSecond: 10 };

const { values } = parseArgs({
  options: {
    steps: { type: "string" },
    rounds: { type: "string", default: "3" },
    plans: { type: "string", default: "10" },
    episodes: { type: "string", default: "3" },
    url: { type: "string" },
    dist: { type: "string" },
    threads: { type: "string" },
    json: { type: "boolean", default: false },
  },
});
const positive = (name: string, v: string | undefined): number | undefined => {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) {
    console.error(`bench:web: --${name} must be a positive integer, got ${v}`);
    process.exit(2);
  }
  return n;
};
const stopAfter = positive("steps", values.steps);
const rounds = positive("rounds", values.rounds)!;
const plansPerRound = positive("plans", values.plans)!;
const episodes = positive("episodes", values.episodes)!;

interface Row {
  workload: string;
  ms_median?: number;
  ms_min?: number;
  ms_max?: number;
  samples?: number;
  seconds?: number;
  [k: string]: unknown;
}
const rows: Row[] = [];
const r3 = (x: number) => Number(x.toFixed(3));
function report(row: Row, text: string): void {
  rows.push(row);
  if (values.json) console.log(JSON.stringify(row));
  else console.log(`${row.workload.padEnd(16)} ${text}`);
}
const spread = (xs: number[]) => `[${Math.min(...xs).toFixed(1)}, ${Math.max(...xs).toFixed(1)}]`;
function timingRow(workload: string, samples: number[], extra: Record<string, unknown> = {}): Row {
  return {
    workload,
    ms_median: r3(median(samples)),
    ms_min: r3(Math.min(...samples)),
    ms_max: r3(Math.max(...samples)),
    samples: samples.length,
    ...extra,
  };
}

type Jepa = {
  call: (r: unknown) => Promise<unknown>;
  logs: () => {
    step: number;
    elapsedSeconds: number;
    timing?: { batchMs: number; runMs: number; otherMs: number };
    setup?: { compileSeconds: number; monitorSeconds: number };
  }[];
};

async function train(app: WebApp): Promise<void> {
  const { page } = app;
  // The Learn view's defaults: two-rooms with a random wall, the demo size (the CLI preset).
  await page.selectOption("#env", "two-rooms");
  await page.selectOption("#size-preset", "demo");
  const demoSteps = Number(await page.inputValue("#steps"));
  const size = await page.inputValue("#image-size");
  const episodesCollected = await page.inputValue("#episodes");
  const t0 = performance.now();
  await page.click("#collect");
  await settled(page, "collected", 600_000);
  const collectSeconds = (performance.now() - t0) / 1000;
  report(
    { workload: "web_collect", seconds: r3(collectSeconds), episodes: Number(episodesCollected) },
    `${collectSeconds.toFixed(1)} s (${episodesCollected} episodes at ${size} px)`,
  );

  const t1 = performance.now();
  await page.click("#train");
  if (stopAfter !== undefined && stopAfter < demoSteps) {
    await page.waitForFunction(
      (n) => {
        const logs = (window as unknown as { jepa: Jepa }).jepa.logs();
        return (logs.length > 0 && logs[logs.length - 1].step >= n) || !document.body.dataset.busy;
      },
      stopAfter,
      { timeout: 3_600_000, polling: 200 },
    );
    await page.click("#stop");
  }
  await settled(page, "trained", 3_600_000);
  const trainWall = (performance.now() - t1) / 1000;
  const logs = await page.evaluate(() => (window as unknown as { jepa: Jepa }).jepa.logs());
  if (logs.length < 3)
    throw new HarnessError(
      `too few training logs (${logs.length}, one per ${logs[1]?.step ?? "?"} steps) to time steps: use a larger --steps`,
    );
  const last = logs[logs.length - 1];
  // Per-step time in each logging interval; the first interval also holds the first monitor.
  const perStep: number[] = [];
  for (let i = 1; i < logs.length; i++)
    perStep.push(
      (1000 * (logs[i].elapsedSeconds - logs[i - 1].elapsedSeconds)) / (logs[i].step - logs[i - 1].step),
    );
  const meanStepSeconds = (last.elapsedSeconds - logs[0].elapsedSeconds) / (last.step - logs[0].step);
  // Outside the timed intervals: compiling the step and the first monitor, the steps up to the
  // first log (the first runs are the slowest: ONNX Runtime plans its memory), the final probe.
  const setupSeconds = trainWall - last.elapsedSeconds + logs[0].elapsedSeconds;
  // The worker's own split of each interval (ms per step): batch, graph run, the rest.
  const split = (k: "batchMs" | "runMs" | "otherMs") => {
    const xs = logs.slice(1).flatMap((l) => (l.timing ? [l.timing[k]] : []));
    return xs.length ? r3(median(xs)) : undefined;
  };
  const parts = { batch_ms: split("batchMs"), run_ms: split("runMs"), other_ms: split("otherMs") };
  report(
    timingRow("web_train_step", perStep, {
      steps: last.step,
      logEvery: logs[1].step - logs[0].step,
      ...parts,
    }),
    `${median(perStep).toFixed(1)} ms ${spread(perStep)} per step (${last.step} steps, per-step time of each ${logs[1].step - logs[0].step}-step log interval; mean ${(1000 * meanStepSeconds).toFixed(1)} ms; medians in the worker: batch ${parts.batch_ms?.toFixed(1)} ms, graph run ${parts.run_ms?.toFixed(1)} ms, rest ${parts.other_ms?.toFixed(1)} ms)`,
  );
  const measured = last.step >= demoSteps;
  const trainSeconds = measured ? trainWall : setupSeconds + meanStepSeconds * (demoSteps - logs[0].step);
  const total = trainSeconds + collectSeconds;
  report(
    {
      workload: "web_train_demo",
      seconds: r3(trainSeconds),
      with_collect_seconds: r3(total),
      measured,
      steps_run: last.step,
      steps: demoSteps,
      setup_seconds: r3(setupSeconds),
      compile_seconds: last.setup ? r3(last.setup.compileSeconds) : undefined,
      first_monitor_seconds: last.setup ? r3(last.setup.monitorSeconds) : undefined,
      first_steps_seconds: r3(logs[0].elapsedSeconds - (last.setup?.monitorSeconds ?? 0)),
      target_seconds: TARGETS.trainSeconds,
      meets_target: total <= TARGETS.trainSeconds,
    },
    `${trainSeconds.toFixed(0)} s to train ${demoSteps} steps (${total.toFixed(0)} s with collection; ${
      measured
        ? "measured"
        : `estimated from ${last.step} steps: ${setupSeconds.toFixed(0)} s for set-up${last.setup ? ` (compile ${last.setup.compileSeconds.toFixed(1)} s, first monitor ${last.setup.monitorSeconds.toFixed(1)} s)` : ""}, the first ${logs[0].step} steps and the final probe + ${demoSteps - logs[0].step} x mean step`
    })  target <= ${TARGETS.trainSeconds} s: ${total <= TARGETS.trainSeconds ? "met" : "NOT met"}`,
  );
}

interface PlanSettings {
  horizon: number;
  population: number;
  iterations: number;
  elites: number;
  executeSteps: number;
  budget: number;
}

async function pagePlanSettings(app: WebApp): Promise<PlanSettings> {
  const n = async (id: string) => Number(await app.page.inputValue(`#${id}`));
  return {
    horizon: await n("horizon"),
    population: await n("population"),
    iterations: await n("iterations"),
    elites: await n("elites"),
    executeSteps: await n("execute"),
    budget: await n("budget"),
  };
}

async function cemPlans(app: WebApp, plan: PlanSettings, nRounds: number): Promise<number[]> {
  const samples: number[] = [];
  for (let r = 0; r < nRounds; r++) {
    const res = (await app.page.evaluate(
      ([plan, repeats]) =>
        (window as unknown as { jepa: Jepa }).jepa.call({
          type: "bench-plan",
          plan,
          repeats,
          keepHistory: true,
          fused: true,
        }),
      [plan, plansPerRound] as const,
    )) as { planMs: number[] };
    samples.push(...res.planMs);
  }
  return samples;
}

const describePlan = (p: PlanSettings) =>
  `horizon ${p.horizon}, population ${p.population}, ${p.iterations} iterations, ${p.elites} elites`;

async function plans(app: WebApp): Promise<void> {
  const { page } = app;
  const settings = await pagePlanSettings(app);
  const cem = await cemPlans(app, settings, rounds);
  const rate = 1000 / median(cem);
  report(
    timingRow("web_plan_cem", cem, {
      plans_per_second: r3(rate),
      settings,
      target_plans_per_second: TARGETS.plansPerSecond,
      meets_target: rate >= TARGETS.plansPerSecond,
    }),
    `${median(cem).toFixed(1)} ms ${spread(cem)} per plan = ${rate.toFixed(1)} plans/s (the Plan view's CEM: ${describePlan(settings)}; ${rounds} x ${plansPerRound})  target >= ${TARGETS.plansPerSecond}: ${rate >= TARGETS.plansPerSecond ? "met" : "NOT met"}`,
  );
  const p1 = { ...settings, ...pick(P1_DEFAULTS) };
  const cemP1 = await cemPlans(app, p1, 1);
  report(
    timingRow("web_plan_cem_p1", cemP1, { plans_per_second: r3(1000 / median(cemP1)), settings: p1 }),
    `${median(cemP1).toFixed(1)} ms ${spread(cemP1)} per plan = ${(1000 / median(cemP1)).toFixed(1)} plans/s (P1's CEM: ${describePlan(p1)})`,
  );

  // Whole episodes in the Plan view: a fresh layout each, the goal clicked 12 px (at 64 px) away.
  await page.click('nav button[data-view="plan"]');
  const perReplan: number[] = [];
  const pageRates: number[] = [];
  let wins = 0;
  let planned = 0;
  for (let e = 0; e < episodes; e++) {
    if (e > 0) {
      await page.evaluate(() => {
        delete document.body.dataset.agent;
      });
      await page.click("#new-scene");
    }
    await page.waitForFunction(
      () => document.body.dataset.agent !== undefined && !document.body.dataset.busy,
      null,
      { timeout: 60_000 },
    );
    const r = await page.evaluate(async (plan) => {
      const jepa = (window as unknown as { jepa: Jepa }).jepa;
      const [ax, ay] = document.body.dataset.agent!.split(",").map(Number);
      const size = Number(document.body.dataset.imageSize);
      // (No named functions in here: tsx would wrap them in a helper the page does not have.)
      const d = (12 * size) / 64;
      for (const [dx, dy] of [
        [d, 0],
        [-d, 0],
        [0, d],
        [0, -d],
        [d, d],
        [-d, -d],
        [d / 2, 0],
        [-d / 2, 0],
      ]) {
        const goal = [Math.min(size - 3, Math.max(3, ax + dx)), Math.min(size - 3, Math.max(3, ay + dy))];
        const t = performance.now();
        try {
          const reply = (await jepa.call({ type: "plan", goal, plan, perturbation: {} })) as {
            plans: number;
            plansPerSecond: number;
            success: boolean;
          };
          return { ...reply, seconds: (performance.now() - t) / 1000 };
        } catch (err) {
          if (!/inside a wall/.test((err as Error).message)) throw err;
        }
      }
      return undefined;
    }, settings);
    if (!r || r.plans === 0) continue;
    planned++;
    wins += r.success ? 1 : 0;
    perReplan.push((1000 * r.seconds) / r.plans);
    pageRates.push(r.plansPerSecond);
  }
  if (perReplan.length === 0)
    throw new HarnessError("no Plan-view episode planned (every goal was in a wall)");
  report(
    timingRow("web_replan", perReplan, {
      replans_per_second: r3(1000 / median(perReplan)),
      page_plans_per_second_median: r3(median(pageRates)),
      episodes: planned,
      successes: wins,
    }),
    `${median(perReplan).toFixed(1)} ms ${spread(perReplan)} per replan (mean of each of ${planned} Plan-view episodes; the page's own CEM-only rate ${median(pageRates).toFixed(1)} plans/s; ${wins}/${planned} reached the goal)`,
  );
}

function pick(p: typeof P1_DEFAULTS) {
  return { horizon: p.horizon, population: p.population, iterations: p.iterations, elites: p.elites };
}

let app: WebApp | undefined;
try {
  const threads = positive("threads", values.threads);
  app = await openWebApp({
    url: values.url,
    dist: values.dist,
    query: threads === undefined ? undefined : `threads=${threads}`,
  });
  const header = {
    workload: "web_setup",
    runtime: app.runtime,
    chromium: app.chromiumVersion,
    machine: machine(),
    app: app.source,
    date: new Date().toISOString(),
  };
  if (values.json) console.log(JSON.stringify(header));
  else {
    console.log(`web app in headless Chromium ${app.chromiumVersion} (${app.source})`);
    console.log(describeRuntime(app.runtime));
    console.log(`machine: ${machine()}`);
  }
  await train(app);
  await plans(app);
  const memory = await (await MemoryProbe.attach(app)).sample();
  report(
    { workload: "web_memory", ...memory },
    `after the run: Chromium RSS ${memory.rssTotalMB.toFixed(0)} MB (largest renderer ${memory.rendererRssMB.toFixed(0)} MB), worker JS heap ${memory.workerHeapMB.toFixed(1)} MB, page JS heap ${memory.pageHeapMB.toFixed(1)} MB`,
  );
  if (app.errors.length) throw new HarnessError(`the page reported errors: ${app.errors.join("; ")}`);
  if (!values.json) console.log(`machine at the end: ${machine()}`);
} catch (err) {
  const message = err instanceof HarnessError ? err.message : (err as Error).stack;
  console.error(`bench:web: ${message}`);
  process.exitCode = 1;
} finally {
  await app?.close();
}
