import { SCHEDULE_MODEL } from '../core/schedule.ts';
import { z } from 'zod';
import { GridcastError } from '../core/errors.ts';
import { HORIZONS, type Horizon } from '../core/config.ts';
import type { AllocationRule } from '../core/hierarchy.ts';
import { RunSettingsSchema, type ForecastGrain, type ForecastRow, type ForecastValue, type NewRun, type RunNode, type RunRecord } from '../core/forecast-run.ts';
import type { Db, Queryable } from './db.ts';

/**
 * Stored forecast runs (C3) and their values. A run and all its values are written in one
 * transaction; readers never see a run without its values.
 */

// bin/commands/forecast.ts, reworked by the API helpers of issue 9, still imports these from here.

const COLUMNS = ['run_id', 'series_id', 'grain', 'target_ts', 'mean', 'q', 'model', 'model_version', 'fallback_reason', 'base_mean', 'flags'];
const CHUNK_ROWS = 20_000;

const csvText = (s: string) => `"${s.replaceAll('"', '""')}"`;
const num = (v: number, what: string) => {
  if (!Number.isFinite(v)) throw new GridcastError('RUN_NOT_FINITE', `A forecast value (${what}) is not finite; nothing was stored.`, { what });
  return String(v);
};

function csvLine(runId: number, v: ForecastValue): string {
  const what = `${v.seriesId} ${v.grain} ${v.targetTs.toISOString()}`;
  return [
    runId,
    csvText(v.seriesId),
    v.grain,
    v.targetTs.toISOString(),
    num(v.mean, what),
    csvText(`{${v.q.map((x) => num(x, what)).join(',')}}`),
    csvText(v.model),
    csvText(v.modelVersion),
    v.fallbackReason === null ? '' : csvText(v.fallbackReason),
    num(v.baseMean, what),
    // Flags are fixed identifiers ('out-of-range'): no quoting inside the array literal.
    csvText(`{${(v.flags ?? []).join(',')}}`),
  ].join(',');
}

/** Stores a succeeded run and all its values in one transaction; returns the run id. */
export function saveRun(db: Db, run: NewRun, values: readonly ForecastValue[]): Promise<number> {
  return db.transaction(async (tx) => {
    const id = await insertRun(tx, run, 'succeeded');
    for (let i = 0; i < values.length; i += CHUNK_ROWS) {
      const lines = values.slice(i, i + CHUNK_ROWS).map((v) => csvLine(id, v));
      await tx.copyCsv('forecasts', COLUMNS, lines.join('\n') + '\n');
    }
    return id;
  });
}

async function insertRun(q: Queryable, r: NewRun, status: RunRecord['status']): Promise<number> {
  const res = await q.query<{ id: number }>(
    `INSERT INTO forecast_runs (issued_at, origin, horizon, root, window_start, window_end, reconciliation, reconciliation_applied,
       status, scheduled_at, deadline, inputs_hash, model_versions, allocation, warnings, settings, role, shadow_of, shadow_version)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13::jsonb, $14, $15::jsonb, $16::jsonb, $17, $18, $19) RETURNING id`,
    [
      r.issuedAt,
      r.origin,
      r.horizon,
      r.root,
      r.windowStart,
      r.windowEnd,
      r.reconciliation,
      r.reconciliationApplied,
      status,
      r.scheduledAt ?? null,
      r.deadline ?? null,
      r.inputsHash,
      JSON.stringify(r.modelVersions),
      r.allocation,
      JSON.stringify(r.warnings),
      JSON.stringify(r.settings),
      r.shadowOf ? 'shadow' : 'published',
      r.shadowOf?.runId ?? null,
      r.shadowOf?.version ?? null,
    ],
  );
  return res.rows[0].id;
}

interface RunDbRow {
  id: number;
  issued_at: Date;
  origin: Date;
  horizon: Horizon;
  root: string;
  window_start: Date;
  window_end: Date;
  reconciliation: NewRun['reconciliation'];
  reconciliation_applied: string;
  status: RunRecord['status'];
  scheduled_at: Date | null;
  deadline: Date | null;
  inputs_hash: string;
  model_versions: Record<string, string>;
  allocation: AllocationRule;
  warnings: string[];
  settings: unknown;
  shadow_of: number | null;
  shadow_version: string | null;
}

function runFromDb(r: RunDbRow): RunRecord {
  const settings = RunSettingsSchema.safeParse(r.settings);
  if (!settings.success) {
    throw new GridcastError('RUN_SETTINGS_INVALID', `Stored run ${r.id} has unreadable settings (${z.prettifyError(settings.error)}); it cannot be shown or reproduced.`, { runId: r.id });
  }
  return {
    id: r.id,
    issuedAt: r.issued_at,
    origin: r.origin,
    horizon: r.horizon,
    root: r.root,
    windowStart: r.window_start,
    windowEnd: r.window_end,
    reconciliation: r.reconciliation,
    reconciliationApplied: r.reconciliation_applied,
    status: r.status,
    ...(r.scheduled_at ? { scheduledAt: r.scheduled_at } : {}),
    ...(r.deadline ? { deadline: r.deadline } : {}),
    inputsHash: r.inputs_hash,
    modelVersions: r.model_versions,
    allocation: r.allocation,
    warnings: r.warnings,
    settings: settings.data,
    ...(r.shadow_of !== null && r.shadow_version !== null ? { shadowOf: { runId: Number(r.shadow_of), version: r.shadow_version } } : {}),
  };
}

/** The run, or RUN_NOT_FOUND. */
export async function readRun(q: Queryable, runId: number): Promise<RunRecord> {
  const res = await q.query<RunDbRow>('SELECT * FROM forecast_runs WHERE id = $1', [runId]);
  if (res.rows.length === 0) throw new GridcastError('RUN_NOT_FOUND', `There is no forecast run ${runId}.`, { runId });
  return runFromDb(res.rows[0]);
}

/**
 * The succeeded published run (never a shadow run) of the horizon with the latest origin (the last issued among equals), or
 * null. With issuedBefore, among the runs issued before that time: the run a reader had then.
 */
export async function latestRun(q: Queryable, horizon: Horizon, issuedBefore?: Date): Promise<RunRecord | null> {
  if (!HORIZONS.includes(horizon)) throw new GridcastError('RUN_HORIZON_INVALID', `Unknown horizon '${horizon}'; use one of ${HORIZONS.join(', ')}.`, { horizon });
  const res = await q.query<RunDbRow>(
    `SELECT * FROM forecast_runs WHERE horizon = $1 AND status = 'succeeded' AND role = 'published' AND ($2::timestamptz IS NULL OR issued_at < $2)
     ORDER BY origin DESC, id DESC LIMIT 1`,
    [horizon, issuedBefore ?? null],
  );
  return res.rows.length ? runFromDb(res.rows[0]) : null;
}

/** Published runs newest first (by id), optionally of one horizon and below an id (paging); shadow runs are not listed. */
export async function listRuns(q: Queryable, opts: { horizon?: Horizon; beforeId?: number; limit: number }): Promise<RunRecord[]> {
  const res = await q.query<RunDbRow>(
    `SELECT * FROM forecast_runs WHERE role = 'published' AND ($1::text IS NULL OR horizon = $1) AND ($2::bigint IS NULL OR id < $2)
     ORDER BY id DESC LIMIT $3`,
    [opts.horizon ?? null, opts.beforeId ?? null, opts.limit],
  );
  return res.rows.map(runFromDb);
}

export interface ForecastQuery {
  seriesId?: string;
  grain?: ForecastGrain;
  /**
   * Substation view of moving loads (B8): each substation a moving load draws from, and its
   * ancestors below the load's own parent, get the load's share ('average': the load divided
   * by its substations, so shares add up; 'worst-case': the whole load, never to be summed).
   * Without it, rows are as stored: the load is its own series, counted once in every aggregate.
   */
  allocation?: AllocationRule;
}

interface ForecastDbRow {
  series_id: string;
  grain: ForecastGrain;
  target_ts: Date;
  mean: number;
  q: number[];
  model: string;
  model_version: string;
  fallback_reason: string | null;
  base_mean: number;
  flags: string[];
}

/** Values of a run ordered by series, grain and time. */
export async function readForecasts(q: Queryable, runId: number, opts: ForecastQuery = {}): Promise<ForecastRow[]> {
  const run = await readRun(q, runId);
  if (opts.seriesId !== undefined && !run.settings.nodes.some((n) => n.id === opts.seriesId)) {
    throw new GridcastError('RUN_SERIES_NOT_FOUND', `Run ${runId} has no series '${opts.seriesId}' (its root is '${run.root}').`, { runId, seriesId: opts.seriesId });
  }
  const shares = opts.allocation ? movingLoadShares(run.settings.nodes, opts.allocation) : new Map<string, Share[]>();
  const wanted = opts.seriesId === undefined ? null : [opts.seriesId, ...(shares.get(opts.seriesId) ?? []).map((s) => s.load)];
  const keys = run.settings.quantiles.map(String);
  const res = await q.query<ForecastDbRow>(
    `SELECT series_id, grain, target_ts, mean, q, model, model_version, fallback_reason, base_mean, flags FROM forecasts
     WHERE run_id = $1 AND ($2::text IS NULL OR grain = $2) AND ($3::text[] IS NULL OR series_id = ANY($3))
     ORDER BY series_id, grain, target_ts`,
    [runId, opts.grain ?? null, wanted],
  );
  const rows: ForecastRow[] = res.rows.map((r) => ({
    seriesId: r.series_id,
    grain: r.grain,
    targetTs: r.target_ts,
    mean: r.mean,
    quantiles: Object.fromEntries(keys.map((k, i) => [k, r.q[i]])),
    model: r.model,
    modelVersion: r.model_version,
    fallbackReason: r.fallback_reason,
    baseMean: r.base_mean,
    flags: r.flags,
  }));
  const viewed = opts.allocation ? addShares(rows, shares, opts.allocation) : rows;
  return opts.seriesId === undefined ? viewed : viewed.filter((r) => r.seriesId === opts.seriesId);
}

interface Share {
  load: string;
  weight: number;
}

/**
 * Which nodes receive a share of which moving load: each substation the load draws from and its
 * ancestors up to (not including) the load's parent, which counts the load itself. 'average'
 * gives a node the load divided by the number of substations, times those under it;
 * 'worst-case' gives it the whole load once, however many of the substations it holds.
 */
function movingLoadShares(nodes: RunNode[], rule: AllocationRule): Map<string, Share[]> {
  const parent = new Map(nodes.map((n) => [n.id, n.parent]));
  const out = new Map<string, Share[]>();
  for (const m of nodes) {
    if (!m.sharing) continue;
    const weight = new Map<string, number>();
    for (const s of m.sharing.substations) {
      for (let n: string | null | undefined = s; n && n !== m.parent; n = parent.get(n)) {
        weight.set(n, rule === 'average' ? (weight.get(n) ?? 0) + 1 / m.sharing.substations.length : 1);
      }
    }
    for (const [n, w] of weight) out.set(n, [...(out.get(n) ?? []), { load: m.id, weight: w }]);
  }
  return out;
}

function addShares(rows: ForecastRow[], shares: Map<string, Share[]>, rule: AllocationRule): ForecastRow[] {
  const at = new Map(rows.map((r) => [`${r.seriesId}\0${r.grain}\0${r.targetTs.getTime()}`, r]));
  return rows.map((r) => {
    const mine = shares.get(r.seriesId);
    if (!mine) return r;
    const out: ForecastRow = { ...r, quantiles: { ...r.quantiles }, allocated: { rule, movingLoads: mine.map((s) => s.load) } };
    for (const { load, weight } of mine) {
      const l = at.get(`${load}\0${r.grain}\0${r.targetTs.getTime()}`)!;
      out.mean += weight * l.mean;
      out.baseMean += weight * l.baseMean;
      for (const k of Object.keys(out.quantiles)) out.quantiles[k] += weight * l.quantiles[k];
    }
    return out;
  });
}

export interface SeriesLabel {
  seriesId: string;
  model: string;
  modelVersion: string;
  fallbackReason: string | null;
}

/** What produced each series of a run (one model per series and run). */
export async function runSeriesLabels(q: Queryable, runId: number): Promise<SeriesLabel[]> {
  const { rows } = await q.query<{ series_id: string; model: string; model_version: string; fallback_reason: string | null }>(
    // A scheduled hour is the schedule's, not the series' model: the model's label wins when it made any value.
    `SELECT DISTINCT ON (series_id) series_id, model, model_version, fallback_reason FROM forecasts WHERE run_id = $1 ORDER BY series_id, model = $2, grain, target_ts`,
    [runId, SCHEDULE_MODEL],
  );
  return rows.map((r) => ({ seriesId: r.series_id, model: r.model, modelVersion: r.model_version, fallbackReason: r.fallback_reason }));
}
