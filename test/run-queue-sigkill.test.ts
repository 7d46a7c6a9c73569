import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigSchema } from '../core/config.ts';
import { runForecast } from '../forecast/run/service.ts';
import { runDeps } from '../bin/lib/run-deps.ts';
import { registryServiceOf } from '../bin/lib/registry-service.ts';
import { trainDeps } from '../bin/lib/train-deps.ts';
import { trainModel } from '../forecast/registry/service.ts';
import { threadGroups } from '../forecast/run/workers.ts';
import { configuredForecaster } from '../models/configured.ts';
import type { Db } from '../store/db.ts';
import { openPg } from '../store/db.ts';
import { readForecasts } from '../store/forecasts.repository.ts';
import { runSharesRepository } from '../store/run-jobs.repository.ts';
import { AS_OF_MARCH, HISTORY_DAYS, seedGrid } from './fixtures/runs/grid.ts';
import { storeWithUrl } from './db.ts';

/**
 * Distributed runs on PostgreSQL (issue 13): `gridcast worker` processes take a run's jobs from
 * the pg-boss queue. One worker is SIGKILLed in the middle of a job: pg-boss takes the job back
 * once it expires and the other worker answers it, and the run is stored with every series once,
 * none on a job fallback. A run whose pool answers nothing labels every series' fallback by its deadline.
 * A registered champion's job names its version, and the worker reads the artifact from the registry.
 */
const cli = new URL('../bin/gridcast.mjs', import.meta.url).pathname;
const IDS = ['grid', 'north', 'south', 'ss1', 'ss2', 'ss3', 'train'];
const JOB_TIMEOUT_SEC = 20;

interface Worker {
  p: ChildProcess;
  out: string;
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

describe.skipIf(!process.env.TEST_DATABASE_URL)('distributed runs on PostgreSQL', () => {
  const cleanup: Array<() => Promise<void>> = [];
  const dir = mkdtempSync(join(tmpdir(), 'gridcast-queue-'));
  const schema = `q_${process.pid}_${Date.now()}`;
  const queue = { schema, jobTimeoutSec: JOB_TIMEOUT_SEC, retryLimit: 5, maintenanceSec: 1, heartbeatSec: 1, workerStaleSec: 600, pollSec: 0.5, batchSize: 1 };
  // workerStaleSec: a worker's heartbeat pauses while it fits (a GAM takes a minute on a loaded
  // machine); a shorter one would have the run take the live worker for gone and run its jobs itself.
  // A GAM fitted per series in the jobs: long enough (a second or more) for a kill to land mid-job.
  const config = ConfigSchema.parse({ forecast: { defaultModel: { kind: 'gam' }, historyDays: HISTORY_DAYS, holidays: 'FR', reconciliation: 'bottom-up', bands: 'comonotonic' }, queue });
  const configFile = join(dir, 'config.json');
  let db: Db;
  let url: string;
  const workers: Worker[] = [];

  const startWorker = (name: string): Promise<Worker> =>
    new Promise((resolve, reject) => {
      const p = spawn(process.execPath, [cli, 'worker', '--id', name], { env: { ...process.env, DATABASE_URL: url, GRIDCAST_CONFIG: configFile }, stdio: ['ignore', 'pipe', 'pipe'] });
      const w: Worker = { p, out: '', exit: new Promise((r) => p.on('exit', (code, signal) => r({ code, signal }))) };
      let err = '';
      p.stdout!.on('data', (d) => {
        w.out += d;
        if (w.out.includes(`worker ${name} ready`)) resolve(w);
      });
      p.stderr!.on('data', (d) => { err += d; process.stderr.write(`[${name} stderr] ${d}`); });
      void w.exit.then(({ code }) => reject(new Error(`worker ${name} exited (${code}) before it was ready: ${err}`)));
      workers.push(w);
    });

  beforeAll(async () => {
    ({ db, url } = (await storeWithUrl('pg', cleanup)) as { db: Db; url: string });
    await seedGrid(db);
    writeFileSync(configFile, JSON.stringify({ queue }));
  }, 120_000);

  afterAll(async () => {
    for (const w of workers) if (w.p.exitCode === null && w.p.signalCode === null) w.p.kill('SIGKILL');
    await Promise.all(workers.map((w) => w.exit));
    const admin = await openPg(process.env.TEST_DATABASE_URL!, 1);
    await admin.exec(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await admin.close();
    for (const c of cleanup.reverse()) await c();
    rmSync(dir, { recursive: true, force: true });
  });

  it('a worker killed mid-job: its job is retried by another worker, the run completes with every series once; a worker stopped mid-job finishes it and exits 0', { timeout: 900_000 }, async () => {
    const [a, b, c] = [await startWorker('wa'), await startWorker('wb'), await startWorker('wc')];
    let killed: string | undefined;
    a.p.stdout!.on('data', () => {
      const m = /job (\S+) start/.exec(a.out);
      if (m && !killed) {
        killed = m[1];
        a.p.kill('SIGKILL');
      }
    });
    let drained: string | undefined;
    c.p.stdout!.on('data', () => {
      const m = /job (\S+) start/.exec(c.out);
      if (m && !drained) {
        drained = m[1];
        c.p.kill('SIGTERM');
      }
    });
    const s = await runForecast(runDeps(db, config), { horizon: 'day-ahead', asOf: AS_OF_MARCH });
    expect(await a.exit).toEqual({ code: null, signal: 'SIGKILL' });
    // SIGTERM mid-job: the job under way is answered, then the worker leaves the pool cleanly.
    expect(await c.exit).toEqual({ code: 0, signal: null });
    expect(c.out).toContain(`job ${drained} answered`);
    // It took no job after the signal (the signal is seen when the job's computation yields, so
    // 'stopping' may print before or after the answer; a job delivered meanwhile is handed back).
    expect(c.out).toContain('stopping on SIGTERM');
    expect(c.out.match(/ start$/gm)).toHaveLength(1);
    expect(c.out).toMatch(/worker wc stopped: jobs=1 /);
    expect(killed).toBeDefined();
    // The killed worker never answered; the survivor answered the same job after pg-boss took it back.
    expect(a.out).not.toContain(`job ${killed} answered`);
    expect(b.out).toContain(`job ${killed} answered`);
    expect(s.series).toBe(IDS.length);
    // Only the fixture's new substation (3 days of history) is on a fallback, the one it gets in any run; no job was lost.
    expect(s.fallbacks).toBe(1);
    expect(s.warnings.some((w) => /JOB_(TIMEOUT|FAILED)/.test(w))).toBe(false);
    const rows = (await readForecasts(db, s.runId)).filter((r) => r.grain === '1h');
    const count = new Map<string, number>();
    for (const r of rows) count.set(`${r.seriesId}|${r.targetTs.toISOString()}`, (count.get(`${r.seriesId}|${r.targetTs.toISOString()}`) ?? 0) + 1);
    expect([...count.values()].every((n) => n === 1)).toBe(true);
    expect([...new Set(rows.map((r) => r.seriesId))].sort()).toEqual([...IDS].sort());
    for (const id of IDS) expect(rows.filter((r) => r.seriesId === id)).toHaveLength(23);
    expect(rows.filter((r) => r.seriesId !== 'ss1').every((r) => r.fallbackReason === null && r.model === 'gam')).toBe(true);
    expect(rows.find((r) => r.seriesId === 'ss1')!.fallbackReason).toMatch(/^model-failed \(gam: HISTORY_MISSING\)/);
    // The run cleaned up its shares.
    expect((await db.query<{ n: number }>('SELECT count(*)::int AS n FROM run_job_shares')).rows[0].n).toBe(0);

    b.p.kill('SIGTERM');
    expect(await b.exit).toEqual({ code: 0, signal: null });
    expect(b.out).toMatch(/worker wb stopped: jobs=\d+/);
    // Workers that stopped left the pool at once; the killed one only stops being seen (workerStaleSec).
    const live = (await runSharesRepository(db).liveWorkers(3600)).map((w) => w.id);
    expect(live).not.toContain('wb');
    expect(live).not.toContain('wc');
  });

  it("a champion's job names its version; the worker reads the artifact from the registry and gives the numbers of worker threads", { timeout: 300_000 }, async () => {
    const trainEnd = new Date(AS_OF_MARCH.getTime() - 24 * 3_600_000);
    const { version } = await trainModel(
      trainDeps(db, config),
      { model: 'subs', kind: 'gam', params: { minHistoryDays: 21, halfLivesHours: [24], hourKnots: 8, tempKnots: 5, tempHourKnots: 5, inertiaKnots: 4, tempSeasonKnots: 0 }, seriesIds: ['ss2', 'ss3'], trainEnd, historyDays: 28, actor: 'test', codeVersion: 'test' },
      (kind, params) => configuredForecaster({ kind, params }),
    );
    await registryServiceOf(db).promote(version.id, { actor: 'test', reason: 'queued champion' });
    const w = await startWorker('wd');
    const queued = await runForecast(runDeps(db, config), { horizon: 'day-ahead', asOf: AS_OF_MARCH });
    expect(w.out).toMatch(/job \S+ answered/);
    const threaded = await runForecast({ ...runDeps(db, config), workers: threadGroups }, { horizon: 'day-ahead', asOf: AS_OF_MARCH });
    const rowsOf = async (runId: number) => (await readForecasts(db, runId)).filter((r) => r.grain === '1h' && ['ss2', 'ss3'].includes(r.seriesId));
    const [a, b] = [await rowsOf(queued.runId), await rowsOf(threaded.runId)];
    expect(a).toHaveLength(46);
    for (const r of a) expect([r.model, r.modelVersion, r.fallbackReason]).toEqual(['gam', version.id, null]);
    expect(a.map((r) => [r.seriesId, r.targetTs.toISOString(), r.baseMean, r.quantiles])).toEqual(b.map((r) => [r.seriesId, r.targetTs.toISOString(), r.baseMean, r.quantiles]));
    w.p.kill('SIGTERM');
    expect(await w.exit).toEqual({ code: 0, signal: null });
  });

  it('a pool that answers nothing: every series gets a labelled JOB_TIMEOUT fallback by the run\'s deadline', { timeout: 120_000 }, async () => {
    // A worker that beats but never takes a job (hung, or its queue schema is another).
    await runSharesRepository(db).workerSeen({ id: 'silent', host: 'nowhere', pid: 1 });
    const deadline = new Date(Date.now() + 15_000);
    const s = await runForecast(runDeps(db, config), { horizon: 'day-ahead', asOf: AS_OF_MARCH, deadline });
    // It stopped waiting at the deadline less its margin (not after queue.runTimeoutSec, an hour);
    // reconciling and storing on a busy machine may take longer than the 2 s margin, hence the slack.
    expect(Date.now()).toBeLessThan(deadline.getTime() + 30_000);
    expect(s.fallbacks).toBe(IDS.length);
    const rows = (await readForecasts(db, s.runId)).filter((r) => r.grain === '1h');
    expect(new Set(rows.map((r) => r.seriesId)).size).toBe(IDS.length);
    expect(rows.every((r) => r.fallbackReason?.includes('JOB_TIMEOUT'))).toBe(true);
    expect(s.warnings.some((w) => w.includes('no worker answered the job before the run\'s deadline'))).toBe(true);
    await runSharesRepository(db).workerGone('silent');
  });
});
