// The web app in headless Chromium, for the browser benchmark (bench/web-bench.ts) and the
// memory soak (scripts/soak-web.mjs): Debian's Chromium driven by playwright-core (never a
// Playwright browser download), the app served with cross-origin isolation, and memory read
// from the page, its compute worker and the browser's processes.
//   app source: --url URL (a running server: `npm run web`, or any static host with the
//   COOP/COEP headers), --dist DIR (an existing build: `npm run build:web` writes web/dist),
//   or by default a fresh build of the current sources into a temporary folder.
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { cpus, loadavg, tmpdir } from "node:os";
import { join, resolve } from "node:path";
import type { Browser, CDPSession, Page } from "playwright-core";
import { serveStatic } from "../web/serve-static.ts";

const root = join(import.meta.dirname, "..");

export const CHROMIUM_PATHS = ["/usr/bin/chromium", "/usr/bin/chromium-browser"];

/** What the worker's "init" reply says about ONNX Runtime in the page. */
export interface RuntimeInfo {
  label: string;
  ep: "wasm" | "webgpu";
  threads: number;
  isolated: boolean;
}

export interface AppOptions {
  url?: string;
  dist?: string;
  /** Extra Chromium flags. */
  args?: string[];
  /** Query string for the page, e.g. "threads=2" (the app's ?threads=N). */
  query?: string;
  /** Log page errors to stderr as they happen (default true). */
  logErrors?: boolean;
}

export interface WebApp {
  page: Page;
  browser: Browser;
  url: string;
  /** Where the app came from, in words (for the report). */
  source: string;
  runtime: RuntimeInfo;
  chromiumVersion: string;
  /** Page errors and console errors seen so far. */
  errors: string[];
  close(): Promise<void>;
}

/** Fails with one line when something the harness needs is missing. */
export class HarnessError extends Error {}

export async function openWebApp(o: AppOptions = {}): Promise<WebApp> {
  const executablePath = CHROMIUM_PATHS.find((p) => existsSync(p));
  if (!executablePath)
    throw new HarnessError(`Chromium not found at ${CHROMIUM_PATHS.join(" or ")}; apt-get install chromium`);
  const cleanups: (() => unknown)[] = [];
  const cleanup = async () => {
    for (const f of cleanups.reverse()) await f();
  };
  try {
    let url: string;
    let source: string;
    if (o.url) {
      url = o.url;
      source = `running server ${o.url}`;
    } else {
      let dir: string;
      if (o.dist) {
        dir = resolve(o.dist);
        if (!existsSync(join(dir, "index.html")))
          throw new HarnessError(`no built app in ${dir} (no index.html); run npm run build:web first`);
        source = `existing build ${dir}`;
      } else {
        dir = mkdtempSync(join(tmpdir(), "jepa-web-app-"));
        cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
        const { build } = await import("vite");
        await build({
          configFile: join(root, "web", "vite.config.ts"),
          logLevel: "error",
          build: { outDir: dir, emptyOutDir: true },
        });
        source = "fresh build of the current sources";
      }
      const served = await serveStatic(dir);
      cleanups.push(() => new Promise((ok) => served.server.close(ok)));
      url = served.url;
    }
    const { chromium } = await import("playwright-core");
    const browser = await chromium.launch({
      executablePath,
      args: [
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--no-first-run",
        ...(o.args ?? []),
      ],
    });
    cleanups.push(() => browser.close());
    const page = await browser.newPage({ viewport: { width: 1300, height: 950 } });
    const errors: string[] = [];
    const logErrors = o.logErrors ?? true;
    page.on("pageerror", (e) => {
      errors.push(e.message);
      if (logErrors) console.error(`page error: ${e.message}`);
    });
    page.on("console", (m) => {
      if (m.type() !== "error") return;
      errors.push(m.text());
      if (logErrors) console.error(`page console error: ${m.text()}`);
    });
    try {
      await page.goto(o.query ? `${url}${url.includes("?") ? "&" : "?"}${o.query}` : url);
    } catch (err) {
      throw new HarnessError(`could not open ${url}: ${(err as Error).message.split("\n")[0]}`);
    }
    await page
      .waitForFunction(() => document.body.dataset.ep !== undefined, null, { timeout: 90_000 })
      .catch(async () => {
        throw new HarnessError(
          `the app at ${url} did not start ONNX Runtime within 90 s: ${(await page.textContent("#ep")) ?? "no #ep"}`,
        );
      });
    const runtime = await page.evaluate(() =>
      (window as unknown as { jepa: { runtime: () => Promise<RuntimeInfo> } }).jepa.runtime(),
    );
    return {
      page,
      browser,
      url,
      source,
      runtime,
      chromiumVersion: browser.version(),
      errors,
      close: cleanup,
    };
  } catch (err) {
    await cleanup();
    throw err;
  }
}

/** The machine in a few words: CPU model, cores and the load average when asked. */
export function machine(): string {
  const c = cpus();
  const model = (c[0]?.model ?? "unknown CPU").replace(/\s+/g, " ").trim();
  return `${model}, ${c.length} cores, load average ${loadavg()
    .map((l) => l.toFixed(1))
    .join(" ")}`;
}

export const describeRuntime = (r: RuntimeInfo) =>
  `onnxruntime-web execution provider ${r.ep} (${r.label}); WASM threads ${
    r.threads > 1 ? `on (${r.threads})` : "off (1)"
  }; cross-origin isolated ${r.isolated ? "yes" : "no"}`;

/** Waits until the page's current job ends (`done` is the body data attribute it sets); fails with the status line. */
export async function settled(page: Page, done: string, timeoutMs: number): Promise<void> {
  await page.waitForFunction(
    (d) =>
      (document.body.dataset[d] !== undefined && !document.body.dataset.busy) ||
      document.getElementById("status")!.className === "bad",
    done,
    { timeout: timeoutMs, polling: 250 },
  );
  if ((await page.getAttribute("#status", "class")) === "bad")
    throw new HarnessError(`the page failed: ${await page.textContent("#status")}`);
}

// --- memory --------------------------------------------------------------------------------

export interface MemorySample {
  /** JS heap of the page (main thread), after a forced GC, MB. */
  pageHeapMB: number;
  /** JS heap of the compute worker, after a forced GC, MB. */
  workerHeapMB: number;
  /** ArrayBuffer backing stores the worker's V8 reports (typed arrays outside the heap), MB. */
  workerBackingMB: number;
  /** Resident set of all Chromium processes together, and of the largest renderer, MB. */
  rssTotalMB: number;
  rendererRssMB: number;
  /** Proportional set size of all Chromium processes (shared pages counted once), MB. */
  pssTotalMB: number;
}

const MB = 1 / (1024 * 1024);

function procKb(pid: number, file: string, field: string): number {
  try {
    const m = new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(readFileSync(`/proc/${pid}/${file}`, "utf8"));
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

/**
 * Memory probes over CDP: the page's heap (Performance.getMetrics), the dedicated worker's
 * heap (Runtime.getHeapUsage through a browser session attached to the worker target), the
 * processes' RSS and PSS from /proc (SystemInfo.getProcessInfo names them). Every sample
 * collects garbage first, so heaps measure what is retained, not what is waiting for GC.
 */
export class MemoryProbe {
  private next = 1;
  private waiting = new Map<number, { ok: (v: unknown) => void; fail: (e: Error) => void }>();
  private workerSession?: string;
  private constructor(
    private readonly pageSession: CDPSession,
    private readonly browserSession: CDPSession,
  ) {
    browserSession.on("Target.receivedMessageFromTarget", (e) => {
      if (e.sessionId !== this.workerSession) return;
      const m = JSON.parse(e.message) as { id: number; result?: unknown; error?: { message: string } };
      const w = this.waiting.get(m.id);
      this.waiting.delete(m.id);
      if (m.error) w?.fail(new Error(m.error.message));
      else w?.ok(m.result);
    });
  }

  static async attach(app: WebApp): Promise<MemoryProbe> {
    const pageSession = await app.page.context().newCDPSession(app.page);
    await pageSession.send("Performance.enable");
    const probe = new MemoryProbe(pageSession, await app.browser.newBrowserCDPSession());
    await probe.attachWorker();
    return probe;
  }

  private async attachWorker(): Promise<void> {
    const { targetInfos } = await this.browserSession.send("Target.getTargets");
    const worker = targetInfos.find((t) => t.type === "worker" && /worker/.test(t.url));
    if (!worker) throw new HarnessError("the app's compute worker is not running (no worker target)");
    // Not flattened: Playwright's CDP sessions cannot address a child session directly.
    const { sessionId } = await this.browserSession.send("Target.attachToTarget", {
      targetId: worker.targetId,
      flatten: false,
    });
    this.workerSession = sessionId;
  }

  private worker<T>(method: string, params: object = {}): Promise<T> {
    const id = this.next++;
    return new Promise<T>((ok, fail) => {
      this.waiting.set(id, { ok: ok as (v: unknown) => void, fail });
      this.browserSession
        .send("Target.sendMessageToTarget", {
          sessionId: this.workerSession!,
          message: JSON.stringify({ id, method, params }),
        })
        .catch(fail);
    });
  }

  async sample(): Promise<MemorySample> {
    await this.pageSession.send("HeapProfiler.collectGarbage");
    await this.worker("HeapProfiler.collectGarbage");
    const { metrics } = await this.pageSession.send("Performance.getMetrics");
    const pageHeap = metrics.find((m) => m.name === "JSHeapUsedSize")?.value ?? 0;
    const w = await this.worker<{ usedSize: number; backingStorageSize?: number }>("Runtime.getHeapUsage");
    const { processInfo } = (await this.browserSession.send("SystemInfo.getProcessInfo")) as {
      processInfo: { type: string; id: number }[];
    };
    let rss = 0;
    let pss = 0;
    let renderer = 0;
    for (const p of processInfo) {
      const r = procKb(p.id, "status", "VmRSS");
      rss += r;
      pss += procKb(p.id, "smaps_rollup", "Pss");
      if (p.type === "renderer") renderer = Math.max(renderer, r);
    }
    const round = (x: number) => Math.round(x * 10) / 10;
    return {
      pageHeapMB: round(pageHeap * MB),
      workerHeapMB: round(w.usedSize * MB),
      workerBackingMB: round((w.backingStorageSize ?? 0) * MB),
      rssTotalMB: round(rss / 1024),
      rendererRssMB: round(renderer / 1024),
      pssTotalMB: round(pss / 1024),
    };
  }
}
