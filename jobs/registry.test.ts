import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HORIZONS, loadConfig, type Config } from '../core/config.ts';
import { dbCommitter } from '../ingest/scada/commit.ts';
import { silentLog } from '../core/log.ts';
import type { Db } from '../store/db.ts';
import { backends, freshDb } from '../test/db.ts';
import { FORECAST_SCHEDULES, forecastJobName } from './forecast.job.ts';
import { httpPollJobName } from './http-poll.job.ts';
import { configuredJobs } from './registry.ts';
import { createScheduler } from './scheduler.ts';
import { jobRunsRepository } from '../store/job-runs.repository.ts';
import { runDeps } from '../bin/lib/run-deps.ts';
import { eventsRepository } from '../store/events.repository.ts';

const config = (file: Record<string, unknown>): Config => loadConfig({}, file);

describe('jobs from the configuration', () => {
  let db: Db;
  beforeAll(async () => {
    db = await freshDb('pglite');
  });
  afterAll(() => db.close());
  const jobsOf = (c: Config) => configuredJobs({ db, config: c, log: silentLog, run: runDeps(db, c, silentLog), pollCommit: dbCommitter(db, 'http') }).jobs;

  it('has the built-in jobs with their default schedules', () => {
    const c = config({ imputation: { cron: '15 * * * * *' } });
    const jobs = new Map(jobsOf(c).map((j) => [j.name, j]));
    expect([...jobs.keys()].sort()).toEqual(['aggregates-flush', 'derived-series', 'drift', 'scada-imputation', 'scada-spikes', 'score', 'review', ...HORIZONS.map(forecastJobName)].sort());
    expect(jobs.get('drift')).toMatchObject({ cron: '0 30 6 * * *', deadlineMs: 30 * 60_000 });
    for (const h of HORIZONS) {
      expect(jobs.get(forecastJobName(h))).toMatchObject({ cron: FORECAST_SCHEDULES[h].cron, deadlineMs: FORECAST_SCHEDULES[h].deadlineSec * 1000 });
    }
    // A new store shows short-term forecasts at once; mid-term waits for its Monday tick.
    expect(HORIZONS.filter((h) => jobs.get(forecastJobName(h))!.runOnFirstStart)).toEqual(['intraday', 'day-ahead', 'week-ahead']);
    expect(jobs.get('scada-imputation')!.cron).toBe(c.imputation.cron);
  });

  it('watches a schedules folder only when one is configured', () => {
    const jobs = new Map(jobsOf(config({ schedules: { watchDir: '/tmp/none', cron: '*/5 * * * * *' } })).map((j) => [j.name, j]));
    expect(jobs.get('schedules-watch')).toMatchObject({ cron: '*/5 * * * * *', deadlineMs: 60_000 });
  });

  it('applies cron and deadline overrides, drops disabled jobs, and adds one poll job per endpoint', () => {
    const c = config({
      httpPoll: [{ url: 'http://gw-1.example/points' }, { url: 'http://gw-2.example/points', cron: '*/30 * * * * *' }],
      jobs: {
        'forecast-day-ahead': { cron: '0 30 8 * * 1-5', deadlineSec: 1800 },
        'forecast-mid-term': { enabled: false },
        [httpPollJobName('http://gw-1.example/points')]: { deadlineSec: 4 },
      },
    });
    const jobs = new Map(jobsOf(c).map((j) => [j.name, j]));
    expect(jobs.has('forecast-mid-term')).toBe(false);
    expect(jobs.get('forecast-day-ahead')).toMatchObject({ cron: '0 30 8 * * 1-5', deadlineMs: 1_800_000 });
    expect(jobs.get(httpPollJobName('http://gw-1.example/points'))).toMatchObject({ cron: c.httpPoll[0].cron, deadlineMs: 4000 });
    expect(jobs.get(httpPollJobName('http://gw-2.example/points'))).toMatchObject({ cron: '*/30 * * * * *' });
    expect(jobs.get('forecast-intraday')).toMatchObject({ cron: FORECAST_SCHEDULES.intraday.cron });
  });

  it('runs the rupture monitor hourly when given the event log', () => {
    const c = config({ rupture: { alarmsPerYear: 0.5 } });
    const withEvents = configuredJobs({ db, config: c, log: silentLog, run: runDeps(db, c, silentLog), events: eventsRepository(db) }).jobs;
    expect(withEvents.find((j) => j.name === 'ruptures')).toMatchObject({ cron: '0 20 * * * *' });
    expect(jobsOf(c).some((j) => j.name === 'ruptures')).toBe(false);
  });

  it('refuses an unknown job name, listing the jobs there are', () => {
    const c = config({ jobs: { 'forecast-dayahead': { enabled: false } } });
    expect(() => jobsOf(c)).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID', message: expect.stringMatching(/'forecast-dayahead'.*forecast-day-ahead/) }));
  });

  it('refuses a cron expression node-cron cannot fire, naming the key', () => {
    for (const cron of ['0 25 * * *', 'every day', 'H 9 * * *']) {
      const c = config({ jobs: { 'aggregates-flush': { cron } } });
      expect(() => jobsOf(c), cron).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID', message: expect.stringContaining('jobs.aggregates-flush.cron') }));
    }
    const poll = config({ httpPoll: [{ url: 'http://gw.example/p', cron: '*/90 * * *' }] });
    expect(() => jobsOf(poll)).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID' }));
  });

  it('refuses a misspelt setting of a job', () => {
    expect(() => config({ jobs: { 'aggregates-flush': { deadline: 10 } } })).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID' }));
  });
});

describe.each(backends)('HTTP poll jobs (%s)', (kind) => {
  let server: Server;
  let base: string;
  let db: Db;
  let failures = 0;
  beforeAll(async () => {
    server = createServer((req, res) => {
      if (req.url === '/flaky' && failures++ === 0) {
        res.writeHead(503).end();
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify([{ seriesId: req.url === '/flaky' ? 'feeder-2' : 'feeder-1', ts: '2026-02-02T08:00:00Z', value: 3.5 }]));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    db = await freshDb(kind);
  });
  afterAll(async () => {
    await db.close();
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });

  it('polls through the scheduler: a failed poll is retried within the deadline and the outcome recorded', async () => {
    const c = config({ httpPoll: [{ url: `${base}/ok` }, { url: `${base}/flaky` }, { url: 'http://127.0.0.1:1/down' }] });
    const { jobs, polls } = configuredJobs({ db, config: c, log: silentLog, run: runDeps(db, c, silentLog), pollCommit: dbCommitter(db, 'http') });
    const s = createScheduler({ runs: jobRunsRepository(db), jobs: jobs.map((j) => ({ ...j, retryDelayMs: 20 })), log: silentLog, instance: 'a' });
    const tick = new Date(Math.floor(Date.now() / 1000) * 1000);
    expect(await s.runTick(httpPollJobName(`${base}/ok`), tick)).toBe('succeeded');
    expect(await s.runTick(httpPollJobName(`${base}/flaky`), tick)).toBe('succeeded');
    expect(await s.runTick(httpPollJobName('http://127.0.0.1:1/down'), tick)).toBe('failed');
    const runs = await db.query<{ job: string; status: string; attempts: number }>(`SELECT job, status, attempts FROM job_runs ORDER BY job`);
    expect(runs.rows).toEqual([
      { job: httpPollJobName('http://127.0.0.1:1/down'), status: 'failed', attempts: 3 },
      { job: httpPollJobName(`${base}/flaky`), status: 'succeeded', attempts: 2 },
      { job: httpPollJobName(`${base}/ok`), status: 'succeeded', attempts: 1 },
    ]);
    const points = await db.query<{ series_id: string }>('SELECT series_id FROM measurements ORDER BY 1');
    expect(points.rows.map((r) => r.series_id)).toEqual(['feeder-1', 'feeder-2']);
    expect(polls!.lastResults().map((r) => [r.url, r.ok]).sort()).toEqual([[`${base}/flaky`, true], [`${base}/ok`, true], ['http://127.0.0.1:1/down', false]].sort());
  });
});
