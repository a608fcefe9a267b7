// P1 evaluation episodes: start and goal in different rooms of the same layout, so the
// agent must find the door. A pure function of the seed, so episode lists are reproducible.
import { Random } from "./random.ts";
import { TwoRooms, type TwoRoomsOptions } from "./two-rooms.ts";

/** One P1 evaluation episode: the layout is in the states (wallX, doorY). */
export interface TwoRoomsEvalEpisode {
  seed: number;
  /** Start state `[agentX, agentY, wallX, doorY]`. */
  start: Float64Array;
  /** Goal state, same layout, in the other room. */
  goal: Float64Array;
  startObservation: Uint8Array;
  goalObservation: Uint8Array;
}

/** P1's step budget for an evaluation episode. */
export const P1_BUDGET = 200;

/**
 * Samples a P1 evaluation episode: layout from `reset({ seed })`, start uniform in one room,
 * goal uniform in the other (the room of the start is a fair coin).
 */
export function sampleEvalEpisode(
  seed: number,
  opts: TwoRoomsOptions & { factors?: Record<string, unknown> } = {},
): TwoRoomsEvalEpisode {
  const { factors, ...envOptions } = opts;
  const env = new TwoRooms(envOptions);
  env.reset({ seed, options: factors ? { factors } : {} });
  const rng = new Random(seed ^ 0x5bd1e995);
  const startRoom: 0 | 1 = rng.float() < 0.5 ? 0 : 1;
  const margin = 2 * env.scale;
  const pick = (room: 0 | 1): Float64Array => {
    const [x0, y0, x1, y1] = env.roomBounds(room, margin);
    const state = env.getState();
    state[0] = rng.uniform(x0, x1);
    state[1] = rng.uniform(y0, y1);
    return state;
  };
  const start = pick(startRoom);
  const goal = pick(startRoom === 0 ? 1 : 0);
  env.setState(goal);
  const goalObservation = env.render();
  env.setState(start);
  return { seed, start, goal, startObservation: env.render(), goalObservation };
}
