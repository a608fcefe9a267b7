// Environments and data policies by name, for the CLI, data collection (worker threads
// rebuild envs from a name and JSON options) and the web app.
import { BouncingSprites, type BouncingSpritesOptions } from "./bouncing-sprites.ts";
import type { Env } from "./env.ts";
import { PointMaze, type PointMazeOptions, pointMazeExplorer } from "./point-maze.ts";
import { type Policy, uniformPolicy } from "./policy.ts";
import { PushT, type PushTOptions } from "./push-t.ts";
import { pushTPusher } from "./push-t-pusher.ts";
import { Shapes, type ShapesOptions } from "./shapes.ts";
import { TwoRooms, type TwoRoomsOptions } from "./two-rooms.ts";
import { twoRoomsExplorer } from "./two-rooms-explorer.ts";

/** Constructor options of each registered env. */
export interface EnvOptionsByName {
  "two-rooms": TwoRoomsOptions;
  "point-maze": PointMazeOptions;
  "push-t": PushTOptions;
  "bouncing-sprites": BouncingSpritesOptions;
  shapes: ShapesOptions;
}

export type EnvName = keyof EnvOptionsByName;

const OPTION_KEYS: Record<EnvName, string[]> = {
  "two-rooms": ["size", "fixedWall"],
  "point-maze": ["size", "layout"],
  "push-t": ["size"],
  "bouncing-sprites": ["size", "sprites", "speedRange", "shapes", "radiusRange", "randomColours"],
  shapes: ["size", "classes", "sizeRange"],
};

export const ENV_NAMES = Object.keys(OPTION_KEYS) as EnvName[];

/**
 * Builds an env by name. Options are checked against the env's known keys, so a misspelt
 * option from the command line or a manifest is an error, not a silent default.
 */
export function makeEnv<N extends EnvName>(name: N, options?: EnvOptionsByName[N]): Env;
export function makeEnv(name: string, options?: Record<string, unknown>): Env;
export function makeEnv(name: string, options: Record<string, unknown> = {}): Env {
  const keys = OPTION_KEYS[name as EnvName];
  if (!keys) throw new Error(`unknown env "${name}"; known: ${ENV_NAMES.join(", ")}`);
  for (const key of Object.keys(options)) {
    if (!keys.includes(key)) throw new Error(`${name}: unknown option "${key}"; known: ${keys.join(", ")}`);
  }
  switch (name as EnvName) {
    case "two-rooms":
      return new TwoRooms(options as TwoRoomsOptions);
    case "point-maze":
      return new PointMaze(options as PointMazeOptions);
    case "push-t":
      return new PushT(options as PushTOptions);
    case "bouncing-sprites":
      return new BouncingSprites(options as BouncingSpritesOptions);
    case "shapes":
      return new Shapes(options as ShapesOptions);
  }
  throw new Error(`unknown env "${name}"`);
}

/** Data policies: "random" (uniform actions) and "explore" (each env's exploration policy). */
export const POLICY_NAMES = ["explore", "random"] as const;
export type PolicyName = (typeof POLICY_NAMES)[number];

/**
 * Builds a policy for one episode of `env`, right after `env.reset` (an explorer may move the
 * start). "explore" is P1's von Mises walk in two-rooms, the scripted pusher in push-t, a
 * smooth random force in point-maze, and uniform actions elsewhere.
 */
export function makePolicy(name: string, env: Env, seed: number): Policy {
  if (name === "random") return uniformPolicy(env, seed);
  if (name !== "explore") throw new Error(`unknown policy "${name}"; known: ${POLICY_NAMES.join(", ")}`);
  if (env instanceof TwoRooms) return twoRoomsExplorer(env, seed);
  if (env instanceof PushT) return pushTPusher(env, seed);
  if (env instanceof PointMaze) return pointMazeExplorer(env, seed);
  return uniformPolicy(env, seed);
}
