// A scripted data policy for push-t that actually pushes the block: pick a point on the T's
// outline, go round to just outside it (via a point well clear of the block), then push
// through it along the inward normal for a random distance; repeat. Targets are jittered.
import type { Policy } from "./policy.ts";
import { blockToWorld, PUSH_T, type PushT, T_OUTLINE } from "./push-t.ts";
import { Random } from "./random.ts";

export interface PushTPusherOptions {
  /** Largest pusher move per control step, in arena units. */
  maxMove?: number;
  /** Push distance range past the contact point, in arena units. */
  pushRange?: [number, number];
  /** Std of the jitter added to every target. */
  jitter?: number;
}

/** The scripted pusher for one episode of push-t. */
export function pushTPusher(env: PushT, seed: number, opts: PushTPusherOptions = {}): Policy {
  const { maxMove = 25, pushRange = [20, 80], jitter = 2 } = opts;
  const rng = new Random(seed);
  // Outline edges with their lengths and outward normals (the outline is clockwise on screen).
  const edges = T_OUTLINE.map((p, i) => {
    const q = T_OUTLINE[(i + 1) % T_OUTLINE.length];
    const length = Math.hypot(q[0] - p[0], q[1] - p[1]);
    return { p, q, length, nx: (q[1] - p[1]) / length, ny: -(q[0] - p[0]) / length };
  });
  const perimeter = edges.reduce((a, e) => a + e.length, 0);
  let waypoints: [number, number][] = [];

  const plan = (): void => {
    const s = env.getState();
    let u = rng.uniform(0, perimeter);
    let e = edges[0];
    for (const edge of edges) {
      e = edge;
      if (u < edge.length) break;
      u -= edge.length;
    }
    const t = Math.min(1, u / e.length);
    const px = e.p[0] + t * (e.q[0] - e.p[0]);
    const py = e.p[1] + t * (e.q[1] - e.p[1]);
    const r = PUSH_T.pusherRadius;
    const push = rng.uniform(pushRange[0], pushRange[1]);
    const at = (d: number): [number, number] => blockToWorld(px + e.nx * d, py + e.ny * d, s[2], s[3], s[4]);
    waypoints = [at(r + 70), at(r + 8), at(-push)];
  };

  return {
    act() {
      const s = env.getState();
      if (waypoints.length === 0) plan();
      let [wx, wy] = waypoints[0];
      const d = Math.hypot(wx - s[0], wy - s[1]);
      if (d <= maxMove) waypoints.shift();
      else {
        wx = s[0] + ((wx - s[0]) * maxMove) / d;
        wy = s[1] + ((wy - s[1]) * maxMove) / d;
      }
      const lim = (v: number) => Math.min(PUSH_T.arena, Math.max(0, v + rng.normal(0, jitter)));
      return Float64Array.of(lim(wx), lim(wy));
    },
  };
}
