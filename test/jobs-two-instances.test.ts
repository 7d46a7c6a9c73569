import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './net.ts';
import { afterAll, describe, expect, it } from 'vitest';
import { openPg, type Db } from '../store/db.ts';
import { scratchSchema } from './db.ts';


interface LogLine {
  time: number;
  msg?: string;
  job?: string;
  scheduledAt?: string;
  outcome?: string;
}

interface Instance {
  child: ChildProcess;
  lines: LogLine[];
  output: string;
  exited: Promise<number | null>;
}

function startInstance(configFile: string, databaseUrl: string, port: number): Instance {
  const env: NodeJS.ProcessEnv = { ...process.env, DATABASE_URL: databaseUrl, PORT: String(port), LOG_LEVEL: 'info' };
  const child = spawn(process.execPath, ['bin/gridcast.mjs', 'start', '--config', configFile], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  const inst: Instance = { child, lines: [], output: '', exited: new Promise((resolve) => child.once('exit', (code) => resolve(code))) };
  let partial = '';
  child.stdout!.on('data', (d: Buffer) => {
    inst.output += d;
    const text = partial + d.toString();
    const all = text.split('\n');
    partial = all.pop()!;
    for (const l of all) {
      try {
        inst.lines.push(JSON.parse(l) as LogLine);
      } catch {
        // not a log line
      }
    }
  });
  child.stderr!.on('data', (d) => (inst.output += d));
  return inst;
}

async function until(inst: Instance, msg: string, timeoutMs: number): Promise<LogLine> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const hit = inst.lines.find((l) => l.msg === msg);
    if (hit) return hit;
    if (Date.now() > end || inst.child.exitCode !== null) throw new Error(`no '${msg}' in the output:\n${inst.output.slice(-4000)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

// Log lines reporting a run: completed (succeeded, failed, late), or interrupted by the shutdown (its claim withdrawn).
const DONE_MESSAGES = ['job run', 'job run late: not finished by its deadline'];
const INTERRUPTED = 'job run interrupted by the shutdown; the tick can be caught up';

const FLUSH_EVERY_SEC = 2;
const FORECAST_EVERY_SEC = 6;
// A tick's row is written by its own run or, once its deadline has passed, by the next tick: ticks
// this close to the stop may have neither yet (and the event loop of a loaded machine lags).
const END_MARGIN_MS = 3000;

// Two processes cannot share one PGlite store, so this needs the real PostgreSQL.
describe.skipIf(!process.env.TEST_DATABASE_URL)('two gridcast instances on one PostgreSQL', () => {
  const instances: Instance[] = [];
  let dir: string | undefined;
  let scratch: { url: string; drop(): Promise<void> } | undefined;
  afterAll(async () => {
    for (const i of instances) if (i.child.exitCode === null) i.child.kill('SIGKILL');
    if (dir) rmSync(dir, { recursive: true, force: true });
    await scratch?.drop();
  });

  it('run each scheduled job tick once between them', async () => {
    scratch = await scratchSchema(process.env.TEST_DATABASE_URL!, 'jobs2');
    dir = mkdtempSync(join(tmpdir(), 'gridcast-jobs2-'));
    const configFile = join(dir, 'gridcast.json');
    writeFileSync(
      configFile,
      JSON.stringify({
        // Nothing listens on port 9: the simulated telemetry is written directly, not through a broker both instances would share.
        simulator: { backfillDays: 2, tickMs: 1000, mqttUrl: 'mqtt://127.0.0.1:9' },
        forecast: { defaultModel: { kind: 'seasonal-naive' }, historyDays: 14 },
        jobs: {
          'aggregates-flush': { cron: `*/${FLUSH_EVERY_SEC} * * * * *`, deadlineSec: FLUSH_EVERY_SEC },
          'forecast-intraday': { cron: `*/${FORECAST_EVERY_SEC} * * * * *`, deadlineSec: FORECAST_EVERY_SEC - 1 },
          'forecast-day-ahead': { enabled: false },
          'forecast-week-ahead': { enabled: false },
          'forecast-mid-term': { enabled: false },
        },
      }),
    );
    // The second starts once the first has stored the topology (two empty stores loading it at once would collide).
    const a = startInstance(configFile, scratch.url, await freePort());
    instances.push(a);
    await until(a, 'gridcast listening', 30_000);
    const b = startInstance(configFile, scratch.url, await freePort());
    instances.push(b);
    const scheduled = Math.max(...(await Promise.all([until(a, 'jobs scheduled', 30_000), until(b, 'jobs scheduled', 30_000)])).map((l) => l.time));
    await new Promise((r) => setTimeout(r, 13_000));
    // The first stops: the second must carry on alone, which shows it was competing for every tick.
    const aStoppedAt = Date.now();
    a.child.kill('SIGTERM');
    expect(await a.exited, a.output.slice(-3000)).toBe(0);
    await new Promise((r) => setTimeout(r, 10_000));
    const stoppedAt = Date.now();
    b.child.kill('SIGTERM');
    expect(await b.exited, b.output.slice(-3000)).toBe(0);

    // Every run either process made, from its own log: no (job, tick) twice.
    const runs = instances.flatMap((inst) =>
      inst.lines
        .filter((l) => DONE_MESSAGES.includes(l.msg ?? '') || l.msg === INTERRUPTED)
        .map((l) => ({ key: `${l.job} ${l.scheduledAt}`, pid: inst.child.pid!, done: l.msg !== INTERRUPTED })),
    );
    const keys = runs.map((r) => r.key);
    expect(keys.filter((k, i) => keys.indexOf(k) !== i)).toEqual([]);

    const db: Db = await openPg(scratch.url, 1);
    try {
      const rows = (
        await db.query<{ job: string; t: Date; instance: string; status: string }>(`SELECT job, scheduled_at AS t, instance, status FROM job_runs ORDER BY job, scheduled_at`)
      ).rows;
      // The store agrees with the logs: each run is one row, claimed by the process that ran it.
      const ran = rows.filter((r) => r.status !== 'missed');
      expect(ran.map((r) => `${r.job} ${r.t.toISOString()} ${r.instance.split(':').pop()}`).sort()).toEqual(runs.filter((r) => r.done).map((r) => `${r.key} ${r.pid}`).sort());

      // No tick was lost: each has a row, run or recorded missed (at the next tick, which comes after its deadline).
      for (const [job, every] of [['aggregates-flush', FLUSH_EVERY_SEC], ['forecast-intraday', FORECAST_EVERY_SEC]] as const) {
        const have = new Set(rows.filter((r) => r.job === job).map((r) => r.t.getTime()));
        const step = every * 1000;
        const ticks: number[] = [];
        for (let t = Math.ceil((scheduled + 1000) / step) * step; t + step + END_MARGIN_MS < stoppedAt; t += step) ticks.push(t);
        expect(ticks.length).toBeGreaterThanOrEqual(job === 'aggregates-flush' ? 5 : 2);
        expect(ticks.filter((t) => !have.has(t)).map((t) => new Date(t).toISOString()), job).toEqual([]);
        // Ran to its end, on time or not: a loaded machine makes runs late, which is not what this test is about.
        expect(rows.some((r) => r.job === job && ['succeeded', 'late'].includes(r.status)), job).toBe(true);
      }

      // The work itself happened once per tick: one stored forecast per succeeded tick, made as of
      // that tick. A late run may still store its forecast after the deadline, once.
      // Under the deadline policy a tick whose model run overran its budget also has the labelled fallback, published in time: one of each at most.
      const forecastRuns = (
        await db.query<{ t: Date; origin: Date; fallback: string | null }>(`SELECT scheduled_at AS t, origin, settings->>'fallbackReason' AS fallback FROM forecast_runs ORDER BY scheduled_at`)
      ).rows;
      const stored = forecastRuns.filter((r) => r.fallback === null).map((r) => r.t.toISOString());
      const fallbacks = forecastRuns.filter((r) => r.fallback !== null).map((r) => r.t.toISOString());
      const byStatus = (...s: string[]) => rows.filter((r) => r.job === 'forecast-intraday' && s.includes(r.status)).map((r) => r.t.toISOString());
      expect(new Set(stored).size).toBe(stored.length);
      expect(new Set(fallbacks).size).toBe(fallbacks.length);
      expect([...stored, ...fallbacks].filter((t) => !byStatus('succeeded', 'late').includes(t))).toEqual([]);
      expect(byStatus('succeeded').filter((t) => !stored.includes(t) && !fallbacks.includes(t))).toEqual([]);
      for (const r of forecastRuns) expect(r.origin.getTime()).toBe(Math.floor(r.t.getTime() / 3_600_000) * 3_600_000);

      const bRuns = ran.filter((r) => r.instance.endsWith(`:${b.child.pid}`));
      for (const job of ['aggregates-flush', 'forecast-intraday']) {
        expect(bRuns.some((r) => r.job === job && r.t.getTime() > aStoppedAt), job).toBe(true);
      }
    } finally {
      await db.close();
    }
  }, 90_000);
});
