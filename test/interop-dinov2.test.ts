// ONNX import at full size: a DINOv2 ViT-S/14 (224x224, 21.6M parameters, 87 MB; RANDOM weights
// from a fixed seed) exported by PyTorch at opsets 13 and 17, fixed and dynamic batch, weights
// inside the file and in an external data file, imports and matches PyTorch's embeddings to
// 1e-4. Needs Debian's python3-torch and python3-onnx (the 87 MB files are generated into a
// temporary folder, never committed); skipped with the reason otherwise. About 40 s alone on 2
// busy cores; in the full suite beside other tests it has taken 3 minutes, hence the timeout.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { compareVariant, generate, torchMissing } from "../bench/dinov2-size-check.ts";

const missing = torchMissing();
if (missing) console.log(`interop-dinov2: skipped: ${missing}`);

test("DINOv2 ViT-S/14 exported by PyTorch (opset 13 fixed batch, opset 17 dynamic batch with external data) matches PyTorch to 1e-4", {
  skip: missing ? `PyTorch is not installed: ${missing}` : false,
  timeout: 300_000,
}, async () => {
  const dir = mkdtempSync(join(tmpdir(), "jepa-dinov2-"));
  try {
    const manifest = generate(dir, ["op13-b4", "op17-dyn-ext"], false, 5, 0);
    assert.equal(manifest.parameters, 21_628_800);
    for (const variant of ["op13-b4", "op17-dyn-ext"]) {
      const c = await compareVariant(dir, variant);
      const e = c.errors.cls;
      console.log(
        `${variant}: import ${c.importMs.toFixed(0)} ms, compile ${c.compileMs.toFixed(0)} ms, CLS max abs ${e.maxAbs.toExponential(2)}, rel ${e.rel.toExponential(2)}`,
      );
      assert.ok(e.rel < 1e-4, `${variant}: CLS embedding relative error ${e.rel} vs PyTorch`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
