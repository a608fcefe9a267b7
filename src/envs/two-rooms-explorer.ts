// P1's offline exploration policy for two-rooms: the heading follows a von Mises walk around
// the previous heading, the step length is N(1.0, 0.4) px clipped to [0.2, 1.8] (scaled with
// the image). As in PLDM's data (its `cross_wall_rate`), a share of episodes starts near the
// door and steers through it: until it has crossed, the von Mises walk is centred on the
// direction to a point just past the door. The share is tuned so that about a third of
// 17-frame episodes cross the door (measured in two-rooms-explorer.test.ts).
import type { Policy } from "./policy.ts";
import { Random } from "./random.ts";
import { P1, roomOf, type TwoRooms } from "./two-rooms.ts";

export interface TwoRoomsExplorerOptions {
  /** Von Mises concentration of the heading walk (about 0.5 rad per step at 4). */
  kappa?: number;
  /** Share of episodes that start near the door and steer through it. */
  crossRate?: number;
  /** Farthest start from the door for crossing episodes, in P1 px. */
  crossStartReach?: number;
  /** Step length distribution in P1 px: mean, std and clip range. */
  stepMean?: number;
  stepStd?: number;
  stepRange?: [number, number];
  /**
   * Turn around after a blocked step (default false). The reference data (PLDM / EB-JEPA)
   * keeps walking into a wall until the heading drifts off it; those blocked steps are what
   * teaches a world model that walls stop the agent, so turning away starves it of them.
   */
  turnOnBlock?: boolean;
}

/**
 * The P1 explorer for one episode. It may move the start (crossing episodes), so build it
 * right after `env.reset`. A blocked step keeps its heading unless `turnOnBlock`.
 */
export function twoRoomsExplorer(env: TwoRooms, seed: number, opts: TwoRoomsExplorerOptions = {}): Policy {
  const {
    kappa = 4,
    crossRate = 0.34,
    crossStartReach = 10,
    stepMean = 1.0,
    stepStd = 0.4,
    stepRange = [0.2, 1.8],
    turnOnBlock = false,
  } = opts;
  const rng = new Random(seed);
  const s = env.scale;
  const state0 = env.getState();
  const [, , wallX, doorY] = state0;
  const half = ((env.getFactors().wallThickness as number) * s) / 2;
  let heading = rng.uniform(-Math.PI, Math.PI);
  // Drawn always, so the stream does not depend on the branch taken.
  const crossing = rng.float() < crossRate;
  const side = rng.float() < 0.5 ? -1 : 1;
  const gap = rng.uniform(0.5, crossStartReach) * s;
  const offset = rng.uniform(-1, 1) * crossStartReach * 0.5 * s;
  let seeking = false;
  let startRoom = roomOf(state0);
  if (crossing) {
    const [x0, y0, x1, y1] = env.roomBounds(side < 0 ? 0 : 1);
    const x = Math.min(x1, Math.max(x0, wallX + side * (half + gap)));
    const y = Math.min(y1, Math.max(y0, doorY + offset));
    env.setState([x, y, wallX, doorY]);
    startRoom = side < 0 ? 0 : 1;
    seeking = true;
  }
  // The point just past the door, on the far side, that a crossing episode steers at.
  const targetX = wallX - side * (half + 2 * s);
  let last: Float64Array | undefined;
  let intended = 0;
  return {
    act() {
      const state = env.getState();
      if (seeking && roomOf(state) !== startRoom) seeking = false;
      if (turnOnBlock && last && !seeking) {
        const moved = Math.hypot(state[0] - last[0], state[1] - last[1]);
        if (moved < 0.5 * intended) heading += Math.PI;
      }
      const mean = seeking ? Math.atan2(doorY - state[1], targetX - state[0]) : heading;
      heading = rng.vonMises(mean, kappa);
      const [lo, hi] = stepRange;
      const length = Math.min(hi, Math.max(lo, rng.normal(stepMean, stepStd))) * s;
      last = state;
      intended = Math.min(length, P1.maxStep * s);
      return Float64Array.of(length * Math.cos(heading), length * Math.sin(heading));
    },
  };
}
