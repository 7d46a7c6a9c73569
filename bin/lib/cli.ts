import { inspect } from 'node:util';
import { GridcastError, isGridcastError } from '../../core/errors.ts';

/**
 * What every bin/commands/<name>.ts exports. `usage` is the whole command's usage; a command
 * with sub-commands (`topology load|show`) also exports the usage of each, by name, so
 * `gridcast topology load --help` prints only that one. Help is answered by bin/main.ts before
 * `run` is called, so no command parses --help itself and none opens a store to print it.
 */
export interface CommandModule {
  summary: string;
  usage: string;
  subcommands?: Record<string, string>;
  run(args: string[]): Promise<number>;
}

/** Exit codes of `gridcast`: 0 done, 1 an error, 2 a usage error; a command may add its own (ingest: 3 quarantined). */
export const EXIT_ERROR = 1;
export const EXIT_USAGE = 2;

/** Codes printed with the usage lines of the command, exit 2. */
const USAGE_CODES = new Set(['USAGE', 'UNKNOWN_COMMAND']);

/** A command line that cannot be run as written: bin/main.ts prints it with the usage lines, exit 2. */
export const usageError = (message: string) => new GridcastError('USAGE', message);

/** `--help` or `-h` anywhere before a `--` end-of-options marker. */
export function wantsHelp(args: readonly string[]): boolean {
  for (const a of args) {
    if (a === '--') return false;
    if (a === '--help' || a === '-h') return true;
  }
  return false;
}

/**
 * Usage text from synopses (`gridcast topology load FILE [--dry-run]`) and notes: the first
 * synopsis after `usage: `, the next ones aligned under it, then the notes.
 */
export function usageText(synopses: readonly string[], notes = ''): string {
  const lines = synopses.map((s, i) => `${i === 0 ? 'usage: ' : '       '}${s}`);
  return notes ? `${lines.join('\n')}\n${notes.replace(/\n+$/, '')}` : lines.join('\n');
}

/**
 * Control characters of user input quoted in a message (a binary file's bytes, an escape sequence
 * in a series id) are shown escaped: an error message never writes raw bytes to the terminal.
 */
export const printable = (s: string) =>
  s.replace(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);

/** Node's system errors (a refused connection, a permission) are faults of the environment, not bugs. */
const isSystemError = (e: unknown): e is NodeJS.ErrnoException & { code: string } => {
  const code = (e as NodeJS.ErrnoException | undefined)?.code;
  return e instanceof Error && typeof code === 'string' && /^E[A-Z]+$/.test(code) && 'syscall' in e;
};

/**
 * The one error format of `gridcast`: `gridcast: error CODE: message`, then the usage lines for a
 * usage error. A coded error keeps its code; a system error its errno code (ECONNREFUSED, EACCES);
 * anything else is a defect of gridcast, printed as INTERNAL, with its stack only when `debug`
 * (LOG_LEVEL=debug or trace).
 */
export function formatError(e: unknown, opts: { usage?: string; debug?: boolean } = {}): { text: string; exitCode: number } {
  if (isGridcastError(e)) {
    const usage = USAGE_CODES.has(e.code) && opts.usage ? `\n${opts.usage}` : '';
    return { text: `gridcast: error ${e.code}: ${printable(e.message)}${usage}\n`, exitCode: USAGE_CODES.has(e.code) ? EXIT_USAGE : EXIT_ERROR };
  }
  if (isSystemError(e)) return { text: `gridcast: error ${e.code}: ${printable(e.message)}\n`, exitCode: EXIT_ERROR };
  // Something thrown that is not an Error (a library's object) is shown as it is, briefly.
  const message = e instanceof Error ? e.message : inspect(e, { depth: 2, breakLength: Infinity }).slice(0, 500);
  const detail = opts.debug && e instanceof Error ? `\n${e.stack ?? ''}` : opts.debug ? '' : ' (LOG_LEVEL=debug shows the stack trace)';
  return { text: `gridcast: error INTERNAL: ${printable(message)} — an unexpected failure of gridcast itself; please report it${detail}\n`, exitCode: EXIT_ERROR };
}
