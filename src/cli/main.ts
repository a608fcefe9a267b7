// The `jepa` command line: dispatches to one module per subcommand. Started by bin/jepa.mjs.
import type { Command } from "./command.ts";
import { UsageError } from "./command.ts";

/** Every subcommand, loaded on demand so `jepa help` starts fast. Add one line per command. */
const COMMANDS: Record<string, () => Promise<Command>> = {
  collect: async () => (await import("./collect.ts")).command,
  render: async () => (await import("./render.ts")).command,
  inspect: async () => (await import("./inspect.ts")).command,
  train: async () => (await import("./train.ts")).command,
  demo: async () => (await import("./demo.ts")).command,
  plan: async () => (await import("./plan.ts")).command,
  eval: async () => (await import("./eval.ts")).command,
  export: async () => (await import("./export.ts")).command,
};

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === "help" || name === "--help" || name === "-h") {
    const which = rest[0];
    if (which && COMMANDS[which]) {
      console.log((await COMMANDS[which]()).usage);
      return 0;
    }
    const lines = await Promise.all(
      Object.keys(COMMANDS).map(async (k) => `  ${k.padEnd(10)} ${(await COMMANDS[k]()).summary}`),
    );
    console.log(
      `jepa: JEPA world models in TypeScript\n\nusage: jepa <command> [options]\n\n${lines.join("\n")}`,
    );
    return 0;
  }
  const load = COMMANDS[name];
  if (!load) throw new UsageError(`unknown command "${name}"; run "jepa help" for the list`);
  return (await load()).run(rest);
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    if (err instanceof UsageError || (err instanceof Error && err.name === "DataError")) {
      console.error(`jepa: ${err.message}`);
      process.exit(2);
    }
    console.error(err);
    process.exit(1);
  },
);
