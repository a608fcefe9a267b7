// End to end: `jepa demo --quick` from the CLI, its report files, the refusal to overwrite,
// and the HTML report opened in headless Chromium (when installed) without page errors.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { repoRoot } from "./helpers/fixtures.ts";

const jepa = (args: string[]) =>
  spawnSync(process.execPath, [join(repoRoot, "bin", "jepa.mjs"), ...args], {
    encoding: "utf8",
    timeout: 240_000,
  });

const CHROMIUM = ["/usr/bin/chromium", "/usr/bin/chromium-browser"].find((p) => existsSync(p));

test("jepa demo --quick runs end to end and writes a complete report", async (t) => {
  const out = mkdtempSync(join(tmpdir(), "jepa-demo-"));
  t.after(() => rmSync(out, { recursive: true, force: true }));
  const r = jepa(["demo", "--quick", "--out", out, "--force"]);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /P1 success \d+\.\d% \(\d+\/2; 95% CI/);
  assert.match(r.stdout, /total wall time \d+\.\d s/);
  const report = JSON.parse(readFileSync(join(out, "report.json"), "utf8"));
  assert.equal(report.protocol, "p1-two-rooms");
  for (const key of ["settings", "seeds", "metrics", "ci95"])
    assert.ok(key in report, `report.json lacks ${key}`);
  assert.ok(report.metrics.success >= 0 && report.metrics.success <= 1);
  assert.equal(report.ci95.success.length, 2);
  assert.equal(report.episodes.length, 2);
  assert.ok(report.training.length > 0 && report.training.some((h: { collapse?: unknown }) => h.collapse));
  const html = readFileSync(join(out, "report.html"), "utf8");
  for (const id of ["summary", "training", "collapse", "latents", "episodes"]) {
    assert.ok(html.includes(`id="${id}"`), `report.html lacks section ${id}`);
  }

  // A finished demo is never overwritten silently.
  const again = jepa(["demo", "--quick", "--out", out]);
  assert.equal(again.status, 2);
  assert.match(again.stderr.trim(), /^jepa: .*already holds a finished demo.*--force/);
  assert.equal(again.stderr.trim().split("\n").length, 1);

  if (!CHROMIUM) {
    t.diagnostic("Chromium not installed (apt-get install chromium): browser check skipped");
    return;
  }
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
    const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
    const errors: string[] = [];
    page.on("pageerror", (e) => errors.push(e.message));
    page.on("console", (m) => {
      if (m.type() === "error") errors.push(m.text());
    });
    await page.goto(`file://${join(out, "report.html")}`);
    for (const id of ["summary", "training", "collapse", "latents", "episodes"]) {
      assert.ok(await page.locator(`#${id}`).isVisible(), `section ${id} is not visible`);
    }
    assert.ok((await page.locator("svg").count()) >= 4, "plots are missing");
    assert.ok((await page.locator("#episodes img").count()) >= 6, "episode frames are missing");
    await page.screenshot({ path: join(repoRoot, "test", "artifacts", "demo-report.png"), fullPage: true });
    assert.deepEqual(errors, []);
  } finally {
    await browser.close();
  }
});
