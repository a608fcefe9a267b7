// Push-T, protocol P2 (after Diffusion Policy and DINO-WM): a circular pusher moves a
// T-shaped block on a table in a 512-unit arena. Rigid bodies, contacts and friction are
// simulated by planck.js (a Box2D port); table friction is a friction joint between the
// block and the ground. The pusher is kinematic and follows a PD controller towards the
// action, a target position (Diffusion Policy's k_p = 100, k_v = 20, 100 Hz sim, 10 Hz control).
import { Box, Circle, Edge, FrictionJoint, type Body as PlanckBody, Vec2, World } from "planck";
import {
  type ActionSpace,
  type Env,
  type FactorSpec,
  type FactorValue,
  type ObservationSpace,
  type ResetOptions,
  type ResetResult,
  resolveFactors,
  type StepResult,
} from "./env.ts";
import { Random, wrapAngle } from "./random.ts";
import { createCanvas, drawDisk, drawShape, quantize } from "./raster.ts";

/** Arena, bodies and controller constants, in arena units (the arena is 512 x 512). */
export const PUSH_T = {
  arena: 512,
  pusherRadius: 15,
  /** planck works in metres; 100 arena units are one metre. */
  unitsPerMetre: 100,
  simHz: 100,
  controlHz: 10,
  kp: 100,
  kv: 20,
  /** Block density (kg/m^2), pusher-block friction, and table friction as a deceleration (m/s^2). */
  density: 1,
  contactFriction: 0.5,
  tableDeceleration: 5,
  /** P2 success: position error under 20 units and angle error under pi/9. */
  successDistance: 20,
  successAngle: Math.PI / 9,
} as const;

/** The T in its body frame (y down): bar 120 x 30 on top, stem 30 x 90 below, origin at the bar's top centre. */
export const T_BOXES: { cx: number; cy: number; hx: number; hy: number }[] = [
  { cx: 0, cy: 15, hx: 60, hy: 15 },
  { cx: 0, cy: 75, hx: 15, hy: 45 },
];

/** The T's outline (clockwise on screen), for contact points and drawing. */
export const T_OUTLINE: [number, number][] = [
  [-60, 0],
  [60, 0],
  [60, 30],
  [15, 30],
  [15, 120],
  [-15, 120],
  [-15, 30],
  [-60, 30],
];

/** P2's success test on states `[.., .., blockX, blockY, blockAngle, ...]`. */
export function pushTSuccess(state: ArrayLike<number>, goal: ArrayLike<number>): boolean {
  const d = Math.hypot(state[2] - goal[2], state[3] - goal[3]);
  return d < PUSH_T.successDistance && Math.abs(wrapAngle(state[4] - goal[4])) < PUSH_T.successAngle;
}

/** Distance from point (x, y) in the block frame to the T (0 inside). */
export function distanceToT(x: number, y: number): number {
  let best = Number.POSITIVE_INFINITY;
  for (const b of T_BOXES) {
    const dx = Math.max(0, Math.abs(x - b.cx) - b.hx);
    const dy = Math.max(0, Math.abs(y - b.cy) - b.hy);
    best = Math.min(best, Math.hypot(dx, dy));
  }
  return best;
}

/** Maps a point from the block frame to the arena, given the block pose. */
export function blockToWorld(x: number, y: number, bx: number, by: number, angle: number): [number, number] {
  const c = Math.cos(angle);
  const s = Math.sin(angle);
  return [bx + c * x - s * y, by + s * x + c * y];
}

export interface PushTOptions {
  /** Image side in pixels (default 64). */
  size?: number;
}

const FACTORS: FactorSpec[] = [
  { name: "backgroundColour", default: [240, 240, 240], physical: false, description: "table colour" },
  {
    name: "blockColour",
    default: [119, 136, 153],
    physical: false,
    description: "T colour (light slate grey)",
  },
  {
    name: "agentColour",
    default: [65, 105, 225],
    physical: false,
    description: "pusher colour (royal blue)",
  },
  {
    name: "agentSize",
    default: PUSH_T.pusherRadius,
    physical: false,
    description: "drawn pusher radius (units)",
  },
];

const STATE_NAMES = [
  "agentX",
  "agentY",
  "blockX",
  "blockY",
  "blockAngle",
  "agentVx",
  "agentVy",
  "blockVx",
  "blockVy",
  "blockOmega",
] as const;

/**
 * The push-t environment. State (arena units, radians, per second):
 * `[agentX, agentY, blockX, blockY, blockAngle, agentVx, agentVy, blockVx, blockVy, blockOmega]`.
 * Action: the pusher's target position `[x, y]` in [0, 512]. `info.touching` says whether
 * the pusher touched the block during the step. Reset options: `factors`, `state` (a full state).
 */
export class PushT implements Env {
  readonly id = "push-t";
  readonly observationSpace: ObservationSpace;
  readonly actionSpace: ActionSpace = { shape: [2], low: [0, 0], high: [PUSH_T.arena, PUSH_T.arena] };
  readonly stateSize = STATE_NAMES.length;
  readonly stateNames = STATE_NAMES;
  readonly factors = FACTORS;
  readonly size: number;
  private rng = new Random(0);
  private values = resolveFactors("push-t", FACTORS, undefined);
  private world!: World;
  private pusher!: PlanckBody;
  private block!: PlanckBody;

  constructor(opts: PushTOptions = {}) {
    const { size = 64 } = opts;
    if (!Number.isInteger(size) || size < 16)
      throw new Error(`push-t: size must be an integer >= 16, got ${size}`);
    this.size = size;
    this.observationSpace = { shape: [3, size, size], dtype: "uint8" };
    this.build(new Float64Array(this.stateSize).fill(0).fill(256, 0, 4));
  }

  /** Builds a fresh world at a state, so a state fully determines what follows. */
  private build(state: ArrayLike<number>): void {
    const m = 1 / PUSH_T.unitsPerMetre;
    const world = new World({ gravity: Vec2(0, 0) });
    const ground = world.createBody();
    const a = PUSH_T.arena * m;
    // Walls around the table keep the block in the arena.
    for (const [p, q] of [
      [Vec2(0, 0), Vec2(a, 0)],
      [Vec2(a, 0), Vec2(a, a)],
      [Vec2(a, a), Vec2(0, a)],
      [Vec2(0, a), Vec2(0, 0)],
    ])
      ground.createFixture(new Edge(p, q), { friction: 0 });
    const block = world.createBody({
      type: "dynamic",
      position: Vec2(state[2] * m, state[3] * m),
      angle: state[4],
      allowSleep: false,
    });
    for (const b of T_BOXES) {
      block.createFixture(new Box(b.hx * m, b.hy * m, Vec2(b.cx * m, b.cy * m), 0), {
        density: PUSH_T.density,
        friction: PUSH_T.contactFriction,
      });
    }
    block.setLinearVelocity(Vec2(state[7] * m, state[8] * m));
    block.setAngularVelocity(state[9]);
    const force = block.getMass() * PUSH_T.tableDeceleration;
    // Torque limit: the same friction acting at the block's radius of gyration.
    const gyration = Math.sqrt(block.getInertia() / block.getMass());
    world.createJoint(
      new FrictionJoint(
        { maxForce: force, maxTorque: force * gyration },
        ground,
        block,
        block.getWorldCenter(),
      ),
    );
    const pusher = world.createBody({
      type: "kinematic",
      position: Vec2(state[0] * m, state[1] * m),
      allowSleep: false,
    });
    pusher.createFixture(new Circle(PUSH_T.pusherRadius * m), { friction: PUSH_T.contactFriction });
    pusher.setLinearVelocity(Vec2(state[5] * m, state[6] * m));
    this.world = world;
    this.pusher = pusher;
    this.block = block;
  }

  reset(opts: ResetOptions = {}): ResetResult {
    const { seed, options = {} } = opts;
    if (seed !== undefined) this.rng = new Random(seed);
    this.values = resolveFactors(this.id, FACTORS, options);
    const given = options.state as number[] | undefined;
    if (given) {
      this.setState(given);
      return { observation: this.render(), info: {} };
    }
    const state = new Float64Array(this.stateSize);
    state[2] = this.rng.uniform(120, 392);
    state[3] = this.rng.uniform(120, 392);
    state[4] = this.rng.uniform(-Math.PI, Math.PI);
    // The pusher starts clear of the block (rejection sampling).
    for (;;) {
      state[0] = this.rng.uniform(40, 472);
      state[1] = this.rng.uniform(40, 472);
      const [lx, ly] = this.toBlockFrame(state[0], state[1], state[2], state[3], state[4]);
      if (distanceToT(lx, ly) > PUSH_T.pusherRadius + 10) break;
    }
    this.build(state);
    return { observation: this.render(), info: {} };
  }

  private toBlockFrame(x: number, y: number, bx: number, by: number, angle: number): [number, number] {
    const c = Math.cos(angle);
    const s = Math.sin(angle);
    return [c * (x - bx) + s * (y - by), -s * (x - bx) + c * (y - by)];
  }

  step(action: ArrayLike<number>): StepResult {
    const m = 1 / PUSH_T.unitsPerMetre;
    const r = PUSH_T.pusherRadius;
    const tx = Math.min(PUSH_T.arena - r, Math.max(r, Number(action[0]))) * m;
    const ty = Math.min(PUSH_T.arena - r, Math.max(r, Number(action[1]))) * m;
    if (!Number.isFinite(tx) || !Number.isFinite(ty))
      throw new Error("push-t: action must be 2 finite numbers");
    // Rebuild from the state vector so that a state alone determines the step (no contact
    // caches carried over): setState then step is exact, which planning and checkEnv rely on.
    this.build(this.getState());
    const dt = 1 / PUSH_T.simHz;
    let touching = false;
    for (let k = 0; k < PUSH_T.simHz / PUSH_T.controlHz; k++) {
      const p = this.pusher.getPosition();
      const v = this.pusher.getLinearVelocity();
      // PD control of the kinematic pusher's velocity towards the target.
      const ax = PUSH_T.kp * (tx - p.x) - PUSH_T.kv * v.x;
      const ay = PUSH_T.kp * (ty - p.y) - PUSH_T.kv * v.y;
      this.pusher.setLinearVelocity(Vec2(v.x + ax * dt, v.y + ay * dt));
      this.world.step(dt, 8, 3);
      for (let c = this.world.getContactList(); c; c = c.getNext()) {
        const bodyA = c.getFixtureA().getBody();
        const bodyB = c.getFixtureB().getBody();
        const pair =
          (bodyA === this.pusher && bodyB === this.block) || (bodyA === this.block && bodyB === this.pusher);
        if (pair && c.isTouching()) touching = true;
      }
    }
    return { observation: this.render(), reward: 0, terminated: false, truncated: false, info: { touching } };
  }

  getState(): Float64Array {
    const u = PUSH_T.unitsPerMetre;
    const p = this.pusher.getPosition();
    const pv = this.pusher.getLinearVelocity();
    const b = this.block.getPosition();
    const bv = this.block.getLinearVelocity();
    return Float64Array.of(
      p.x * u,
      p.y * u,
      b.x * u,
      b.y * u,
      this.block.getAngle(),
      pv.x * u,
      pv.y * u,
      bv.x * u,
      bv.y * u,
      this.block.getAngularVelocity(),
    );
  }

  setState(state: ArrayLike<number>): void {
    if (state.length !== this.stateSize) {
      throw new Error(`push-t: state must have ${this.stateSize} entries, got ${state.length}`);
    }
    this.build(state);
  }

  getFactors(): Record<string, FactorValue> {
    return structuredClone(this.values);
  }

  render(): Uint8Array {
    const k = this.size / PUSH_T.arena;
    const canvas = createCanvas(3, this.size, this.size, this.values.backgroundColour as number[]);
    const s = this.getState();
    // The T as one union (drawing its two boxes separately would leave a seam).
    const c = Math.cos(s[4]);
    const sn = Math.sin(s[4]);
    const inside = (px: number, py: number): boolean => {
      const dx = px / k - s[2];
      const dy = py / k - s[3];
      const lx = c * dx + sn * dy;
      const ly = -sn * dx + c * dy;
      return T_BOXES.some((b) => Math.abs(lx - b.cx) <= b.hx && Math.abs(ly - b.cy) <= b.hy);
    };
    const reach = 125 * k; // the T lies within 121 units of its origin
    const box = { x0: s[2] * k - reach, y0: s[3] * k - reach, x1: s[2] * k + reach, y1: s[3] * k + reach };
    drawShape(canvas, inside, box, this.values.blockColour as number[]);
    drawDisk(
      canvas,
      s[0] * k,
      s[1] * k,
      (this.values.agentSize as number) * k,
      this.values.agentColour as number[],
    );
    return quantize(canvas);
  }
}
