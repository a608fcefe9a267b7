// P5 end to end at a tiny size: train a video JEPA on bouncing sprites for a few dozen steps,
// then probe, forecast and measure teleport surprise. The frame-stacking wrapper is checked
// against the raw frames it stacks.
import assert from "node:assert/strict";
import { test } from "node:test";
import { collectInMemory } from "../src/data/index.ts";
import { nodeBackend } from "../src/engine/node.ts";
import { evaluateP5, P5_QUICK, stackFrames } from "../src/eval/index.ts";
import { train } from "../src/train/node.ts";

test("stackFrames: observation j is raw frames j..j+1, the state the newest frame's", () => {
  const raw = collectInMemory("bouncing-sprites", { size: 16 }, "random", { episodes: 2, steps: 5, seed: 3 });
  const data = stackFrames(raw, 2);
  assert.deepEqual(data.info.observationShape, [6, 16, 16]);
  assert.equal(data.info.steps, 4);
  assert.equal(data.info.actionDim, 1);
  const frame = 3 * 16 * 16;
  const e = data.episode(1);
  const r = raw.episode(1);
  for (const j of [0, 2, 4]) {
    assert.deepEqual(
      e.observations.subarray(2 * j * frame, 2 * (j + 1) * frame),
      r.observations.subarray(j * frame, (j + 2) * frame),
    );
    assert.deepEqual(
      Array.from(e.states.subarray(j * raw.info.stateDim, (j + 1) * raw.info.stateDim)),
      Array.from(r.states.subarray((j + 1) * raw.info.stateDim, (j + 2) * raw.info.stateDim)),
    );
  }
  assert.equal(e.actions.length, 4);
});

test("P5 tiny: complete report (probe RMSE, 1- and 30-step forecast, teleport surprise)", async () => {
  const report = await evaluateP5(
    {
      ...P5_QUICK,
      imageSize: 16,
      channels: [8, 8],
      embedDim: 16,
      predictorHidden: 32,
      trainEpisodes: 16,
      steps: 30,
      batch: 8,
      evalEpisodes: 6,
      teleportStep: 6,
    },
    { backend: nodeBackend(), train, protocol: "p5-video-tiny" },
  );
  assert.equal(report.protocol, "p5-video-tiny");
  for (const m of [
    "probe_rmse_px",
    "probe_r2",
    "forecast_mse_1",
    "forecast_mse_30",
    "forecast_nmse_1",
    "forecast_nmse_30",
    "teleport_surprise_ratio",
  ]) {
    assert.ok(Number.isFinite(report.metrics[m]), `${m} = ${report.metrics[m]}`);
  }
  for (const m of ["probe_rmse_px", "forecast_mse_1", "forecast_mse_30", "teleport_surprise_ratio"]) {
    const [lo, hi] = report.ci95[m];
    assert.ok(lo <= hi && Number.isFinite(lo), `${m} interval ${lo}, ${hi}`);
  }
  assert.equal(report.forecastCurve.length, 30);
  // A probe on the embeddings beats predicting the mean position (sprites span the 16 px box).
  assert.ok(report.metrics.probe_rmse_px < 5, `probe RMSE ${report.metrics.probe_rmse_px}`);
  assert.ok(report.history.length > 0);
});
