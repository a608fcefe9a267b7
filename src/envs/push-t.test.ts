import assert from "node:assert/strict";
import { test } from "node:test";
import { PUSH_T, PushT, pushTSuccess } from "./push-t.ts";
import { pushTPusher } from "./push-t-pusher.ts";
import { Random } from "./random.ts";

const blockPose = (s: Float64Array) => [s[2], s[3], s[4]];
const atRest = (s: Float64Array) => s[7] === 0 && s[8] === 0 && s[9] === 0;

test("the block moves only when the pusher touches it", () => {
  const env = new PushT();
  const rng = new Random(4);
  let restingUntouched = 0;
  let touched = 0;
  for (let episode = 0; episode < 12; episode++) {
    env.reset({ seed: episode });
    // Mix the scripted pusher (many contacts) with random targets (many misses).
    const pusher = pushTPusher(env, episode);
    for (let t = 0; t < 40; t++) {
      const before = env.getState();
      const action = t % 10 < 6 ? pusher.act() : [rng.uniform(0, 512), rng.uniform(0, 512)];
      const r = env.step(action);
      const after = env.getState();
      if (r.info.touching) touched++;
      else if (atRest(before)) {
        restingUntouched++;
        assert.deepEqual(
          blockPose(after),
          blockPose(before),
          `block moved untouched (episode ${episode}, step ${t})`,
        );
        assert.ok(atRest(after));
      }
    }
  }
  assert.ok(restingUntouched > 100, `only ${restingUntouched} untouched steps from rest`);
  assert.ok(touched > 20, `only ${touched} touching steps`);
});

test("a touching step from rest does move the block", () => {
  const env = new PushT();
  // Block at the centre, pusher left of the bar, pushed to the right through it.
  env.setState([150, 265, 256, 256, 0, 0, 0, 0, 0, 0]);
  env.step([170, 265]);
  let touchedAndMoved = false;
  for (let t = 0; t < 5; t++) {
    const before = env.getState();
    const r = env.step([before[0] + 25, 265]);
    if (r.info.touching && env.getState()[2] > before[2] + 1) touchedAndMoved = true;
  }
  assert.ok(touchedAndMoved);
});

test("the scripted pusher moves the block in most episodes", () => {
  const env = new PushT();
  let moved = 0;
  const episodes = 16;
  for (let e = 0; e < episodes; e++) {
    env.reset({ seed: 100 + e });
    const s0 = env.getState();
    const policy = pushTPusher(env, 200 + e);
    for (let t = 0; t < 50; t++) env.step(policy.act());
    const s1 = env.getState();
    if (Math.hypot(s1[2] - s0[2], s1[3] - s0[3]) > 20 || Math.abs(s1[4] - s0[4]) > 0.3) moved++;
  }
  assert.ok(moved >= 0.75 * episodes, `block moved in ${moved} of ${episodes} episodes`);
});

test("P2 success: position under 20 units and angle under pi/9", () => {
  const goal = [0, 0, 256, 256, 1, 0, 0, 0, 0, 0];
  assert.ok(pushTSuccess([0, 0, 256 + 19.9, 256, 1 + PUSH_T.successAngle - 1e-3], goal));
  assert.ok(!pushTSuccess([0, 0, 256 + 20.1, 256, 1], goal));
  assert.ok(!pushTSuccess([0, 0, 256, 256, 1 - Math.PI / 9 - 1e-3], goal));
  assert.ok(pushTSuccess([0, 0, 256, 256, 1 + 2 * Math.PI], goal), "angles wrap");
});
