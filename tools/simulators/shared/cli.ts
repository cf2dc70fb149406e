/**
 * TEST DOUBLE support — shared by the simulated cores in tools/simulators. Not production code.
 *
 * The CLI of a simulated core: string flags each with an environment twin (a flag wins), `--help`, the
 * configuration validated by the core's zod schema (exit 2 naming every problem), then the core started, its active
 * faults listed, and SIGINT/SIGTERM closing it (exit 0, or 1 when closing fails; 1 when it cannot start).
 */
import { parseArgs } from 'node:util';

interface Schema<T> {
  safeParse(
    input: unknown,
  ):
    | { success: true; data: T }
    | { success: false; error: { issues: readonly { path: readonly PropertyKey[]; message: string }[] } };
}

export interface SimulatorCli<T, C extends { faults(): unknown[]; close(): Promise<void> }> {
  /** e.g. `rest-core`: prefixes every line. */
  name: string;
  /** The string flags, e.g. `['port', 'journal-file']`. */
  flags: readonly string[];
  usage: string;
  schema: Schema<T>;
  /** The schema's input from the flags given (by flag name) and the environment. */
  input(flags: Record<string, string | undefined>, env: NodeJS.ProcessEnv): Record<string, unknown>;
  start(config: T, log: (line: string) => void): Promise<C>;
  /** The line that says the core is up. */
  banner(core: C, config: T): string;
}

export function runSimulatorCli<T, C extends { faults(): unknown[]; close(): Promise<void> }>(
  cli: SimulatorCli<T, C>,
): void {
  const { values } = parseArgs({
    options: {
      ...Object.fromEntries(cli.flags.map((flag) => [flag, { type: 'string' as const }])),
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    console.log(cli.usage);
    process.exit(0);
  }
  const given = values as Record<string, string | boolean | undefined>;
  const flags = Object.fromEntries(cli.flags.map((flag) => [flag, given[flag] as string | undefined]));
  const config = cli.schema.safeParse(cli.input(flags, process.env));
  if (!config.success) {
    console.error(
      `${cli.name}: invalid configuration: ${config.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
    );
    process.exit(2);
  }
  const c = config.data;
  const prefix = `[${cli.name}]`;

  async function main(): Promise<void> {
    const core = await cli.start(c, (line) => console.log(`${prefix} ${line}`));
    console.log(`${prefix} ${cli.banner(core, c)}`);
    for (const rule of core.faults()) console.log(`${prefix} fault active: ${JSON.stringify(rule)}`);

    const stop = (signal: string): void => {
      console.log(`${prefix} ${signal}: closing`);
      core.close().then(
        () => process.exit(0),
        (error: unknown) => {
          console.error(error);
          process.exit(1);
        },
      );
    };
    process.once('SIGINT', () => stop('SIGINT'));
    process.once('SIGTERM', () => stop('SIGTERM'));
  }

  main().catch((error: unknown) => {
    console.error(`${prefix} failed to start: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  });
}
