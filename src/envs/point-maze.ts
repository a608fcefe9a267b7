// Point-maze: a point mass with inertia in a small grid maze (the D4RL layouts), seen from
// above as an RGB image. Actions are accelerations; the agent stops against walls (the
// blocked velocity component is zeroed). Lengths are in maze cells; a cell is 1 x 1.
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
import { Random } from "./random.ts";
import { type Canvas, createCanvas, drawDisk, drawRect, quantize } from "./raster.ts";

/** Maze layouts, '#' wall and '.' floor (D4RL's open, u-maze and medium mazes). */
export const MAZES: Record<string, string[]> = {
  open: ["#######", "#.....#", "#.....#", "#.....#", "#######"],
  "u-maze": ["#####", "#...#", "###.#", "#...#", "#####"],
  medium: ["########", "#..##..#", "#..#...#", "##...###", "#..#...#", "#.#..#.#", "#...#..#", "########"],
};

/** Physics constants: control at 10 Hz, simulated at 50 Hz. */
export const POINT_MAZE_PHYSICS = {
  controlDt: 0.1,
  substeps: 5,
  /** Acceleration in cells/s^2 at action 1. */
  acceleration: 10,
  /** Linear drag per second (the velocity decays as exp(-drag t) with no action). */
  drag: 2,
  maxSpeed: 3,
  /** Collision radius of the agent, in cells. */
  radius: 0.2,
} as const;

export interface PointMazeOptions {
  /** Image side in pixels (default 64). */
  size?: number;
  /** One of MAZES (default "u-maze"). */
  layout?: string;
}

const FACTORS: FactorSpec[] = [
  { name: "backgroundColour", default: [225, 225, 215], physical: false, description: "floor colour" },
  { name: "wallColour", default: [70, 80, 110], physical: false, description: "wall colour" },
  { name: "agentColour", default: [220, 60, 40], physical: false, description: "agent colour" },
  { name: "agentSize", default: 0.25, physical: false, description: "drawn agent radius in cells" },
];

/** Success: the agent within `radius` cells of the goal position. */
export function pointMazeSuccess(state: ArrayLike<number>, goal: ArrayLike<number>, radius = 0.5): boolean {
  return Math.hypot(state[0] - goal[0], state[1] - goal[1]) < radius;
}

/**
 * The point-maze environment. State `[x, y, vx, vy]` in cells and cells/s (x right, y
 * down); action `[ax, ay]` in [-1, 1]. Reset options: `factors`, `agent: [x, y]`.
 */
export class PointMaze implements Env {
  readonly id = "point-maze";
  readonly observationSpace: ObservationSpace;
  readonly actionSpace: ActionSpace = { shape: [2], low: [-1, -1], high: [1, 1] };
  readonly stateSize = 4;
  readonly stateNames = ["x", "y", "vx", "vy"] as const;
  readonly factors = FACTORS;
  readonly size: number;
  readonly layout: string;
  readonly grid: string[];
  /** Pixels per cell, and the image offset of cell (0, 0). */
  readonly cellPixels: number;
  private readonly offset: [number, number];
  private rng = new Random(0);
  private values = resolveFactors("point-maze", FACTORS, undefined);
  private state = new Float64Array(4);
  private base: Canvas | undefined;

  constructor(opts: PointMazeOptions = {}) {
    const { size = 64, layout = "u-maze" } = opts;
    const grid = MAZES[layout];
    if (!grid)
      throw new Error(`point-maze: unknown layout "${layout}"; known: ${Object.keys(MAZES).join(", ")}`);
    if (!Number.isInteger(size) || size < 16)
      throw new Error(`point-maze: size must be an integer >= 16, got ${size}`);
    this.size = size;
    this.layout = layout;
    this.grid = grid;
    this.cellPixels = size / Math.max(grid.length, grid[0].length);
    this.offset = [(size - grid[0].length * this.cellPixels) / 2, (size - grid.length * this.cellPixels) / 2];
    this.observationSpace = { shape: [3, size, size], dtype: "uint8" };
  }

  /** True when cell (row, col) is a wall (outside the grid counts as wall). */
  isWall(row: number, col: number): boolean {
    const line = this.grid[row];
    return line === undefined || line[col] !== ".";
  }

  /** The floor cells as [row, col]. */
  freeCells(): [number, number][] {
    const out: [number, number][] = [];
    this.grid.forEach((line, r) => {
      for (let c = 0; c < line.length; c++) if (line[c] === ".") out.push([r, c]);
    });
    return out;
  }

  /** True when the agent's square of half-side `radius` at (x, y) overlaps a wall cell. */
  collides(x: number, y: number): boolean {
    const r = POINT_MAZE_PHYSICS.radius;
    for (let row = Math.floor(y - r); row < Math.ceil(y + r); row++)
      for (let col = Math.floor(x - r); col < Math.ceil(x + r); col++) if (this.isWall(row, col)) return true;
    return false;
  }

  reset(opts: ResetOptions = {}): ResetResult {
    const { seed, options = {} } = opts;
    if (seed !== undefined) this.rng = new Random(seed);
    this.values = resolveFactors(this.id, FACTORS, options);
    const cells = this.freeCells();
    const [row, col] = cells[this.rng.int(cells.length)];
    const r = POINT_MAZE_PHYSICS.radius;
    const x = col + this.rng.uniform(r, 1 - r);
    const y = row + this.rng.uniform(r, 1 - r);
    const agent = options.agent as number[] | undefined;
    this.state.set([agent ? agent[0] : x, agent ? agent[1] : y, 0, 0]);
    this.base = undefined;
    return { observation: this.render(), info: {} };
  }

  step(action: ArrayLike<number>): StepResult {
    const { controlDt, substeps, acceleration, drag, maxSpeed, radius } = POINT_MAZE_PHYSICS;
    const ax = Math.max(-1, Math.min(1, Number(action[0]))) * acceleration;
    const ay = Math.max(-1, Math.min(1, Number(action[1]))) * acceleration;
    if (!Number.isFinite(ax) || !Number.isFinite(ay))
      throw new Error("point-maze: action must be 2 finite numbers");
    const dt = controlDt / substeps;
    let [x, y, vx, vy] = this.state;
    let contact = false;
    for (let k = 0; k < substeps; k++) {
      // Semi-implicit Euler: velocity first (force, then drag and the speed limit), then position.
      vx = (vx + ax * dt) * Math.exp(-drag * dt);
      vy = (vy + ay * dt) * Math.exp(-drag * dt);
      const speed = Math.hypot(vx, vy);
      if (speed > maxSpeed) {
        vx *= maxSpeed / speed;
        vy *= maxSpeed / speed;
      }
      // Axis by axis: a blocked move stops flush against the wall cell and zeroes that velocity.
      if (this.collides(x + vx * dt, y)) {
        x = vx > 0 ? Math.ceil(x + radius) - radius : Math.floor(x - radius) + radius;
        vx = 0;
        contact = true;
      } else x += vx * dt;
      if (this.collides(x, y + vy * dt)) {
        y = vy > 0 ? Math.ceil(y + radius) - radius : Math.floor(y - radius) + radius;
        vy = 0;
        contact = true;
      } else y += vy * dt;
    }
    this.state.set([x, y, vx, vy]);
    return { observation: this.render(), reward: 0, terminated: false, truncated: false, info: { contact } };
  }

  getState(): Float64Array {
    return this.state.slice();
  }

  setState(state: ArrayLike<number>): void {
    if (state.length !== 4) throw new Error(`point-maze: state must have 4 entries, got ${state.length}`);
    this.state.set(Array.from(state));
  }

  getFactors(): Record<string, FactorValue> {
    return structuredClone(this.values);
  }

  render(): Uint8Array {
    const p = this.cellPixels;
    const [ox, oy] = this.offset;
    if (!this.base) {
      const base = createCanvas(3, this.size, this.size, this.values.backgroundColour as number[]);
      const wall = this.values.wallColour as number[];
      // Wall coverage as one union (cells drawn one by one would leave seams between them).
      const mask = createCanvas(1, this.size, this.size, [0]);
      this.grid.forEach((line, r) => {
        for (let c = 0; c < line.length; c++)
          if (line[c] !== ".")
            drawRect(mask, ox + c * p, oy + r * p, ox + (c + 1) * p, oy + (r + 1) * p, [1], "add");
      });
      const plane = this.size * this.size;
      for (let k = 0; k < plane; k++) {
        const a = Math.min(1, mask.data[k]);
        for (let ch = 0; ch < 3; ch++)
          base.data[ch * plane + k] += (wall[ch] - base.data[ch * plane + k]) * a;
      }
      this.base = base;
    }
    const canvas = { ...this.base, data: this.base.data.slice() };
    const radius = (this.values.agentSize as number) * p;
    drawDisk(
      canvas,
      ox + this.state[0] * p,
      oy + this.state[1] * p,
      radius,
      this.values.agentColour as number[],
    );
    return quantize(canvas);
  }
}

/** A smooth random-force policy for data: a_t = 0.8 a_{t-1} + 0.5 N(0, I), clipped to [-1, 1]. */
export function pointMazeExplorer(_env: PointMaze, seed: number): { act(): Float64Array } {
  const rng = new Random(seed);
  const a = [rng.uniform(-1, 1), rng.uniform(-1, 1)];
  return {
    act() {
      for (let k = 0; k < 2; k++) a[k] = Math.max(-1, Math.min(1, 0.8 * a[k] + 0.5 * rng.normal()));
      return Float64Array.from(a);
    },
  };
}
