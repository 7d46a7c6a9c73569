import { readdirSync } from 'node:fs';
import { loadConfig } from '../core/config.ts';
import { GridcastError } from '../core/errors.ts';
import { formatError, wantsHelp, type CommandModule } from './lib/cli.ts';
import { withApiRoute } from './lib/write-routes.ts';

/**
 * The `gridcast` command. Each sub-command lives in bin/commands/<name>.ts and exports a
 * CommandModule: `run(args)` (the exit code), a one-line `summary`, its `usage` and the usage
 * of each of its sub-commands. Help, usage errors and every other error are printed here, in one
 * format (`gridcast: error CODE: message`).
 */
const COMMANDS_DIR = new URL('./commands/', import.meta.url);

/** The command names: the files of bin/commands, so a new command is listed and dispatched by being there. */
export const commandNames = (): string[] =>
  readdirSync(COMMANDS_DIR)
    .filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'))
    .map((f) => f.replace(/\.ts$/, ''))
    .sort();

export const loadCommand = async (name: string): Promise<CommandModule> => (await import(new URL(`${name}.ts`, COMMANDS_DIR).href)) as CommandModule;

export interface Io {
  out(text: string): void;
  err(text: string): void;
}

const stdio: Io = {
  out: (t) => process.stdout.write(t),
  err: (t) => process.stderr.write(t),
};

const TOP_USAGE = 'usage: gridcast COMMAND [options]   (gridcast help lists the commands; gridcast COMMAND --help shows one)';

async function overview(): Promise<string> {
  const lines = ['usage: gridcast COMMAND [options]', '', 'commands:'];
  for (const n of commandNames()) lines.push(`  ${n.padEnd(10)} ${(await loadCommand(n)).summary}`);
  lines.push(
    '',
    "gridcast COMMAND --help (or -h) prints a command's usage; so does gridcast help COMMAND [SUBCOMMAND].",
    'Errors print `gridcast: error CODE: message` on stderr. Exit codes: 0 done, 1 error, 2 usage error (ingest: 3 quarantined).',
  );
  return lines.join('\n') + '\n';
}

/** Stack traces of unexpected errors are shown at LOG_LEVEL=debug or trace (read, like every setting, by the config). */
function debugEnabled(): boolean {
  try {
    return ['debug', 'trace'].includes(loadConfig().logLevel);
  } catch {
    return false;
  }
}

/** Runs one command line; never throws: every failure is printed on `io.err` and becomes the exit code. */
export async function runCli(argv: readonly string[], io: Io = stdio): Promise<number> {
  const [name, ...args] = argv;
  let usage: string | undefined;
  try {
    if (name === undefined || name === '--help' || name === '-h') {
      io.out(await overview());
      return 0;
    }
    if (name === 'help') return args.length ? runCli([...args, '--help'], io) : (io.out(await overview()), 0);
    const names = commandNames();
    if (!names.includes(name)) {
      usage = TOP_USAGE;
      throw new GridcastError('UNKNOWN_COMMAND', `unknown command '${name}'; the commands are ${names.join(', ')}`, { command: name });
    }
    const command = await loadCommand(name);
    const sub = command.subcommands && Object.hasOwn(command.subcommands, args[0] ?? '') ? args[0] : undefined;
    usage = sub ? command.subcommands![sub] : command.usage;
    if (wantsHelp(args)) {
      io.out(`${usage}\n`);
      return 0;
    }
    return await command.run(args);
  } catch (caught) {
    const e = withApiRoute(caught, argv);
    const { text, exitCode } = formatError(e, { usage, debug: !(e instanceof GridcastError) && debugEnabled() });
    io.err(text);
    return exitCode;
  }
}

/**
 * A reader that goes away (`gridcast query … | head -1`) ends the output, not the command with a
 * stack trace: later writes go nowhere and the command finishes (closing its store) as usual.
 */
function quietOnClosedPipe(stream: NodeJS.WriteStream, other: NodeJS.WriteStream): void {
  stream.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') return;
    process.exitCode = 1;
    other.write(`gridcast: error ${e.code ?? 'OUTPUT_FAILED'}: cannot write the output: ${e.message}\n`);
  });
}

export async function main(): Promise<void> {
  quietOnClosedPipe(process.stdout, process.stderr);
  quietOnClosedPipe(process.stderr, process.stdout);
  const code = await runCli(process.argv.slice(2));
  // A command may have set a failure (a stream error above) while returning 0.
  if (code !== 0 || process.exitCode === undefined) process.exitCode = code;
}
