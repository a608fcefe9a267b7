import assert from "node:assert/strict";
import { test } from "node:test";
import { Random } from "./random.ts";
import { P1, roomOf, TwoRooms, twoRoomsSuccess } from "./two-rooms.ts";
import { sampleEvalEpisode } from "./two-rooms-eval.ts";

test("the agent never enters a wall and changes room only through the door", () => {
  const rng = new Random(1);
  let crossings = 0;
  let blocked = 0;
  for (const size of [64, 65, 32]) {
    const env = new TwoRooms({ size });
    const max = P1.maxStep * env.scale;
    for (let episode = 0; episode < 60; episode++) {
      env.reset({ seed: episode });
      const boxes = env.obstacles();
      const [, , wallX, doorY] = env.getState();
      const door = (P1.doorWidth * env.scale) / 2;
      for (let t = 0; t < 150; t++) {
        const [x, y] = env.getState();
        // Large actions (up to 2x the clip) and a bias towards the wall make contacts frequent.
        const a = [rng.uniform(-2 * max, 2 * max) + (wallX - x) * 0.05, rng.uniform(-2 * max, 2 * max)];
        const r = env.step(a);
        const [nx, ny] = env.getState();
        assert.ok(Math.hypot(nx - x, ny - y) <= max + 1e-9, "moved further than the clipped action");
        for (const [x0, y0, x1, y1] of boxes) {
          assert.ok(!(nx > x0 && nx < x1 && ny > y0 && ny < y1), `agent inside a wall at (${nx}, ${ny})`);
        }
        if (r.info.blocked) blocked++;
        if ((x - wallX) * (nx - wallX) < 0) {
          crossings++;
          const yAtWall = y + ((ny - y) * (wallX - x)) / (nx - x);
          assert.ok(
            Math.abs(yAtWall - doorY) < door,
            `crossed the wall at y=${yAtWall}, door is ${doorY} +- ${door}`,
          );
        }
      }
    }
  }
  assert.ok(crossings > 20, `only ${crossings} door crossings: the test did not exercise the door`);
  assert.ok(blocked > 100, `only ${blocked} blocked steps: the test did not exercise contacts`);
});

test("a move into the wall stops at contact", () => {
  const env = new TwoRooms({ size: 65 });
  env.reset({ seed: 0, options: { factors: { wallPosition: 0.5, doorPosition: 0.2 } } });
  env.setState([30, 50, 32.5, 13]);
  env.step([2.4, 0]);
  const [x, y] = env.getState();
  assert.ok(Math.abs(x - 31) < 1e-6, `stopped at x=${x}, wall face is at 31`);
  assert.equal(y, 50);
  env.step([2.4, 0]);
  assert.ok(Math.abs(env.getState()[0] - 31) < 1e-6, "pushed through the wall");
});

test("actions are clipped to norm 2.45 px at 65 px, scaled with the size", () => {
  for (const size of [65, 32]) {
    const env = new TwoRooms({ size, fixedWall: true });
    env.reset({ seed: 3 });
    const [x0, y0, x1, y1] = env.roomBounds(0, 0);
    env.setState([(x0 + x1) / 2, (y0 + y1) / 2, size / 2, size / 2]);
    const before = env.getState();
    env.step([0.3, 0.3 * 0]);
    env.step([-100, 0]);
    const after = env.getState();
    const moved = Math.hypot(after[0] - before[0] - 0.3, after[1] - before[1]);
    assert.ok(Math.abs(moved - (2.45 * size) / 65) < 1e-9 || after[0] <= x0 + 1e-9, `moved ${moved}`);
  }
});

test("the fixed-wall variant puts wall and door at the centre; the random one varies", () => {
  const fixed = new TwoRooms({ fixedWall: true });
  const random = new TwoRooms();
  const walls = new Set<number>();
  for (let s = 0; s < 20; s++) {
    fixed.reset({ seed: s });
    assert.equal(fixed.getState()[2], 32);
    assert.equal(fixed.getState()[3], 32);
    random.reset({ seed: s });
    walls.add(random.getState()[2]);
    const w = random.getState()[2] / 64;
    assert.ok(w >= P1.wallRange[0] && w <= P1.wallRange[1]);
  }
  assert.equal(walls.size, 20);
});

test("the success test is 4.5 px at 65 px, scaled with the size", () => {
  assert.ok(twoRoomsSuccess([10, 10], [14.4, 10], 65));
  assert.ok(!twoRoomsSuccess([10, 10], [14.6, 10], 65));
  assert.ok(twoRoomsSuccess([10, 10], [12.2, 10], 32));
  assert.ok(!twoRoomsSuccess([10, 10], [12.3, 10], 32));
});

test("evaluation episodes put start and goal in different rooms, reproducibly", () => {
  for (let seed = 0; seed < 50; seed++) {
    const e = sampleEvalEpisode(seed);
    assert.notEqual(roomOf(e.start), roomOf(e.goal));
    assert.deepEqual(e.start.subarray(2), e.goal.subarray(2), "start and goal share the layout");
    assert.deepEqual(sampleEvalEpisode(seed).goalObservation, e.goalObservation);
  }
});

test("factors change only what they name: colours re-render, thickness changes the walls", () => {
  const env = new TwoRooms();
  const plain = env.reset({ seed: 9 }).observation;
  const state = env.getState();
  const tinted = env.reset({ seed: 9, options: { factors: { backgroundColour: [20, 30] } } }).observation;
  assert.deepEqual(env.getState(), state, "a visual factor changed the state");
  assert.equal(tinted[0], 20);
  assert.equal(plain[0], 0);
  const thick = env.reset({ seed: 9, options: { factors: { wallThickness: 6 } } }).observation;
  const wallPixels = (o: Uint8Array) => o.subarray(64 * 64).filter((v) => v > 128).length;
  assert.ok(wallPixels(thick) > wallPixels(plain) + 100);
});
