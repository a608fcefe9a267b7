/** A CLI subcommand: its name, one line of help, and what it does with its arguments. */
export interface Command {
  name: string;
  summary: string;
  /** Full usage text printed by `jepa help NAME` and on a usage error. */
  usage: string;
  run(argv: string[]): Promise<number>;
}

/** An error the user can fix; the CLI prints its message alone, with no stack trace. */
export class UsageError extends Error {
  override name = "UsageError";
}
