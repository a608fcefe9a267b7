// Elementwise ops: gradients against finite differences (float64 reference interpreter) and
// ONNX Runtime against the reference interpreter (float32), case by case.
import { test } from "node:test";
import { elementwiseCases } from "./engine-op-cases-elementwise.ts";
import { checkFiniteDifferences, checkOnnxRuntime } from "./engine-op-harness.ts";

for (const c of elementwiseCases) {
  test(c.name, async () => {
    checkFiniteDifferences(c);
    await checkOnnxRuntime(c);
  });
}
