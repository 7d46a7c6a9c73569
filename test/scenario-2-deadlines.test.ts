import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig, type Config } from '../core/config.ts';
import { silentLog } from '../core/log.ts';
import type { GroupsRunner, RunDeps } from '../forecast/run/ports.ts';
import { inlineGroups } from '../forecast/run/workers.ts';
import { backfillSimulated } from '../ingest/scada/sim-feed.ts';
import { readDefaultGrid } from '../ingest/simulator/default-grid.ts';
import { createSimulator } from '../ingest/simulator/simulator.ts';
import { forecastJobs } from '../jobs/forecast.job.ts';
import { createScheduler } from '../jobs/scheduler.ts';
import { deadlineService } from '../monitoring/deadline.service.ts';
import type { Db } from '../store/db.ts';
import { readForecasts, latestRun } from '../store/forecasts.repository.ts';
import { freshnessRepository } from '../store/freshness.repository.ts';
import { jobRunsRepository } from '../store/job-runs.repository.ts';
import { loadStoredTopology, saveTopology } from '../store/topology.repository.ts';
import { loadRunInputs } from '../forecast/inputs.ts';
import { runStoreRepository } from '../store/run-store.repository.ts';
import { backends, freshDb } from './db.ts';
import { fakeClock } from './fakes/clock.ts';
import { fakeEvents } from './fakes/events.ts';

// Scenario 2 (D6) on the simulated grid: the weather feed is late; a warning fires before the
// deadline, a labelled fallback forecast is published before it, the alarm is logged. The
// clock is a fake one started at the tick, so the hour to the deadline passes in milliseconds;
// the store is real (PGlite and PostgreSQL).

const MIN = 60_000;
const HOUR = 60 * MIN;
const ceilMinute = () => new Date(Math.ceil(Date.now() / MIN) * MIN);

async function until(done: () => boolean, timeoutMs = 30_000): Promise<void> {
  for (const end = Date.now() + timeoutMs; !done(); await new Promise((r) => setTimeout(r, 10))) {
    if (Date.now() > end) throw new Error('timed out waiting');
  }
}

describe.each(backends)('scenario 2: deadlines (%s)', (kind) => {
  let db: Db;
  // Stored rows are received at the wall-clock time: the tick comes after the backfill has written them.
  let TICK: Date;
  const base = { forecast: { defaultModel: { kind: 'seasonal-naive' }, historyDays: 16, reconciliation: 'bottom-up' } };
  beforeAll(async () => {
    db = await freshDb(kind);
    await saveTopology(db, readDefaultGrid());
    // No sensor faults: a simulated outage of a line near the wall-clock tick would make its SCADA late (the test runs at any time of day).
    const sim = createSimulator({ seed: 11, topology: await loadStoredTopology(db, 'Europe/Paris'), faults: false });
    await backfillSimulated(db, sim, { seed: 11, days: 16, stepSec: 900, now: ceilMinute(), log: silentLog });
    TICK = ceilMinute();
  }, 240_000);
  afterAll(() => db?.close());

  const wiring = (config: Config, workers?: GroupsRunner) => {
    const clock = fakeClock(TICK);
    const events = fakeEvents();
    const run: RunDeps = { store: runStoreRepository(db), inputs: { load: (req) => loadRunInputs(db, req) }, workers: workers ?? inlineGroups, config, now: () => clock.now() };
    const svc = deadlineService({ run, fallbackRun: { ...run, workers: inlineGroups }, events, freshness: freshnessRepository(db), clock, config, log: silentLog });
    const kinds = () => [...events.rows].sort((a, b) => a.id - b.id).map((e) => [e.kind, e.severity, e.at.toISOString()]);
    return { clock, events, run, svc, kinds };
  };

  it('scenario 2: the weather feed is late: a warning before the deadline, a labelled fallback published before it, the alarm logged', async () => {
    const config = loadConfig({}, { ...base, deadlines: { pollSec: 600, scadaMaxAgeSec: 2 * 3600 } });
    // The feed stopped: the last issue the store has is 18 hours or more before the tick (max age 12 h).
    await db.query('DELETE FROM weather_fc WHERE issued_at > $1', [new Date(TICK.getTime() - 18 * HOUR)]);
    const fresh = freshnessRepository(db);
    const issues = await fresh.weatherIssues('temperature', TICK);
    expect(issues.length).toBeGreaterThan(0);
    expect(issues.every((s) => s.issuedAt !== null && s.issuedAt.getTime() <= TICK.getTime() - 18 * HOUR)).toBe(true);
    const scada = await fresh.scadaLatest(null, TICK);
    expect(scada.length).toBeGreaterThan(0);
    expect(scada.filter((s) => !(s.ts !== null && TICK.getTime() - s.ts.getTime() <= HOUR)).map((s) => [s.seriesId, s.ts, TICK])).toEqual([]);
    // Derived series (balances, aggregates) are not watched by default; a configured list is taken as given.
    expect(scada.some((s) => s.seriesId.endsWith(':balance') || s.seriesId === 'fr')).toBe(false);
    const named = await fresh.scadaLatest(['ss.aix', 'fr.north:balance'], TICK);
    expect(named.map((s) => [s.seriesId, s.ts === null])).toEqual([['fr.north:balance', true], ['ss.aix', false]]);

    const { clock, events, run, svc, kinds } = wiring(config);
    const jobs = forecastJobs(run, svc).filter((j) => j.name === 'forecast-day-ahead');
    const deadline = new Date(TICK.getTime() + jobs[0].deadlineMs);
    const scheduler = createScheduler({ runs: jobRunsRepository(db), jobs, log: silentLog, instance: 'a', timeZone: config.timeZone, now: () => clock.now() });
    expect(await clock.drive(scheduler.runTick('forecast-day-ahead', TICK))).toBe('succeeded');

    // The warning at the tick, the alarm and the fallback at the early warning (30 min before the deadline).
    const warnAt = new Date(deadline.getTime() - 30 * MIN).toISOString();
    expect(kinds()).toEqual([
      ['input-late', 'warning', TICK.toISOString()],
      ['run-late', 'alarm', warnAt],
      ['fallback-published', 'warning', warnAt],
    ]);
    const [late] = await events.list({ kinds: ['input-late'] });
    expect(late.detail).toMatchObject({ input: 'weather-forecast', check: 'start', count: issues.length, deadline: deadline.toISOString(), maxAgeSec: 43_200 });
    expect(late.detail.lastSeen).toBe(new Date(Math.max(...issues.map((s) => s.issuedAt!.getTime()))).toISOString());

    // What a reader has at the deadline: the fallback, issued before it, every value labelled.
    const published = (await latestRun(db, 'day-ahead', deadline))!;
    const [fallbackEvent] = await events.list({ kinds: ['fallback-published'] });
    expect(published.id).toBe(fallbackEvent.runId);
    expect(published.issuedAt.toISOString()).toBe(warnAt);
    expect([published.scheduledAt, published.deadline]).toEqual([TICK, deadline]);
    const values = await readForecasts(db, published.id);
    expect(values.length).toBeGreaterThan(0);
    expect(new Set(values.map((v) => `${v.model} | ${v.fallbackReason}`))).toEqual(new Set(['seasonal-naive | deadline: inputs late (weather-forecast)']));
    expect(values.every((v) => Number.isFinite(v.mean))).toBe(true);
    // A seasonal-naive copy of last week's load, not zeros: the grid's total is a real level.
    expect(values.filter((v) => v.seriesId === published.root && v.grain === '1h').every((v) => v.mean > 0)).toBe(true);
    const status = await db.query<{ status: string }>(`SELECT status FROM job_runs WHERE job = 'forecast-day-ahead'`);
    expect(status.rows).toEqual([{ status: 'succeeded' }]);
  }, 120_000);

  it('a model run finishing after the deadline is stored with its own issue time: reads at the deadline still return the fallback', async () => {
    // Weather accepted however old, so only the slow model run matters here.
    const config = loadConfig({}, { ...base, deadlines: { weatherMaxAgeSec: 7 * 86_400, scadaMaxAgeSec: 2 * 3600 } });
    let open!: () => void;
    const gate = new Promise<void>((r) => (open = r));
    // A worker pool that answers only after the deadline, past the run's last abort checkpoint.
    const slow: GroupsRunner = async (job, signal, deadline, artifacts) => gate.then(() => inlineGroups(job, signal, deadline, artifacts));
    const { clock, events, svc, kinds } = wiring(config, slow);
    const deadline = new Date(TICK.getTime() + 15 * MIN);
    const driving = clock.drive(svc.run({ horizon: 'intraday', scheduledAt: TICK, deadline, signal: new AbortController().signal }));
    await until(() => events.rows.some((e) => e.kind === 'fallback-published' || e.kind === 'deadline-missed'));
    const after = new Date(deadline.getTime() + 5 * MIN);
    clock.set(after);
    open();
    const out = await driving;
    const budgetEnd = new Date(deadline.getTime() - 3 * MIN).toISOString();
    expect(kinds()).toEqual([['run-late', 'alarm', budgetEnd], ['fallback-published', 'warning', budgetEnd]]);
    expect(out.published).toBe('fallback');
    expect(out.lateRunId).not.toBeNull();

    const atDeadline = (await latestRun(db, 'intraday', deadline))!;
    expect(atDeadline.id).toBe(out.runId);
    expect(atDeadline.settings.fallbackReason).toMatch(/^deadline: the model run did not finish by /);
    const latest = (await latestRun(db, 'intraday'))!;
    expect(latest.id).toBe(out.lateRunId);
    expect(latest.issuedAt).toEqual(after);
    expect(latest.origin).toEqual(atDeadline.origin);
    // Its inputs were those known at the tick, recorded for a reproduction.
    expect(latest.settings.knownAt).toBe(TICK.toISOString());
    const lateValues = await readForecasts(db, latest.id);
    expect(lateValues.some((v) => v.fallbackReason?.startsWith('deadline'))).toBe(false);
  }, 120_000);
});
