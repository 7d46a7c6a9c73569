import type { Config } from '../../core/config.ts';
import { silentLog } from '../../core/log.ts';
import { createActualsService } from '../../ingest/actuals.service.ts';
import { createTopologyReader } from '../../ingest/topology/topology.service.ts';
import { createRunReader, type RunReaderCache } from '../../forecast/run/read-runs.service.ts';
import { createJobsStatus, type JobDefinition } from '../../jobs/status.service.ts';
import { noRunYet } from '../../jobs/forecast.job.ts';
import { configuredJobs } from '../../jobs/registry.ts';
import type { Db } from '../../store/db.ts';
import { querySeries, seriesBounds } from '../../store/query.repository.ts';
import { latestRun, listRuns, readForecasts, readRun, runSeriesLabels } from '../../store/forecasts.repository.ts';
import { listSeries } from '../../store/series.repository.ts';
import { jobRunsRepository } from '../../store/job-runs.repository.ts';
import type { PlannedReads, ReadServices } from '../../api/read-services.ts';
import { transfersRepository } from '../../store/transfers.repository.ts';
import { createPlannedAccuracy, type PlannedValuesSource } from '../../monitoring/planned-accuracy.service.ts';
import { scheduleValues } from '../../monitoring/schedule-plans.ts';
import { scheduledSeries, scheduleSource, scheduleTargets } from '../../store/schedules.repository.ts';
import { queryMeasurements } from '../../store/query.repository.ts';
import { runDeps } from './run-deps.ts';
import { createEventReader } from '../../monitoring/events.service.ts';
import { eventsRepository } from '../../store/events.repository.ts';
import { createDriftReader } from '../../monitoring/drift.service.ts';
import { accuracyService } from '../../monitoring/accuracy.service.ts';
import { createProposalReader } from '../../monitoring/proposals.service.ts';
import { registryRepository } from '../../store/registry.repository.ts';
import { createNodeStatusReader } from '../../monitoring/node-status.service.ts';
import { nodeStatusRepository } from '../../store/node-status.repository.ts';

/** Sources of planned hourly values scored against actuals (GET /planned/accuracy): the schedules. */
const plannedValueSources = (db: Db): PlannedValuesSource[] => [
  scheduleValues({ ...scheduleSource(db), series: (from, to) => scheduledSeries(db, from, to) }, async (ids) => new Map([...(await scheduleTargets(db, ids))].map(([id, t]) => [id, t.unit]))),
];

/** Plans over one store: transfer versions, and planned-vs-actual error per source. */
export function plannedReads(db: Db): PlannedReads {
  const store = transfersRepository(db);
  return {
    async transfers(q) {
      if (!q.asOf) return store.versions(q);
      const inForce = await store.inForce({ knownAt: q.asOf, from: new Date('0001-01-01T00:00:00Z'), to: new Date('9999-12-31T00:00:00Z'), ...(q.seriesId && { seriesIds: [q.seriesId] }) });
      return inForce.filter((t) => (q.source === undefined || t.source === q.source) && (q.ref === undefined || t.ref === q.ref));
    },
    accuracy: createPlannedAccuracy({
      sources: plannedValueSources(db),
      async actuals(seriesId, from, to) {
        const rows = await queryMeasurements(db, { seriesId, from, to, grain: '1h' });
        return new Map(rows.flatMap((r) => (r.value === null || !Number.isFinite(r.value) ? [] : [[r.ts.getTime(), r.value] as [number, number]])));
      },
    }),
  };
}

export const actualsService = (db: Db) => createActualsService({ querySeries: (q) => querySeries(db, q), bounds: (q) => seriesBounds(db, q) });

/** Drift reports over one store: what a run reads, the champions' training windows. */
export const driftReader = (db: Db, config: Config) => {
  const r = runDeps(db, config);
  return createDriftReader({ store: r.store, inputs: r.inputs, config, now: r.now });
};

/** The node status overview over one store (GET /api/v1/node-status); `reuseMs`: how long a server reuses a report. */
export const nodeStatusReader = (db: Db, config: Config, opts: { now?: () => Date; reuseMs?: number } = {}) =>
  createNodeStatusReader({
    store: nodeStatusRepository(db),
    nodes: async () =>
      (await listSeries(db)).map((r) => ({ id: r.id, parent: r.parent, name: r.name ?? null, kind: r.kind, derived: r.attrs.derived === true })),
    acknowledged: async (ids) => new Set((await eventsRepository(db).acknowledgements(ids)).keys()),
    timeZone: config.timeZone,
    ...opts,
  });

export const eventReader = (db: Db, config: Config) => createEventReader({ events: eventsRepository(db), timeZone: config.timeZone });

export const runReader = (db: Db, config: Config, cache?: RunReaderCache) =>
  createRunReader({
    ...(cache && { cache }),
    runs: {
      readRun: (id) => readRun(db, id),
      latestRun: (h, before) => latestRun(db, h, before),
      listRuns: (o) => listRuns(db, o),
      readForecasts: (id, o) => readForecasts(db, id, o),
      runSeriesLabels: (id) => runSeriesLabels(db, id),
    },
    timeZone: config.timeZone,
    noRunYet: (h, now) => noRunYet(config, h, now),
  });

/**
 * The node status overview costs seconds on a large hierarchy and every open dashboard polls it:
 * a server computes it at most once per 10 s per window (a change shows within 10 s).
 */
export const NODE_STATUS_REUSE_MS = 10_000;

/** A server answers the same reads many times a second: a new run shows within a second. */
const SERVER_CACHE: RunReaderCache = { latestTtlMs: 1000, maxViews: 256 };

/**
 * The read services of the API over one store. `scheduler` is the running one (gridcast start); without it
 * the jobs listed are those this config would schedule, their next ticks computed from the cron.
 */
export function readServices(
  db: Db,
  config: Config,
  scheduler?: { jobs: () => JobDefinition[]; nextTicks: () => Array<{ job: string; at: Date | null }> | null },
): ReadServices {
  let configured: JobDefinition[] | undefined;
  const jobs = scheduler?.jobs ?? (() => (configured ??= configuredJobs({ db, config, log: silentLog, run: runDeps(db, config, silentLog) }).jobs));
  return {
    topology: createTopologyReader({ listSeries: () => listSeries(db) }),
    actuals: actualsService(db),
    runs: runReader(db, config, SERVER_CACHE),
    events: eventReader(db, config),
    drift: driftReader(db, config),
    proposals: createProposalReader({ events: eventsRepository(db), registry: registryRepository(db) }),
    accuracy: accuracyService(db, config),
    nodeStatus: nodeStatusReader(db, config, { reuseMs: NODE_STATUS_REUSE_MS }),
    planned: plannedReads(db),
    jobs: createJobsStatus({ jobs, timeZone: config.timeZone, runs: jobRunsRepository(db), ...(scheduler && { nextTicks: scheduler.nextTicks }) }),
  };
}
