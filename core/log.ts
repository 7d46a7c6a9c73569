/**
 * The logging shape ingestion and jobs need: pino's (fastify's app.log satisfies it), so the
 * composition root passes one structured logger down and tests can pass a recording one.
 */
export interface Log {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

export const silentLog: Log = { info() {}, warn() {}, error() {} };

/** `key=value` pairs of a log record's fields, strings quoted when they hold spaces. */
function fields(obj: object): string {
  return Object.entries(obj)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => {
      const s = v instanceof Date ? v.toISOString() : typeof v === 'string' ? v : JSON.stringify(v);
      return `${k}=${typeof v === 'string' && /[\s"]/.test(s) ? JSON.stringify(s) : s}`;
    })
    .join(' ');
}

/**
 * For one-shot commands: a readable line per event on stderr, so stdout stays the command's
 * output (`gridcast: warning: <msg> (k=v ...)`).
 */
export const cliLog: Log = {
  info: (obj, msg) => console.error(`gridcast: ${msg ?? ''}${Object.keys(obj).length ? ` (${fields(obj)})` : ''}`),
  warn: (obj, msg) => console.error(`gridcast: warning: ${msg ?? ''}${Object.keys(obj).length ? ` (${fields(obj)})` : ''}`),
  error: (obj, msg) => console.error(`gridcast: error: ${msg ?? ''}${Object.keys(obj).length ? ` (${fields(obj)})` : ''}`),
};

const LEVELS: Record<number, string> = { 10: 'TRACE', 20: 'DEBUG', 30: 'INFO', 40: 'WARN', 50: 'ERROR', 60: 'FATAL' };
const COLOURS: Record<number, string> = { 20: '\x1b[90m', 40: '\x1b[33m', 50: '\x1b[31m', 60: '\x1b[31m' };
// pino's own fields, not worth a column on a terminal.
const PINO_FIELDS = new Set(['level', 'time', 'msg', 'pid', 'hostname']);

/**
 * One pino JSON line as a line for people: `15:20:33 INFO  gridcast listening url=… db=pglite`
 * (local time of this machine; colours when `colour`). A line that is not JSON passes as it is.
 */
export function prettyLogLine(line: string, colour = false): string {
  let rec: Record<string, unknown>;
  try {
    rec = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return line;
  }
  const level = typeof rec.level === 'number' ? rec.level : 30;
  const time = typeof rec.time === 'number' ? new Date(rec.time) : new Date();
  const hhmmss = [time.getHours(), time.getMinutes(), time.getSeconds()].map((n) => String(n).padStart(2, '0')).join(':');
  const rest = Object.fromEntries(Object.entries(rec).filter(([k]) => !PINO_FIELDS.has(k)));
  const text = `${hhmmss} ${(LEVELS[level] ?? String(level)).padEnd(5)} ${rec.msg ?? ''}${Object.keys(rest).length ? `  ${fields(rest)}` : ''}`;
  return colour && COLOURS[level] ? `${COLOURS[level]}${text}\x1b[0m` : text;
}

/** A pino destination writing prettyLogLine()s to `out` (e.g. process.stdout on a terminal). */
export function prettyLogStream(out: NodeJS.WritableStream & { isTTY?: boolean }): { write(chunk: string): void } {
  return {
    write(chunk: string) {
      for (const line of chunk.split('\n')) if (line) out.write(prettyLogLine(line, out.isTTY === true) + '\n');
    },
  };
}

/**
 * Where `gridcast start` writes its log: readable lines for `pretty`, or for `auto` when `out` is
 * a terminal; undefined for JSON lines (pino's own destination, for collectors and `jq`).
 */
export function logDestination(format: 'auto' | 'json' | 'pretty', out: NodeJS.WritableStream & { isTTY?: boolean } = process.stdout) {
  return format === 'pretty' || (format === 'auto' && out.isTTY === true) ? prettyLogStream(out) : undefined;
}
