// Planning tasks for the Break view's sweeps: a start from the layout's reset and a goal at a
// given distance in the same room (a pure function of the seed, so every severity of a sweep
// plans the same episodes and the comparison is paired, as in P4).
import { Random } from "../../src/envs/index.ts";
import type { Scene } from "./scene.ts";

/** A goal `distance` px from the start in a random direction, kept inside the start's room. */
export function sampleNearbyGoal(
  scene: Scene,
  start: ArrayLike<number>,
  distance: number,
  seed: number,
): [number, number] {
  const room = scene.roomAt(start[0], start[1]);
  if (!room) throw new Error(`start (${start[0]}, ${start[1]}) is not inside a room`);
  const [x0, y0, x1, y1] = room;
  const rng = new Random(seed ^ 0x60a1);
  let best: [number, number] = [start[0], start[1]];
  let bestGap = Number.POSITIVE_INFINITY;
  for (let k = 0; k < 32; k++) {
    const angle = rng.uniform(-Math.PI, Math.PI);
    const x = Math.min(Math.max(start[0] + distance * Math.cos(angle), x0), x1);
    const y = Math.min(Math.max(start[1] + distance * Math.sin(angle), y0), y1);
    // Keep the first direction whose clamped goal lies at the asked distance.
    const gap = Math.abs(Math.hypot(x - start[0], y - start[1]) - distance);
    if (gap < bestGap) {
      best = [x, y];
      bestGap = gap;
    }
    if (gap < 1e-6) break;
  }
  return best;
}
