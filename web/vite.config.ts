// Vite config of the jepa-ts web app. Two things matter beyond the defaults:
//   1. cross-origin isolation (COOP + COEP headers), so SharedArrayBuffer and therefore
//      onnxruntime-web's WASM threads are available, in dev, preview and any static host
//      that copies these headers;
//   2. onnxruntime-web's runtime files (.wasm + .mjs glue) served from our own origin under
//      ort/ (never a CDN): the dev server streams them from node_modules, the build copies them.
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { defineConfig, type Plugin } from "vite";

const here = dirname(fileURLToPath(import.meta.url));
const ortDist = join(here, "..", "node_modules", "onnxruntime-web", "dist");
/**
 * The runtime files ORT fetches at run time, from `env.wasm.wasmPaths`: ort.wasm.min.mjs (the
 * CPU provider; src/runtime.ts loads it unless WebGPU is in use) loads the plain build's ES
 * module glue and binary (ort-wasm-simd-threaded.{mjs,wasm}), ort.min.mjs (WASM + WebGPU) the
 * JSEP build's (ort-wasm-simd-threaded.jsep.{mjs,wasm}). Neither has the runtime bundled in.
 * The glue also starts the WASM threads, so no application code runs inside them.
 */
const ortFiles = () =>
  readdirSync(ortDist).filter((f) => /^ort-wasm-simd-threaded(\.jsep)?\.(wasm|mjs)$/.test(f));

export const isolationHeaders = {
  "Cross-Origin-Opener-Policy": "same-origin",
  "Cross-Origin-Embedder-Policy": "require-corp",
  "Cross-Origin-Resource-Policy": "same-origin",
};

function ortRuntimeFiles(): Plugin {
  return {
    name: "jepa-ort-runtime-files",
    configureServer(server) {
      // Registered before Vite's own middlewares, so the glue is served as is (not transformed).
      server.middlewares.use((req, res, next) => {
        const m = /\/ort\/(ort-wasm-[\w.-]+\.(wasm|mjs))(\?.*)?$/.exec(req.url ?? "");
        if (!m || !ortFiles().includes(m[1])) return next();
        res.setHeader("Content-Type", m[2] === "wasm" ? "application/wasm" : "text/javascript");
        for (const [k, v] of Object.entries(isolationHeaders)) res.setHeader(k, v);
        res.end(readFileSync(join(ortDist, m[1])));
      });
    },
    generateBundle() {
      for (const f of ortFiles())
        this.emitFile({ type: "asset", fileName: `ort/${f}`, source: readFileSync(join(ortDist, f)) });
    },
  };
}

export default defineConfig({
  root: here,
  base: "./",
  plugins: [ortRuntimeFiles()],
  resolve: {
    alias: [
      { find: /^onnxruntime-web\/wasm$/, replacement: join(ortDist, "ort.wasm.min.mjs") },
      { find: /^onnxruntime-web$/, replacement: join(ortDist, "ort.min.mjs") },
    ],
  },
  server: { headers: isolationHeaders, host: "127.0.0.1" },
  preview: { headers: isolationHeaders, host: "127.0.0.1" },
  worker: { format: "es" },
  build: { outDir: join(here, "dist"), emptyOutDir: true, target: "es2022", chunkSizeWarningLimit: 4000 },
});
