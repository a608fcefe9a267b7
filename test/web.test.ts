// End to end in Debian's Chromium (Playwright core, never its own browser download): build the
// web app, serve it with cross-origin isolation on a loopback port, and in the page
//   1. train a tiny two-rooms world model (fixed wall, 32 px, keypoint encoder: an easy
//      setting, so the test can demand success) with loss terms, collapse monitors and the
//      latent PCA on screen;
//   2. plan to a goal 9 px away in the agent's room (18 px at P1's 65 px scale, four times the
//      success radius), drawn from the layout's seed, and reach it by the app's own test;
//   3. perturb what the model sees (noise at severity 5) and watch the embedding drift;
//   4. save the model (the files load in Node with the CLI's loadCheckpoint), reject a bad
//      and a mismatched checkpoint with clear messages, and load one trained by `jepa train`.
// Screenshots of every view go to test/artifacts/web-*.png.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { initWorldModel } from "../src/world/index.ts";
import { keyFromSeed, layoutOf, type HostTensor, type Tree } from "../src/engine/index.ts";
import { buildWorldModelRun } from "../src/train/index.ts";
import { loadCheckpoint } from "../src/train/node.ts";
import { batchesOf } from "../web/src/batches.ts";
import { collect } from "../web/src/dataset.ts";
import { presetFor } from "../web/src/run-settings.ts";
import { Scene } from "../web/src/scene.ts";
import { sampleNearbyGoal } from "../web/src/tasks.ts";
import { P1 } from "../src/envs/index.ts";
import { serveStatic } from "../web/serve-static.ts";
import { repoRoot } from "./helpers/fixtures.ts";

const CHROMIUM = ["/usr/bin/chromium", "/usr/bin/chromium-browser"].find((p) => existsSync(p));
const ARTIFACTS = join(repoRoot, "test", "artifacts");

/** The tiny run of the test: small enough for CI, trained enough to plan across a room. */
const RUN = { episodes: 100, steps: 300, batch: 8, clipLength: 5, imageSize: 32, lr: 3e-3 };
/** CEM over a 10-step horizon (12 px at most), 3 steps executed per plan. */
const PLAN = { horizon: 10, population: 100, iterations: 5, elites: 10, execute: 3, budget: 60 };
/** The page's first layout (its scene seed), and the goal's distance from the agent. */
const LAYOUT_SEED = 1;
const GOAL_DISTANCE = 9;

function cliTrain(out: string): Promise<void> {
  return new Promise((ok, fail) => {
    const child = spawn(
      process.execPath,
      [join(repoRoot, "bin", "jepa.mjs"), "train", "--preset", "two-rooms-vicreg", "--quick", "--out", out],
      { stdio: ["ignore", "ignore", "pipe"] },
    );
    let err = "";
    child.stderr.on("data", (d) => {
      err += d;
    });
    child.on("exit", (code) => (code === 0 ? ok() : fail(new Error(`jepa train exited ${code}: ${err}`))));
  });
}

test("web app: train, plan, break, save and load in Chromium", { timeout: 300_000 }, async (t) => {
  if (!CHROMIUM) {
    t.skip("Chromium not installed (apt-get install chromium)");
    return;
  }
  const out = mkdtempSync(join(tmpdir(), "jepa-web-"));
  t.after(() => rmSync(out, { recursive: true, force: true }));
  mkdirSync(ARTIFACTS, { recursive: true });

  // A CLI checkpoint, trained while the app builds.
  const cliRun = join(out, "cli-run");
  const trained = cliTrain(cliRun);
  const { build } = await import("vite");
  await build({
    configFile: join(repoRoot, "web", "vite.config.ts"),
    logLevel: "error",
    build: { outDir: join(out, "dist"), emptyOutDir: true },
  });
  const { server, url } = await serveStatic(join(out, "dist"));
  t.after(() => server.close());

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
  t.after(() => browser.close());
  const page = await browser.newPage({ viewport: { width: 1300, height: 950 }, acceptDownloads: true });
  const errors: string[] = [];
  page.on("pageerror", (e) => errors.push(e.message));
  page.on("console", (m) => {
    if (m.type() === "error") errors.push(m.text());
  });
  const shot = (name: string) => page.screenshot({ path: join(ARTIFACTS, `web-${name}.png`) });
  const text = async (sel: string) => (await page.textContent(sel)) ?? "";
  /** Waits until the page's current job ends; fails with the page's status line if it failed. */
  const settled = async (done: string, timeout: number) => {
    await page.waitForFunction(
      (d) =>
        (document.body.dataset[d] !== undefined && !document.body.dataset.busy) ||
        document.getElementById("status")!.className === "bad",
      done,
      { timeout },
    );
    assert.notEqual(await page.getAttribute("#status", "class"), "bad", await text("#status"));
  };

  await page.goto(url);
  // Cross-origin isolated, so ONNX Runtime runs WASM with threads (WebGPU is off under --disable-gpu).
  await page.waitForFunction(() => document.body.dataset.ep !== undefined, null, { timeout: 60_000 });
  assert.equal(await page.evaluate(() => crossOriginIsolated), true);
  assert.match(await text("#ep"), /^ONNX Runtime: WASM SIMD, \d+ threads? \(\d+ cores?\)$/);

  // 1. Learn
  await page.selectOption("#env", "two-rooms-fixed");
  await page.selectOption("#size-preset", "small");
  await page.selectOption("#encoder", "keypoint");
  for (const [id, v] of Object.entries({
    "image-size": RUN.imageSize,
    episodes: RUN.episodes,
    steps: RUN.steps,
    batch: RUN.batch,
    "clip-length": RUN.clipLength,
    lr: RUN.lr,
  }))
    await page.fill(`#${id}`, String(v));
  await page.click("#train");
  await settled("trained", 150_000);
  assert.equal(await page.evaluate(() => document.body.dataset.trained), String(RUN.steps));
  const status = await text("#train-status");
  t.diagnostic(status);
  assert.match(status, new RegExp(`step ${RUN.steps}: loss [\\d.]+ \\(prediction`));
  assert.match(await text("#collapse-status"), /^rank [\d.]+, std/);
  assert.ok((await page.locator("#loss-plot svg polyline").count()) >= 1, "no loss curve");
  await shot("learn");

  // 2. Plan: the page's first layout is seed 1's; the goal is GOAL_DISTANCE px from the agent
  // in its room, in a direction drawn from the same seed (the Break sweeps' goal sampler).
  await page.click('nav button[data-view="plan"]');
  await page.waitForFunction(() => document.body.dataset.agent !== undefined, null, { timeout: 30_000 });
  const agent = (await page.evaluate(() => document.body.dataset.agent!)).split(",").map(Number);
  const size = RUN.imageSize;
  const world = new Scene({ size, fixedWall: true });
  const start = world.reset(LAYOUT_SEED);
  assert.deepEqual(agent, [start[0], start[1]], "the page's first layout is not seed 1's");
  const target = sampleNearbyGoal(world, start, GOAL_DISTANCE, LAYOUT_SEED);
  for (const [id, v] of Object.entries(PLAN)) await page.fill(`#${id}`, String(v));
  const box = (await page.locator("#world").boundingBox())!;
  await page.mouse.click(box.x + (target[0] / size) * box.width, box.y + (target[1] / size) * box.height);
  await settled("planResult", 90_000);
  await shot("plan");
  const goal = (await page.evaluate(() => document.body.dataset.goal!)).split(",").map(Number);
  const planned = `planning from (${start[0].toFixed(1)}, ${start[1].toFixed(1)}) to (${goal[0].toFixed(1)}, ${goal[1].toFixed(1)}): ${await text("#plan-result")}`;
  t.diagnostic(planned);
  // The goal the page took from the click is the one asked for, and far from the start.
  assert.ok(Math.hypot(goal[0] - target[0], goal[1] - target[1]) < 0.1, `clicked ${goal}, meant ${target}`);
  const far = Math.hypot(goal[0] - start[0], goal[1] - start[1]);
  assert.ok(far > GOAL_DISTANCE - 0.1, `the goal is only ${far.toFixed(1)} px away`);
  // Reached, by the worker's P1 test (within 4.5 px at 65 px), after walking there at the
  // env's speed limit or below.
  assert.equal(await page.evaluate(() => document.body.dataset.planResult), "success", planned);
  const radius = (P1.successDistance * size) / P1.referenceSize;
  assert.ok(Number(await page.evaluate(() => document.body.dataset.planDistance)) < radius);
  const steps = Number(/^Reached the goal in (\d+) steps/.exec(await text("#plan-result"))?.[1]);
  const maxStep = (P1.maxStep * size) / P1.referenceSize;
  assert.ok(steps * maxStep >= far - radius, `${steps} steps cannot cover ${far.toFixed(1)} px`);
  assert.ok(steps <= PLAN.budget);
  assert.match(await text("#plan-status"), /^plan \d+: \d+ ms/);

  // 3. Break: noise at severity 5 moves the embeddings.
  await page.click('nav button[data-view="break"]');
  await page.fill("#sev-gaussian-noise", "5");
  await page.waitForFunction(() => Number(document.body.dataset.drift ?? 0) > 0, null, { timeout: 30_000 });
  assert.match(await text("#drift-status"), /^embedding drift [\d.]+ .* probe position error/);
  await shot("break");
  await page.fill("#sev-gaussian-noise", "0");

  // 4. Save (a checkpoint the CLI's loader reads), then bad files, then a CLI checkpoint.
  await page.click('nav button[data-view="checkpoint"]');
  const saved = join(out, "saved");
  mkdirSync(saved);
  const downloads: Promise<void>[] = [];
  page.on("download", (d) => downloads.push(d.saveAs(join(saved, d.suggestedFilename()))));
  await page.click("#save");
  await page.waitForFunction(() => /saved step/.test(document.getElementById("save-message")!.textContent!));
  await page.waitForTimeout(500);
  await Promise.all(downloads);
  const layout = layoutOf(
    initWorldModel(
      keyFromSeed(0),
      JSON.parse(readFileSync(join(saved, "state.json"), "utf8")).config.model,
    ) as unknown as Tree<HostTensor>,
  );
  const { state, meta } = loadCheckpoint(saved, layout);
  assert.equal(state.step, RUN.steps);
  const savedConfig = meta.config as {
    env: { options: { size: number } };
    model: { encoder: { kind: string } };
  };
  assert.equal(savedConfig.env.options.size, RUN.imageSize);
  assert.equal(savedConfig.model.encoder.kind, "keypoint");

  await trained;
  const cli = join(cliRun, "checkpoints", "step-000000030");
  const pick = (files: string[]) => page.setInputFiles("#ckpt-files", files);
  await pick([join(cli, "state.json")]);
  assert.match(await text("#ckpt-message"), /^params\.safetensors is missing/);
  const mismatched = join(out, "mismatched");
  mkdirSync(mismatched);
  const cliState = JSON.parse(readFileSync(join(cli, "state.json"), "utf8"));
  cliState.config.model.embedDim = 32;
  writeFileSync(join(mismatched, "state.json"), JSON.stringify(cliState));
  await pick([join(cli, "params.safetensors"), join(mismatched, "state.json")]);
  await page.waitForFunction(() =>
    /^Could not load/.test(document.getElementById("ckpt-message")!.textContent!),
  );
  assert.match(
    await text("#ckpt-message"),
    /the model in state\.json expects float32\[.*different checkpoints/,
  );
  await pick([join(cli, "params.safetensors"), join(cli, "state.json")]);
  await page.waitForFunction(() => document.body.dataset.loaded !== undefined, null, { timeout: 60_000 });
  assert.match(await text("#ckpt-message"), /^loaded two-rooms-vicreg-quick at step 30: 64 px, random wall/);
  await shot("checkpoint");
  assert.deepEqual(errors, []);
});

test("web app: the worker's batches are the library's, bit for bit", () => {
  for (const regularizer of ["vicreg", "sigreg"] as const) {
    const p = presetFor({
      regularizer,
      encoder: "conv",
      fixedWall: false,
      imageSize: 32,
      episodes: 12,
      steps: 10,
      batch: 16,
      clipLength: 5,
      lr: 1e-3,
    });
    const data = collect(p, p.data.episodes, () => {});
    const expected = buildWorldModelRun(p, data).batch;
    const actual = batchesOf(p, data);
    for (const step of [0, 1, 7]) {
      const a = actual(step);
      const e = expected(step);
      assert.deepEqual(Object.keys(a).sort(), Object.keys(e).sort(), regularizer);
      for (const k of Object.keys(e)) {
        assert.deepEqual(a[k].shape, e[k].shape, `${regularizer} ${k}`);
        assert.deepEqual(a[k].data, e[k].data, `${regularizer} step ${step}: ${k}`);
      }
    }
  }
});
