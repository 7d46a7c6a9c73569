import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runDeps } from '../bin/lib/run-deps.ts';
import { systemClock } from '../core/clock.ts';
import { loadConfig } from '../core/config.ts';
import { silentLog, type Log } from '../core/log.ts';
import type { RunDeps } from '../forecast/run/ports.ts';
import { inlineGroups } from '../forecast/run/workers.ts';
import { backfillSimulated } from '../ingest/scada/sim-feed.ts';
import { readDefaultGrid } from '../ingest/simulator/default-grid.ts';
import { createSimulator } from '../ingest/simulator/simulator.ts';
import { forecastJobs } from '../jobs/forecast.job.ts';
import { createScheduler } from '../jobs/scheduler.ts';
import { deadlineService } from '../monitoring/deadline.service.ts';
import { openPg, type Db } from '../store/db.ts';
import { eventsRepository } from '../store/events.repository.ts';
import { freshnessRepository } from '../store/freshness.repository.ts';
import { jobRunsRepository } from '../store/job-runs.repository.ts';
import { migrate } from '../store/migrate.ts';
import { loadStoredTopology, saveTopology } from '../store/topology.repository.ts';
import { pgFaultSkipReason, startPrivatePg, type PrivatePg } from './fault-servers.ts';

/**
 * Fault: PostgreSQL restarts during a scheduled forecast run, made as `gridcast start` makes it:
 * the scheduler claims the tick (a transaction held open for the run) and calls the forecast job
 * under the deadline policy. The run must be retried if the restart cut it, complete before its
 * deadline, be stored once, and have its outcome recorded although the claim's connection died.
 * The server is a private cluster of this test (test/fault-servers.ts), never the shared one.
 */
const skip = pgFaultSkipReason();
if (skip) console.warn(`fault-pg-run: skipped: ${skip}`);

const JOB = 'forecast-day-ahead';

function recordingLog(): Log & { lines: string[] } {
  const lines: string[] = [];
  const rec = (_o: object, m?: string) => void lines.push(m ?? '');
  return { lines, info: rec, warn: rec, error: rec };
}

describe.skipIf(skip !== null)('PostgreSQL restarted during a scheduled forecast run (private cluster)', () => {
  let pg: PrivatePg;
  let db: Db;
  // Inputs are never late here: only the restart can delay the run.
  const config = loadConfig({}, { forecast: { defaultModel: { kind: 'seasonal-naive' }, historyDays: 7 }, deadlines: { weatherMaxAgeSec: 30 * 86_400, scadaMaxAgeSec: 30 * 86_400 } });
  beforeAll(async () => {
    pg = await startPrivatePg();
    db = await openPg(pg.url, 6);
    await migrate(db);
    await saveTopology(db, readDefaultGrid());
    const sim = createSimulator({ seed: 7, topology: await loadStoredTopology(db, config.timeZone), faults: false });
    await backfillSimulated(db, sim, { seed: 7, days: 8, stepSec: 900, now: new Date(), log: silentLog });
  }, 120_000);
  afterAll(async () => {
    await db?.close();
    await pg?.destroy();
  });

  /** The day-ahead job as `gridcast start` wires it (deadline policy, events in the store), over `run`'s ports. */
  const scheduler = (run: RunDeps, log: Log) => {
    const deadlines = deadlineService({ run, fallbackRun: { ...run, workers: inlineGroups }, events: eventsRepository(db), freshness: freshnessRepository(db), clock: systemClock, config, log });
    const jobs = forecastJobs(run, deadlines).filter((j) => j.name === JOB);
    return { s: createScheduler({ runs: jobRunsRepository(db), jobs, log, instance: 'fault-test', timeZone: config.timeZone }), deadlineMs: jobs[0].deadlineMs };
  };
  const tickNow = () => new Date(Math.floor(Date.now() / 1000) * 1000);
  const outcomeOf = async (tick: Date) => ({
    jobRuns: (await db.query<{ status: string; attempts: number }>('SELECT status, attempts FROM job_runs WHERE job = $1 AND scheduled_at = $2', [JOB, tick])).rows,
    runs: (await db.query<{ id: number; issued_at: Date; deadline: Date; values: number; fallback: number }>(
      `SELECT r.id, r.issued_at, r.deadline, (SELECT count(*) FROM forecasts v WHERE v.run_id = r.id)::int AS values,
         (SELECT count(*) FROM forecasts v WHERE v.run_id = r.id AND v.fallback_reason LIKE 'deadline:%')::int AS fallback
       FROM forecast_runs r WHERE r.horizon = 'day-ahead' AND r.scheduled_at = $1`,
      [tick],
    )).rows,
  });

  it('restarted -m fast while the run computes: the run completes and its outcome is recorded although its claim died', { timeout: 90_000 }, async () => {
    const log = recordingLog();
    const deps = runDeps(db, config, silentLog);
    let restarts = 0;
    const run: RunDeps = {
      ...deps,
      inputs: {
        load: async (req) => {
          const inputs = await deps.inputs.load(req);
          // Between the reads and the write: the claim's transaction and every idle connection are cut.
          if (restarts++ === 0) await pg.restart('fast');
          return inputs;
        },
      },
    };
    const { s, deadlineMs } = scheduler(run, log);
    const tick = tickNow();
    expect(await s.runTick(JOB, tick)).toBe('succeeded');
    expect(restarts).toBeGreaterThan(0);
    const { jobRuns, runs } = await outcomeOf(tick);
    expect(jobRuns).toEqual([{ status: 'succeeded', attempts: 1 }]);
    expect(runs).toHaveLength(1);
    expect(runs[0].values).toBeGreaterThan(0);
    expect(runs[0].fallback).toBe(0);
    expect(runs[0].issued_at.getTime()).toBeLessThan(tick.getTime() + deadlineMs);
  });

  it('stopped -m immediate as the run stores its result and started again: the run is retried, stored once, before its deadline', { timeout: 90_000 }, async () => {
    const log = recordingLog();
    const deps = runDeps(db, config, silentLog);
    let saves = 0;
    let restarted: Promise<void> = Promise.resolve();
    const run: RunDeps = {
      ...deps,
      store: {
        ...deps.store,
        saveRun: async (r, values) => {
          if (saves++ === 0) {
            await pg.stop('immediate');
            restarted = pg.start();
          }
          return deps.store.saveRun(r, values);
        },
      },
    };
    const { s, deadlineMs } = scheduler(run, log);
    const tick = tickNow();
    expect(await s.runTick(JOB, tick)).toBe('succeeded');
    await restarted;
    expect(saves).toBe(2);
    expect(log.lines).toContain('job run cut by a lost store connection; tried again once it is back');
    const { jobRuns, runs } = await outcomeOf(tick);
    expect(jobRuns).toEqual([{ status: 'succeeded', attempts: 2 }]);
    // The cut attempt stored nothing: one run, the model's (not the deadline fallback), issued before the deadline.
    expect(runs).toHaveLength(1);
    expect(runs[0].values).toBeGreaterThan(0);
    expect(runs[0].fallback).toBe(0);
    expect(runs[0].issued_at.getTime()).toBeLessThan(tick.getTime() + deadlineMs);
  });

  it('down at the tick: the claim is tried again once the server is back, and the run completes', { timeout: 90_000 }, async () => {
    const log = recordingLog();
    const { s } = scheduler(runDeps(db, config, silentLog), log);
    await pg.stop('fast');
    const tick = tickNow();
    const outcome = s.runTick(JOB, tick);
    await new Promise((r) => setTimeout(r, 2500));
    await pg.start();
    expect(await outcome).toBe('succeeded');
    expect(log.lines).toContain('job tick not claimed: the store connection was lost; claiming again once it is back');
    const { jobRuns, runs } = await outcomeOf(tick);
    expect(jobRuns).toEqual([{ status: 'succeeded', attempts: 1 }]);
    expect(runs).toHaveLength(1);
  });
});
