import assert from "node:assert/strict";
import { test } from "node:test";
import { roomOf, TwoRooms } from "./two-rooms.ts";
import { twoRoomsExplorer } from "./two-rooms-explorer.ts";

/** Share of 17-frame episodes (16 steps) of the P1 explorer that visit both rooms. */
function crossingShare(episodes: number, size = 64): number {
  const env = new TwoRooms({ size });
  let crossed = 0;
  for (let e = 0; e < episodes; e++) {
    env.reset({ seed: e });
    const policy = twoRoomsExplorer(env, 1_000_000 + e);
    const first = roomOf(env.getState());
    let other = false;
    for (let t = 0; t < 16; t++) {
      env.step(policy.act());
      if (roomOf(env.getState()) !== first) other = true;
    }
    if (other) crossed++;
  }
  return crossed / episodes;
}

test("about a third of 17-frame explorer clips cross the door (P1)", () => {
  const share = crossingShare(2000);
  // 2000 episodes: the binomial std is about 0.011.
  assert.ok(share > 0.28 && share < 0.39, `crossing share ${share}`);
  const small = crossingShare(600, 32);
  assert.ok(small > 0.22 && small < 0.45, `crossing share at 32 px ${small}`);
});

test("explorer steps follow N(1.0, 0.4) clipped to [0.2, 1.8] px (scaled)", () => {
  const env = new TwoRooms({ size: 65 });
  env.reset({ seed: 1 });
  const policy = twoRoomsExplorer(env, 2);
  const lengths: number[] = [];
  for (let t = 0; t < 3000; t++) {
    const a = policy.act();
    lengths.push(Math.hypot(a[0], a[1]));
    env.step(a);
  }
  assert.ok(Math.min(...lengths) >= 0.2 - 1e-12 && Math.max(...lengths) <= 1.8 + 1e-12);
  const mean = lengths.reduce((a, b) => a + b, 0) / lengths.length;
  assert.ok(Math.abs(mean - 1.0) < 0.03, `mean step ${mean}`);
});
