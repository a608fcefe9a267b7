// Invariants of the smaller worlds: point-maze, bouncing sprites, shapes.
import assert from "node:assert/strict";
import { test } from "node:test";
import { BouncingSprites } from "./bouncing-sprites.ts";
import { MAZES, POINT_MAZE_PHYSICS, PointMaze, pointMazeExplorer } from "./point-maze.ts";
import { Random } from "./random.ts";
import { generateShapes, SHAPE_AREAS, Shapes } from "./shapes.ts";

test("the point mass never overlaps a wall cell, in every layout", () => {
  const rng = new Random(3);
  const r = POINT_MAZE_PHYSICS.radius;
  let contacts = 0;
  for (const layout of Object.keys(MAZES)) {
    const env = new PointMaze({ layout });
    for (let e = 0; e < 10; e++) {
      env.reset({ seed: e });
      const policy = pointMazeExplorer(env, e);
      for (let t = 0; t < 100; t++) {
        const res = env.step(t % 2 ? policy.act() : [rng.uniform(-1, 1), rng.uniform(-1, 1)]);
        if (res.info.contact) contacts++;
        const [x, y] = env.getState();
        for (let row = Math.floor(y - r + 1e-9); row < Math.ceil(y + r - 1e-9); row++)
          for (let col = Math.floor(x - r + 1e-9); col < Math.ceil(x + r - 1e-9); col++)
            assert.ok(
              !env.isWall(row, col),
              `${layout}: agent at (${x}, ${y}) overlaps wall cell (${row}, ${col})`,
            );
      }
    }
  }
  assert.ok(contacts > 50, `only ${contacts} wall contacts`);
});

test("the point mass has inertia: it keeps moving after the force stops", () => {
  const env = new PointMaze({ layout: "open" });
  env.reset({ seed: 0, options: { agent: [1.5, 2.5] } });
  env.step([1, 0]);
  const [x1, , vx] = env.getState();
  env.step([0, 0]);
  assert.ok(vx > 0 && env.getState()[0] > x1);
});

test("sprites stay in the box and one teleports at the chosen step", () => {
  const env = new BouncingSprites({ sprites: 3 });
  env.reset({ seed: 1, options: { teleportStep: 7 } });
  const r = 5;
  let previous = env.getState();
  for (let t = 1; t <= 200; t++) {
    const res = env.step([]);
    const s = env.getState();
    for (let k = 0; k < 3; k++) {
      assert.ok(s[4 * k] >= r && s[4 * k] <= 64 - r && s[4 * k + 1] >= r && s[4 * k + 1] <= 64 - r);
      const jump = Math.hypot(s[4 * k] - previous[4 * k], s[4 * k + 1] - previous[4 * k + 1]);
      const speed = Math.hypot(previous[4 * k + 2], previous[4 * k + 3]);
      if (t !== 7 || k !== 0) assert.ok(jump <= speed + 1e-9, `sprite ${k} jumped ${jump} at step ${t}`);
    }
    assert.equal(res.info.teleported, t === 7);
    previous = s;
  }
});

test("bouncing sprites with drawn appearance: random shapes and colours of equal area, inside the box", () => {
  const shapes = ["circle", "square", "triangle", "cross"] as const;
  const env = new BouncingSprites({ size: 64, sprites: 1, shapes, radiusRange: [8, 8], randomColours: true });
  const pixels = new Map<number, number[]>();
  const colours = new Set<string>();
  for (let seed = 0; seed < 40; seed++) {
    const frame = env.reset({ seed }).observation;
    const [a] = env.appearance();
    assert.ok(a.shape >= 0 && a.shape < 4 && a.radius === 8);
    colours.add(a.colour.join(","));
    // Coverage of the sprite: its summed excess over the background, in sprite-colour units.
    let area = 0;
    for (let c = 0; c < 3; c++)
      for (let p = 0; p < 64 * 64; p++)
        area += (frame[c * 4096 + p] - [10, 10, 30][c]) / (a.colour[c] - [10, 10, 30][c]) / 3;
    pixels.set(a.shape, [...(pixels.get(a.shape) ?? []), area]);
    for (let t = 0; t < 30; t++) {
      env.step([]);
      const [x, y] = env.getState();
      const half = a.radius * Math.sqrt(Math.PI / SHAPE_AREAS[a.shape]); // the shape's bounding half-width
      assert.ok(
        Math.min(x, y) >= half - 1e-9 && Math.max(x, y) <= 64 - half + 1e-9,
        `${x}, ${y} within ${half}`,
      );
    }
    assert.deepEqual(env.reset({ seed }).observation, frame, "same seed, same bytes");
  }
  assert.equal(pixels.size, 4);
  assert.ok(colours.size > 30);
  for (const [shape, areas] of pixels)
    for (const area of areas) assert.ok(Math.abs(area - Math.PI * 64) < 8, `shape ${shape}: area ${area} px`);
  // Without the options: even disks, odd squares, in the factors' colours.
  const plain = new BouncingSprites({ sprites: 2 });
  plain.reset({ seed: 0 });
  assert.deepEqual(
    plain.appearance().map((a) => a.shape),
    [0, 1],
  );
  assert.throws(
    () => new BouncingSprites({ shapes: ["hexagon" as "circle"] }),
    /shapes must be a non-empty list/,
  );
});

test("generateShapes is seeded, labelled, and its labels match the renderer", () => {
  const a = generateShapes(4, 50, { size: 32 });
  assert.deepEqual(generateShapes(4, 50, { size: 32 }).images, a.images);
  assert.deepEqual(a.shape, [50, 3, 32, 32]);
  assert.equal(new Set(a.labels).size, 5);
  const env = new Shapes({ size: 32 });
  // Re-render image 10 from its label and factors: the same bytes.
  env.reset({ seed: 0 });
  env.setState([a.labels[10], ...a.factors.subarray(60, 66)]);
  assert.deepEqual(env.render(), a.images.subarray(10 * 3072, 11 * 3072));
});
