import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_GRID_PATH } from '../ingest/simulator/default-grid.ts';
import { commandNames, loadCommand, runCli } from '../bin/main.ts';
import { formatError } from '../bin/lib/cli.ts';
import { cliStore, createSeries, writePoints } from './aggregates-fixtures.ts';
import { backends } from './db.ts';

const CLI = new URL('../bin/gridcast.mjs', import.meta.url).pathname;

interface Ran {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** The real command in its own process (exit code, stdio). */
const gridcast = (args: string[], env: NodeJS.ProcessEnv = {}) =>
  new Promise<Ran>((done) =>
    execFile(process.execPath, [CLI, ...args], { env: { ...process.env, ...env } }, (err, stdout, stderr) =>
      done({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr }),
    ),
  );

/** The same dispatch in this process (help and error paths print only through `io`). */
async function inProcess(args: string[]): Promise<Ran> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli(args, { out: (t) => out.push(t), err: (t) => err.push(t) });
  return { code, stdout: out.join(''), stderr: err.join('') };
}

/** One error line first, `gridcast: error CODE: `, and the code not repeated in that line. */
function expectError(r: Ran, code: string, exit = 1): void {
  expect(r.code, r.stderr).toBe(exit);
  const [first] = r.stderr.split('\n');
  expect(first.startsWith(`gridcast: error ${code}: `), r.stderr).toBe(true);
  expect(first.split(code).length - 1, first).toBe(1);
  // No raw bytes of the input reach the terminal.
  expect(r.stderr).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f\ufffd]/);
}

const dir = mkdtempSync(join(tmpdir(), 'gridcast-cli-'));
// Help and argument errors never open a store: this directory must never be created.
const NO_STORE = join(dir, 'no-store');
process.env.GRIDCAST_DATA_DIR = NO_STORE;
delete process.env.DATABASE_URL;
delete process.env.GRIDCAST_CONFIG;
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const BINARY = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x1b, 0x5b, 0x33, 0x31, 0x6d, 0xff, 0xfe]);
const files = {
  binary: join(dir, 'image.csv'),
  binaryGz: join(dir, 'image.csv.gz'),
  latin1: join(dir, 'latin1.csv'),
  gzTopology: join(dir, 'grid.yaml'),
  dir: join(dir, 'a-directory'),
  missing: join(dir, 'missing.csv'),
};
writeFileSync(files.binary, Buffer.concat([BINARY, BINARY]));
writeFileSync(files.binaryGz, gzipSync(Buffer.concat([BINARY, BINARY])));
writeFileSync(files.latin1, Buffer.from('series_id,ts,value\nz\xe9,2026-01-01T00:00:00Z,1\n', 'latin1'));
writeFileSync(files.gzTopology, gzipSync('nodes: []\n'));
mkdirSync(files.dir);

describe('gridcast --help', () => {
  it('answers --help, -h and help on every command and sub-command with its usage, exit 0, without opening a store', async () => {
    const names = commandNames();
    expect(names).toEqual(expect.arrayContaining(['apikey', 'forecast', 'ingest', 'models', 'query', 'start', 'topology', 'train']));
    const overview = await inProcess(['help']);
    expect(overview.code).toBe(0);
    for (const name of names) {
      expect(overview.stdout).toMatch(new RegExp(`^  ${name} +\\S`, 'm'));
      const command = await loadCommand(name);
      const subs = Object.keys(command.subcommands ?? {});
      // Every `gridcast NAME word` of the usage is a declared sub-command, so each gets its own help below.
      for (const m of command.usage.matchAll(new RegExp(`gridcast ${name} \\[?([a-z][a-z-]*)\\b`, 'g'))) expect(subs, `${name} ${m[1]}`).toContain(m[1]);
      for (const args of [[name, '--help'], [name, '-h'], ['help', name]]) {
        const r = await inProcess(args);
        expect(r, args.join(' ')).toMatchObject({ code: 0, stderr: '' });
        expect(r.stdout).toBe(`${command.usage}\n`);
        expect(r.stdout.startsWith(`usage: gridcast ${name}`)).toBe(true);
      }
      for (const sub of subs) {
        // Help anywhere in the line, even after arguments that would be wrong.
        for (const args of [[name, sub, '--help'], [name, sub, 'ARG', '--bogus', '-h'], ['help', name, sub]]) {
          const r = await inProcess(args);
          expect(r, args.join(' ')).toMatchObject({ code: 0, stderr: '' });
          expect(r.stdout).toBe(`${command.subcommands![sub]}\n`);
          expect(r.stdout).toMatch(new RegExp(`^usage: gridcast ${name} \\[?${sub}\\b`));
        }
      }
    }
    expect(existsSync(NO_STORE)).toBe(false);
  });

  it('exits 0 from the real command', async () => {
    const r = await gridcast(['topology', 'load', '--help']);
    expect(r).toMatchObject({ code: 0, stderr: '' });
    expect(r.stdout).toMatch(/^usage: gridcast topology load FILE/);
  });
});

describe('gridcast error format', () => {
  it('prints a usage error of every command as USAGE with its usage lines, exit 2, without opening a store', async () => {
    for (const name of commandNames()) {
      const r = await inProcess([name, '--no-such-option']);
      expectError(r, 'USAGE', 2);
      expect(r.stderr).toContain("Unknown option '--no-such-option'");
      expect(r.stderr).toContain(`\nusage: gridcast ${name}`);
    }
    const r = await inProcess(['query', '--series', 's1', '--grain', '2h']);
    expectError(r, 'USAGE', 2);
    expect(r.stderr).toContain('--from is required; --to is required; --grain must be one of raw, 5m, 1h, 1d\nusage: gridcast query');
    expectError(await inProcess(['topology']), 'USAGE', 2);
    expectError(await inProcess(['apikey', 'create', '--name', 'x', '--role', 'root']), 'USAGE', 2);
    expectError(await inProcess(['apikey', 'revoke']), 'USAGE', 2);
    expectError(await inProcess(['ingest', 'csv']), 'USAGE', 2);
    expect(existsSync(NO_STORE)).toBe(false);
  });

  it('prints an unknown command as UNKNOWN_COMMAND, exit 2, from the real command', async () => {
    const r = await gridcast(['nope']);
    expectError(r, 'UNKNOWN_COMMAND', 2);
    expect(r.stderr).toContain("unknown command 'nope'; the commands are accuracy, apikey, backtest, drift, events, ");
  });

  it('refuses a directory or a binary file with a code and without echoing its bytes', async () => {
    for (const [args, code] of [
      [['topology', 'load', files.dir], 'FILE_IS_DIRECTORY'],
      [['topology', 'show', files.binary], 'FILE_NOT_TEXT'],
      [['topology', 'load', files.gzTopology], 'FILE_NOT_TEXT'],
      [['topology', 'show', files.missing], 'FILE_NOT_FOUND'],
      [['ingest', 'csv', files.dir], 'FILE_IS_DIRECTORY'],
      [['ingest', 'csv', files.binary], 'FILE_NOT_TEXT'],
      [['ingest', 'csv', files.binaryGz], 'FILE_NOT_TEXT'],
      [['ingest', 'csv', files.latin1], 'FILE_NOT_TEXT'],
      [['backtest', '--input', files.binary, '--series', 's', '--model', 'seasonal-naive', '--horizon', '24', '--origins', '1', '--out', join(dir, 'o.csv')], 'FILE_NOT_TEXT'],
      [['start', '--config', files.dir], 'FILE_IS_DIRECTORY'],
    ] as const) {
      const r = await inProcess([...args]);
      expectError(r, code);
      expect(r.stderr, args.join(' ')).toContain(args[2]);
    }
    // A mistyped path does not create a store.
    expect(existsSync(NO_STORE)).toBe(false);
  });

  it('prints an unexpected failure as INTERNAL (stack at LOG_LEVEL=debug), a system error with its errno code, and escapes control characters', () => {
    const bug = new TypeError("Cannot read properties of undefined (reading 'x')");
    const plain = formatError(bug);
    expect(plain.exitCode).toBe(1);
    expect(plain.text).toMatch(/^gridcast: error INTERNAL: Cannot read properties of undefined \(reading 'x'\) — .*LOG_LEVEL=debug/);
    expect(plain.text).not.toContain('    at ');
    expect(formatError(bug, { debug: true }).text).toContain('    at ');
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED', syscall: 'connect' });
    expect(formatError(refused).text).toBe('gridcast: error ECONNREFUSED: connect ECONNREFUSED 127.0.0.1:5432\n');
    expect(formatError({ status: 'aborted' }).text).toMatch(/^gridcast: error INTERNAL: \{ status: 'aborted' \} — /);
    expect(formatError(new Error('id \u001b[31mred\u0000')).text).toContain('id \\x1b[31mred\\x00');
  });
});

// The format does not depend on the backend: one (PostgreSQL when available) keeps it short.
const kind = backends.at(-1)!;

describe(`gridcast errors of a command on a store (${kind})`, () => {
  let store: Awaited<ReturnType<typeof cliStore>>;
  beforeAll(async () => {
    store = await cliStore(kind);
  });
  afterAll(() => store?.cleanup());

  it('prints a rejected file and a bad header each with its code once', async () => {
    const bad = join(dir, `rejected-${kind}.csv`);
    writeFileSync(bad, 'series_id,ts,value\nno-such-series,2026-01-01T00:00:00Z,1\n');
    const header = join(dir, `header-${kind}.csv`);
    writeFileSync(header, 'series,ts,value\nx,2026-01-01T00:00:00Z,1\n');
    // One after the other: an embedded store belongs to one process at a time.
    const rejected = await gridcast(['ingest', 'csv', bad], store.env);
    const badHeader = await gridcast(['ingest', 'csv', header], store.env);
    expectError(rejected, 'INGEST_REJECTED');
    expect(rejected.stderr).toContain(`${bad} rejected, nothing written (1 problem):\n${bad}:2: UNKNOWN_SERIES `);
    expectError(badHeader, 'CSV_HEADER_INVALID');
    expect(badHeader.stderr).toContain(`gridcast: error CSV_HEADER_INVALID: ${header}:1: unknown column 'series'`);
  });
});

/** Runs the command with its stdout closed by the reader before the command writes (`| head -0`). */
function withClosedStdout(args: string[], env: NodeJS.ProcessEnv = {}): Promise<Ran> {
  return new Promise((done) => {
    const child = spawn(process.execPath, [CLI, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.destroy();
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (code) => done({ code, stdout: '', stderr }));
  });
}

describe('gridcast output into a closed pipe', () => {
  it('ends quietly, exit 0, when the reader of its output is gone (help, topology show)', async () => {
    const [help, show] = await Promise.all([withClosedStdout(['help']), withClosedStdout(['topology', 'show', DEFAULT_GRID_PATH])]);
    expect(help).toMatchObject({ code: 0, stderr: '' });
    expect(show).toMatchObject({ code: 0, stderr: '' });
  });

  it(`ends quietly, exit 0, after a query on a store (${kind}), which it closes`, async () => {
    const store = await cliStore(kind);
    try {
      const db = await store.open();
      try {
        await createSeries(db, [{ id: 's1', unit: 'MW' }]);
        await writePoints(db, Array.from({ length: 50 }, (_, i) => `s1,2026-03-29T${String(Math.floor(i / 6)).padStart(2, '0')}:${String((i % 6) * 10).padStart(2, '0')}:00Z,${i},ok,`).join('\n'));
      } finally {
        await db.close();
      }
      const r = await withClosedStdout(['query', '--series', 's1', '--from', '2026-03-29T00:00:00Z', '--to', '2026-03-30T00:00:00Z', '--grain', 'raw'], store.env);
      expect(r).toMatchObject({ code: 0, stderr: '' });
      // The store was closed cleanly: it opens again.
      await (await store.open()).close();
    } finally {
      await store.cleanup();
    }
  });
});
