import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { STORE_LOCK_FILE } from '../store/store-lock.ts';
import { freePort } from './net.ts';

/**
 * `npm start` as the README says, on a new embedded store: the first start runs a forecast right
 * after the backfill and says when the next runs are due; a signal to npm's pid (what a process
 * manager or `kill` sends) reaches gridcast, which stops in under 5 s with a final log line and
 * leaves neither a process, nor the port, nor the store's lock behind. A restart does not run the
 * first-start forecasts again.
 */
interface LogLine {
  level: number;
  pid: number;
  msg?: string;
  job?: string;
  outcome?: string;
  seconds?: number;
  [k: string]: unknown;
}

const dir = mkdtempSync(join(tmpdir(), 'gridcast-npm-'));
const configFile = join(dir, 'gridcast.json');
const writeConfig = (backfillDays: number) =>
  writeFileSync(
    configFile,
    JSON.stringify({
      simulator: { backfillDays, tickMs: 1000, mqttUrl: 'mqtt://127.0.0.1:9' },
      forecast: { defaultModel: { kind: 'seasonal-naive' }, historyDays: 7 },
      // One short horizon keeps the test quick; the scheduler tests cover the order of several.
      jobs: { 'forecast-day-ahead': { enabled: false }, 'forecast-week-ahead': { enabled: false }, 'forecast-mid-term': { enabled: false } },
    }),
  );
const children: ChildProcess[] = [];
// gridcast's own pids (from its log): killing npm alone would orphan them if a test fails.
const gridcastPids = new Set<number>();
afterAll(() => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  for (const pid of gridcastPids) if (alive(pid)) process.kill(pid, 'SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

function npmStart(port: number) {
  const env: NodeJS.ProcessEnv = { ...process.env, PORT: String(port), GRIDCAST_CONFIG: configFile, GRIDCAST_DATA_DIR: join(dir, 'data'), LOG_LEVEL: 'info' };
  delete env.DATABASE_URL;
  delete env.LOG_FORMAT;
  const child = spawn('npm', ['start'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  const run = { child, lines: [] as LogLine[], output: '', exited: new Promise<number | null>((r) => child.once('exit', (code, signal) => r(code ?? (signal ? -1 : null)))) };
  let partial = '';
  child.stdout!.on('data', (d: Buffer) => {
    run.output += d;
    const all = (partial + d.toString()).split('\n');
    partial = all.pop()!;
    for (const l of all) {
      if (!l.startsWith('{')) continue;
      const line = JSON.parse(l) as LogLine;
      gridcastPids.add(line.pid);
      run.lines.push(line);
    }
  });
  child.stderr!.on('data', (d) => (run.output += d));
  return run;
}

async function until<T>(run: ReturnType<typeof npmStart>, find: (l: LogLine) => boolean, timeoutMs: number): Promise<LogLine> {
  for (const end = Date.now() + timeoutMs; ; await new Promise((r) => setTimeout(r, 100))) {
    const hit = run.lines.find(find);
    if (hit) return hit;
    if (Date.now() > end || run.child.exitCode !== null) throw new Error(`not found in the output:\n${run.output.slice(-4000)}`);
  }
}

const listening = (port: number) =>
  new Promise<boolean>((resolve) => {
    const s = connect(port, '127.0.0.1');
    s.once('connect', () => (s.destroy(), resolve(true)));
    s.once('error', () => resolve(false));
  });

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

async function stopWith(run: ReturnType<typeof npmStart>, signal: NodeJS.Signals, port: number, gridcastPid: number) {
  const t0 = Date.now();
  run.child.kill(signal);
  const code = await Promise.race([run.exited, new Promise<'hung'>((r) => setTimeout(() => r('hung'), 15_000))]);
  expect(code, run.output.slice(-3000)).not.toBe('hung');
  // gridcast's own measure (npm's start and exit add their share on a loaded machine).
  const last = run.lines.at(-1)!;
  expect(last, run.output.slice(-3000)).toMatchObject({ msg: 'gridcast stopped', signal });
  expect(last.seconds).toBeLessThan(5);
  expect(Date.now() - t0).toBeLessThan(15_000);
  expect(alive(gridcastPid)).toBe(false);
  expect(await listening(port)).toBe(false);
  expect(existsSync(join(dir, 'data', STORE_LOCK_FILE))).toBe(false);
}

describe('npm start', () => {
  it('shows a forecast right after the first backfill, stops on a signal to npm, and does not rerun the first forecasts on a restart', async () => {
    writeConfig(2);
    const port = await freePort();
    const first = npmStart(port);
    const listeningLine = await until(first, (l) => l.msg === 'gridcast listening', 90_000);
    const next = await until(first, (l) => l.msg === 'next scheduled forecast runs', 90_000);
    expect(next['forecast-intraday']).toMatch(/^\d{4}-\d\d-\d\dT\d\d:05:00[+-]\d\d:\d\d$/);
    const ran = await until(first, (l) => l.msg === 'job run' && l.job === 'forecast-intraday', 90_000);
    expect(ran.outcome).toBe('succeeded');
    expect(first.lines.some((l) => l.msg === 'forecast run stored' && l.horizon === 'intraday')).toBe(true);
    await stopWith(first, 'SIGINT', port, listeningLine.pid);

    const again = npmStart(port);
    const relisten = await until(again, (l) => l.msg === 'jobs scheduled', 90_000);
    await stopWith(again, 'SIGTERM', port, relisten.pid);
    expect(again.lines.filter((l) => /first start/.test(l.msg ?? ''))).toEqual([]);
    // Stopped for a few seconds: at most a missed-ticks warning, never an error.
    expect(again.lines.filter((l) => l.level >= 50)).toEqual([]);

    // Stopped in the middle of a long backfill: it stops after the day being written.
    writeConfig(60);
    const long = npmStart(port);
    const writing = await until(long, (l) => l.msg === 'writing the simulated history', 90_000);
    await stopWith(long, 'SIGINT', port, writing.pid);
    expect(long.lines.some((l) => l.msg === 'backfill done')).toBe(false);
  }, 300_000);
});
