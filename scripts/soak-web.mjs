// Memory soak of the web app (a script, not CI): repeated collect / train / plan / perturb
// cycles in headless Chromium (Debian's, through playwright-core), driven through the page's
// own controls, with memory sampled after every cycle (garbage collected first): the page's
// and the compute worker's JS heaps over CDP and the RSS / PSS of all Chromium processes.
// Writes soak.csv and soak.json and ends with a verdict: memory is flat when the slope of a
// least-squares line over the second half of the run stays under a threshold for each of
// the worker heap, the page heap and the total RSS (the first half holds warm-up: compiled
// graphs, ONNX Runtime's WASM memory growing to its high-water mark).
//   node scripts/soak-web.mjs [--minutes 60] [--steps 100] [--out DIR]
//        [--max-heap-slope 5] [--max-rss-slope 25] [--url URL | --dist DIR]
// Exit status: 0 flat, 1 not flat or failed, 3 inconclusive (too few cycles to judge).
import { appendFileSync, mkdirSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { register } from "tsx/esm/api";

register();
const { describeRuntime, HarnessError, machine, MemoryProbe, openWebApp, settled } = await import(
  "../bench/web-app.ts"
);

const fail = (message) => {
  console.error(`soak-web: ${message}`);
  process.exit(2);
};
let values;
try {
  ({ values } = parseArgs({
    options: {
      minutes: { type: "string", default: "60" },
      steps: { type: "string", default: "100" },
      out: { type: "string" },
      "max-heap-slope": { type: "string", default: "5" },
      "max-rss-slope": { type: "string", default: "25" },
      url: { type: "string" },
      dist: { type: "string" },
    },
  }));
} catch (err) {
  fail(err.message);
}
const number = (name, min) => {
  const v = Number(values[name]);
  if (!Number.isFinite(v) || v < min) fail(`--${name} must be a number >= ${min}, got ${values[name]}`);
  return v;
};
const minutes = number("minutes", 0.1);
const steps = Math.round(number("steps", 1));
const maxHeapSlope = number("max-heap-slope", 0);
const maxRssSlope = number("max-rss-slope", 0);
const stamp = new Date().toISOString().replace(/[:.]/g, "-").slice(0, 19);
const out = resolve(values.out ?? join("runs", "soak-web", stamp));
mkdirSync(out, { recursive: true });

/** The judged series, their threshold in MB per hour, and the ones only reported. */
const JUDGED = { workerHeapMB: maxHeapSlope, pageHeapMB: maxHeapSlope, rssTotalMB: maxRssSlope };
const COLUMNS = [
  "cycle",
  "minutes",
  "cycleSeconds",
  "trainSeconds",
  "planSeconds",
  "plans",
  "workerHeapMB",
  "workerBackingMB",
  "pageHeapMB",
  "rendererRssMB",
  "rssTotalMB",
  "pssTotalMB",
];
const csv = join(out, "soak.csv");
writeFileSync(csv, `${COLUMNS.join(",")}\n`);

/** Least-squares slope of y on x. */
function slope(xs, ys) {
  const n = xs.length;
  const mx = xs.reduce((a, b) => a + b, 0) / n;
  const my = ys.reduce((a, b) => a + b, 0) / n;
  let sxy = 0;
  let sxx = 0;
  for (let i = 0; i < n; i++) {
    sxy += (xs[i] - mx) * (ys[i] - my);
    sxx += (xs[i] - mx) ** 2;
  }
  return sxx > 0 ? sxy / sxx : 0;
}

/** The verdict over the second half of the run (by time); needs 4 samples there. */
function verdict(samples) {
  const end = samples[samples.length - 1]?.minutes ?? 0;
  const half = samples.filter((s) => s.minutes >= end / 2);
  const fits = {};
  for (const key of [...Object.keys(JUDGED), "rendererRssMB", "pssTotalMB", "workerBackingMB"]) {
    const perHour =
      half.length >= 2
        ? slope(
            half.map((s) => s.minutes / 60),
            half.map((s) => s[key]),
          )
        : 0;
    const first = half[0]?.[key] ?? 0;
    const last = half[half.length - 1]?.[key] ?? 0;
    fits[key] = {
      slopeMBPerHour: Number(perHour.toFixed(2)),
      threshold: JUDGED[key] ?? null,
      flat: key in JUDGED ? Math.abs(perHour) <= JUDGED[key] : null,
      secondHalfFirst: first,
      secondHalfLast: last,
      secondHalfMin: Math.min(...half.map((s) => s[key])),
      secondHalfMax: Math.max(...half.map((s) => s[key])),
    };
  }
  const enough = half.length >= 4;
  const flat = Object.keys(JUDGED).every((k) => fits[k].flat);
  return {
    result: !enough ? "inconclusive" : flat ? "flat" : "not flat",
    reason: !enough
      ? `only ${half.length} samples in the second half (need 4): run longer or with fewer --steps`
      : undefined,
    secondHalf: { fromMinute: Number((end / 2).toFixed(2)), toMinute: end, samples: half.length },
    fits,
  };
}

let stopping = false;
process.on("SIGINT", () => {
  if (stopping) process.exit(130);
  stopping = true;
  console.error("soak-web: stopping after this cycle (Ctrl-C again to quit now)");
});

const samples = [];
let app;
let status = 1;
try {
  app = await openWebApp({ url: values.url, dist: values.dist });
  const { page } = app;
  const info = {
    runtime: app.runtime,
    chromium: app.chromiumVersion,
    machine: machine(),
    app: app.source,
    started: new Date().toISOString(),
    settings: { minutes, steps, maxHeapSlope, maxRssSlope, run: "small (32 px, 200 episodes)" },
  };
  console.log(`soak: ${minutes} min of collect / train ${steps} steps / plan / perturb cycles -> ${out}`);
  console.log(describeRuntime(app.runtime));
  console.log(`machine: ${info.machine}`);
  const probe = await MemoryProbe.attach(app);
  const t0 = performance.now();
  const elapsedMinutes = () => (performance.now() - t0) / 60_000;
  const record = (row) => {
    samples.push(row);
    appendFileSync(csv, `${COLUMNS.map((c) => row[c] ?? "").join(",")}\n`);
    console.log(
      `cycle ${String(row.cycle).padStart(3)} at ${row.minutes.toFixed(1).padStart(5)} min: worker heap ${row.workerHeapMB.toFixed(1)} MB, page heap ${row.pageHeapMB.toFixed(1)} MB, renderer RSS ${row.rendererRssMB.toFixed(0)} MB, total RSS ${row.rssTotalMB.toFixed(0)} MB, PSS ${row.pssTotalMB.toFixed(0)} MB${row.cycleSeconds ? ` (cycle ${row.cycleSeconds.toFixed(0)} s)` : ""}`,
    );
  };
  record({ cycle: 0, minutes: 0, ...(await probe.sample()) });

  // The run size: the Learn view's "small" preset with fewer steps, a random wall.
  await page.selectOption("#env", "two-rooms");
  await page.selectOption("#size-preset", "small");
  await page.fill("#steps", String(steps));
  for (let cycle = 1; elapsedMinutes() < minutes && !stopping; cycle++) {
    const c0 = performance.now();
    // Learn: new data, a new model.
    await page.evaluate(() => {
      delete document.body.dataset.collected;
      delete document.body.dataset.trained;
    });
    await page.click('nav button[data-view="learn"]');
    await page.click("#collect");
    await settled(page, "collected", 900_000);
    await page.click("#train");
    await settled(page, "trained", 900_000);
    const trainSeconds = (performance.now() - c0) / 1000;
    // Plan: a fresh layout, a goal clicked 6 px away (the first direction not in a wall).
    const p0 = performance.now();
    await page.evaluate(() => {
      delete document.body.dataset.agent;
    });
    // A new model: the Plan tab shows a fresh layout (the next seed).
    await page.click('nav button[data-view="plan"]');
    await page.waitForFunction(
      () => document.body.dataset.agent !== undefined && !document.body.dataset.busy,
      null,
      { timeout: 120_000 },
    );
    const [ax, ay] = (await page.evaluate(() => document.body.dataset.agent)).split(",").map(Number);
    const size = Number(await page.evaluate(() => document.body.dataset.imageSize));
    const box = await page.locator("#world").boundingBox();
    let plans = 0;
    for (const [dx, dy] of [
      [6, 0],
      [-6, 0],
      [0, 6],
      [0, -6],
      [3, 3],
      [-3, -3],
    ]) {
      const gx = Math.min(size - 2, Math.max(2, ax + dx));
      const gy = Math.min(size - 2, Math.max(2, ay + dy));
      await page.evaluate(() => {
        delete document.body.dataset.planResult;
      });
      await page.mouse.click(box.x + (gx / size) * box.width, box.y + (gy / size) * box.height);
      try {
        await settled(page, "planResult", 900_000);
      } catch (err) {
        if (/inside a wall/.test(err.message)) continue;
        throw err;
      }
      const m = /\((\d+) plans/.exec((await page.textContent("#plan-result")) ?? "");
      plans = m ? Number(m[1]) : 0;
      break;
    }
    const planSeconds = (performance.now() - p0) / 1000;
    // Break: one perturbation at a severity that changes each cycle, then off again.
    await page.click('nav button[data-view="break"]');
    for (const severity of [1 + (cycle % 5), 0]) {
      await page.evaluate(() => {
        delete document.body.dataset.drift;
      });
      await page.fill("#sev-gaussian-noise", String(severity));
      await page.waitForFunction(() => document.body.dataset.drift !== undefined, null, { timeout: 120_000 });
    }
    record({
      cycle,
      minutes: Number(elapsedMinutes().toFixed(3)),
      cycleSeconds: Number(((performance.now() - c0) / 1000).toFixed(1)),
      trainSeconds: Number(trainSeconds.toFixed(1)),
      planSeconds: Number(planSeconds.toFixed(1)),
      plans,
      ...(await probe.sample()),
    });
  }
  if (app.errors.length) throw new HarnessError(`the page reported errors: ${app.errors.join("; ")}`);
  const v = verdict(samples);
  const summary = {
    ...info,
    ended: new Date().toISOString(),
    cycles: samples.length - 1,
    verdict: v,
    samples,
  };
  writeFileSync(join(out, "soak.json"), `${JSON.stringify(summary, null, 1)}\n`);
  console.log(
    `second half (minutes ${v.secondHalf.fromMinute}-${v.secondHalf.toMinute}, ${v.secondHalf.samples} samples), least-squares slopes:`,
  );
  for (const [k, f] of Object.entries(v.fits))
    console.log(
      `  ${k.padEnd(16)} ${f.slopeMBPerHour.toFixed(1).padStart(8)} MB/h  (range ${f.secondHalfMin}-${f.secondHalfMax} MB)${
        f.threshold === null ? "" : `  limit ${f.threshold} MB/h: ${f.flat ? "flat" : "GROWING"}`
      }`,
    );
  console.log(
    `verdict: memory ${v.result}${v.reason ? ` (${v.reason})` : ""}; ${csv}, ${join(out, "soak.json")}`,
  );
  status = v.result === "flat" ? 0 : v.result === "inconclusive" ? 3 : 1;
} catch (err) {
  console.error(`soak-web: ${err instanceof HarnessError ? err.message : err.stack}`);
  if (samples.length)
    writeFileSync(
      join(out, "soak.json"),
      `${JSON.stringify({ failed: String(err.message ?? err), samples }, null, 1)}\n`,
    );
  status = 1;
} finally {
  await app?.close();
}
process.exit(status);
