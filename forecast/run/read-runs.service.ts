import type { Horizon } from '../../core/config.ts';
import { GridcastError } from '../../core/errors.ts';
import type { AllocationRule } from '../../core/hierarchy.ts';
import { resolveTimeInput, type TimeInput } from '../../core/time-input.ts';
import type { ForecastGrain, ForecastRow, RunRecord } from '../../core/forecast-run.ts';
import type { ForecastQuery, SeriesLabel } from '../../store/forecasts.repository.ts';

/** The store reads behind stored runs: store/forecasts.repository.ts over a connection. */
export interface RunsRepository {
  readRun(runId: number): Promise<RunRecord>;
  latestRun(horizon: Horizon, issuedBefore?: Date): Promise<RunRecord | null>;
  listRuns(opts: { horizon?: Horizon; beforeId?: number; limit: number }): Promise<RunRecord[]>;
  readForecasts(runId: number, opts: ForecastQuery): Promise<ForecastRow[]>;
  runSeriesLabels(runId: number): Promise<SeriesLabel[]>;
}

/** Which run: by id, or the latest of a horizon (as a reader had it before `issuedBefore`). */
export type RunChoice = { runId: number } | { horizon: Horizon; issuedBefore?: TimeInput };

export interface ForecastsQuery {
  seriesId?: string;
  grain?: ForecastGrain;
  /** Substation view of moving loads; default the run's own rule, 'none' for the rows as stored. */
  allocation?: AllocationRule | 'none';
}

/**
 * Reads stored runs and their values — the one read `gridcast forecast show` and the API's
 * /forecasts and /runs routes share, so both serve the same numbers.
 * A date given as issuedBefore is a local day of the grid's zone (`timeZone`, config.timeZone).
 * `noRunYet` says why there is no run of a horizon yet and when the next is due (the
 * scheduler's knowledge, supplied by the composition root: jobs/forecast.job.ts noRunYet).
 */
export interface RunReaderCache {
  /** How long the answer to "which run is the latest of a horizon" is reused: a new run shows after at most this. */
  latestTtlMs: number;
  /** Views (run, node, grain, allocation) kept; a stored run never changes, so a view never goes stale. */
  maxViews: number;
}

/**
 * A shadow run (D5) is never served as a forecast, even asked for by id: its values are only
 * read paired with the champion's (gridcast models compare).
 */
function published(run: RunRecord): RunRecord {
  if (!run.shadowOf) return run;
  throw new GridcastError(
    'RUN_NOT_FOUND',
    `Run ${run.id} is a shadow run of ${run.shadowOf.version} (shadowing run ${run.shadowOf.runId}): shadow forecasts are not published; compare them with 'gridcast models compare'.`,
    { runId: run.id, shadowOf: run.shadowOf.runId, version: run.shadowOf.version },
  );
}

export function createRunReader(deps: {
  runs: RunsRepository;
  timeZone: string;
  noRunYet: (horizon: Horizon, now: Date) => GridcastError;
  now?: () => Date;
  /** For a server answering the same reads many times a second (bench/api.ts); a CLI call reads once. */
  cache?: RunReaderCache;
}) {
  const { runs, cache } = deps;
  const now = deps.now ?? (() => new Date());
  const latest = new Map<Horizon, { at: number; run: RunRecord | null }>();
  const views = new Map<string, Promise<{ run: RunRecord; rows: ForecastRow[] }>>();

  const records = new Map<number, RunRecord>();
  async function readRun(runId: number): Promise<RunRecord> {
    const hit = records.get(runId);
    if (hit) return hit;
    const run = await runs.readRun(runId);
    if (cache) {
      records.set(runId, run);
      if (records.size > cache.maxViews) records.delete(records.keys().next().value!);
    }
    return run;
  }

  async function latestRun(horizon: Horizon, before?: Date): Promise<RunRecord | null> {
    if (!cache || before) return runs.latestRun(horizon, before);
    const t = now().getTime();
    const hit = latest.get(horizon);
    if (hit && t - hit.at < cache.latestTtlMs) return hit.run;
    const run = await runs.latestRun(horizon);
    latest.set(horizon, { at: t, run });
    return run;
  }

  async function view(run: RunRecord, query: ForecastsQuery): Promise<{ run: RunRecord; rows: ForecastRow[] }> {
    const rule = query.allocation ?? run.allocation;
    const read = async () => ({
      run,
      rows: await runs.readForecasts(run.id, {
        ...(query.seriesId !== undefined ? { seriesId: query.seriesId } : {}),
        ...(query.grain ? { grain: query.grain } : {}),
        ...(rule !== 'none' ? { allocation: rule } : {}),
      }),
    });
    if (!cache) return read();
    const key = JSON.stringify([run.id, query.seriesId ?? null, query.grain ?? null, rule]);
    let hit = views.get(key);
    if (hit) {
      // Most recently used last: the first key is the one to drop.
      views.delete(key);
    } else {
      const reading = read();
      // A failed read (unknown node) is not kept.
      reading.catch(() => views.get(key) === reading && views.delete(key));
      hit = reading;
    }
    views.set(key, hit);
    if (views.size > cache.maxViews) views.delete(views.keys().next().value!);
    return hit;
  }

  async function choose(choice: RunChoice): Promise<RunRecord> {
    if ('runId' in choice) return published(await readRun(choice.runId));
    const before = choice.issuedBefore && resolveTimeInput(choice.issuedBefore, deps.timeZone);
    const run = await latestRun(choice.horizon, before);
    if (run) return run;
    if (before === undefined) throw deps.noRunYet(choice.horizon, now());
    throw new GridcastError('RUN_NOT_FOUND', `No ${choice.horizon} run was issued before ${before.toISOString()}.`, {
      horizon: choice.horizon,
      issuedBefore: before.toISOString(),
    });
  }

  return {
    choose,
    /** A run and its values (ordered by series, grain, time), viewed with the run's allocation rule unless told otherwise. */
    async forecasts(choice: RunChoice, query: ForecastsQuery = {}): Promise<{ run: RunRecord; rows: ForecastRow[] }> {
      return view(await choose(choice), query);
    },
    /** Runs newest first; `beforeId` continues a list. */
    list: (opts: { horizon?: Horizon; beforeId?: number; limit: number }) => runs.listRuns(opts),
    /** A run and what produced each of its series. */
    async detail(runId: number): Promise<{ run: RunRecord; series: SeriesLabel[] }> {
      const run = published(await runs.readRun(runId));
      return { run, series: await runs.runSeriesLabels(runId) };
    },
  };
}
export type RunReader = ReturnType<typeof createRunReader>;
