// Command-line argument helpers shared by the subcommands: parsing with a one-line usage
// error, and integer options checked against a minimum.
import { parseArgs } from "node:util";
import { UsageError } from "./command.ts";

type OptionSpec = Record<string, { type: "string" | "boolean"; default?: string | boolean }>;

/** Parses `argv` strictly; an unknown or malformed option becomes a UsageError naming the help page. */
export function parseOptions(
  command: string,
  argv: string[],
  options: OptionSpec,
): Record<string, string | boolean | undefined> {
  try {
    return parseArgs({ args: argv, strict: true, options }).values;
  } catch (err) {
    throw new UsageError(`${(err as Error).message}; see "jepa help ${command}"`);
  }
}

/** An optional integer option (undefined when absent), at least `min`. */
export function optionalInteger(
  name: string,
  value: string | boolean | undefined,
  min: number,
): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (typeof value !== "string" || !Number.isInteger(n) || n < min) {
    throw new UsageError(`--${name} must be an integer >= ${min}, got "${value}"`);
  }
  return n;
}

/** A required integer option, at least `min`. */
export function requiredInteger(
  command: string,
  name: string,
  value: string | boolean | undefined,
  min: number,
): number {
  if (value === undefined) throw new UsageError(`missing --${name}; see "jepa help ${command}"`);
  return optionalInteger(name, value, min) as number;
}
