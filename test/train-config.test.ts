// Run config validation: every preset passes; an unknown key, a wrong type or an impossible
// shape is rejected with one line naming the field path and the fix.
import assert from "node:assert/strict";
import { test } from "node:test";
import { ConfigError, PRESETS, quickPreset, validateRunConfig } from "../src/train/index.ts";
import { tinyConfig } from "./train-helpers.ts";

test("every preset and its quick version validate", () => {
  assert.ok(["two-rooms-vicreg", "two-rooms-sigreg", "push-t"].every((n) => n in PRESETS));
  for (const preset of Object.values(PRESETS)) {
    assert.deepEqual(validateRunConfig(structuredClone(preset)), preset);
    validateRunConfig(quickPreset(preset));
  }
  assert.equal(PRESETS["two-rooms-sigreg"].loss.regularizer, "sigreg");
  assert.deepEqual(PRESETS["two-rooms-sigreg"].model, PRESETS["two-rooms-vicreg"].model);
});

/** The one-line message validateRunConfig throws for `edit(tinyConfig())`. */
function rejection(edit: (c: ReturnType<typeof tinyConfig>) => unknown): string {
  const config = tinyConfig();
  const json = edit(config) ?? config;
  try {
    validateRunConfig(json);
  } catch (err) {
    assert.ok(err instanceof ConfigError, String(err));
    assert.equal(err.message.split("\n").length, 1, err.message);
    return err.message;
  }
  assert.fail("the config was accepted");
}

test("unknown keys are rejected with the path and the known keys", () => {
  assert.match(
    rejection((c) => ({ ...c, trian: {} })),
    /^config: unknown key "trian"; remove it \(known keys: name, description, env, data, model, loss, plan, train\)$/,
  );
  assert.match(
    rejection((c) => {
      (c.train as Record<string, unknown>).learningRate = 0.1;
    }),
    /^config\.train: unknown key "learningRate"; remove it \(known keys: steps, batch, .*lr/,
  );
  assert.match(
    rejection((c) => {
      (c.model.encoder as Record<string, unknown>).depth = 3;
    }),
    /^config\.model\.encoder: unknown key "depth"; remove it \(known keys: kind, channels, norm, pool\)$/,
  );
});

test("wrong types name the field, the expected type and the value", () => {
  assert.equal(
    rejection((c) => {
      (c.train as Record<string, unknown>).batch = "8";
    }),
    'config.train.batch: expected a number, got "8"',
  );
  assert.equal(
    rejection((c) => {
      (c.data as Record<string, unknown>).episodes = 2.5;
    }),
    "config.data.episodes: expected an integer, got 2.5",
  );
  assert.equal(
    rejection((c) => {
      (c.model as Record<string, unknown>).observation = [2, 16];
    }),
    "config.model.observation: expected at least 3 items, got [2, 16]",
  );
  assert.match(
    rejection((c) => {
      c.loss.regularizer = "barlow";
    }),
    /^config\.loss\.regularizer: expected one of "vicreg", "sigreg", got "barlow"$/,
  );
  assert.match(
    rejection((c) => {
      (c.model.predictor as Record<string, unknown>).kind = "transformer";
    }),
    /^config\.model\.predictor\.kind: unknown kind "transformer"; expected "mlp" or "gru"$/,
  );
  assert.match(
    rejection((c) => {
      c.env.name = "atari";
    }),
    /^config\.env\.name: expected one of .*"two-rooms".*, got "atari"$/,
  );
  assert.match(
    rejection(() => [1, 2]),
    /^config: expected a JSON object/,
  );
});

test("impossible shapes are rejected with the fix", () => {
  assert.equal(
    rejection((c) => {
      c.train.batch = 1;
    }),
    "config.train.batch: expected a number >= 2, got 1",
  );
  assert.equal(
    rejection((c) => {
      c.model.embedDim = 0;
    }),
    "config.model.embedDim: expected a number >= 1, got 0",
  );
  assert.equal(
    rejection((c) => {
      c.train.clipLength = 10;
    }),
    "config.train.clipLength: 10 exceeds the 9 frames of an episode (data.steps + 1); use clipLength <= 9 or raise data.steps",
  );
  assert.equal(
    rejection((c) => {
      c.model.observation = [3, 16, 16];
    }),
    "config.model.observation: [3,16,16] does not match the two-rooms env's observations [2,16,16]; set it to [2,16,16]",
  );
  assert.match(
    rejection((c) => {
      (c.env as { options: Record<string, unknown> }).options = { size: 16, colour: "red" };
    }),
    /^config\.env\.options: two-rooms: unknown option "colour"/,
  );
  assert.match(
    rejection((c) => {
      c.train.warmupSteps = 16;
    }),
    /^config\.train\.warmupSteps: 16 must be below train\.steps \(16\)/,
  );
});
