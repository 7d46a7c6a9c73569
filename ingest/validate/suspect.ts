import type { PointColumns, SpikeStore, SuspectMark } from '../../core/ingest-store.ts';
import type { Db, Queryable } from '../../store/db.ts';
import { spikeStore } from '../../store/ingest.repository.ts';
import { loadSeriesUnits } from '../../store/measurements.repository.ts';
import type { SeriesUnit } from '../../core/series.ts';
import type { SeriesStats } from '../csv/rows.ts';
import { seriesMeasuredIn } from '../../store/imputation.repository.ts';
import { BLOCK, isolatedSpikes, sortedPoints, type SeriesPoints } from './spikes.ts';

/** A stretch of one series to check: [from, to], with its points when the caller holds them. */
export interface CheckedSpan {
  seriesId: string;
  from: Date;
  to: Date;
  /** The span's points as received (any order); without them they are read from the store. */
  points?: SeriesPoints;
  /** Nominal cadence (attrs.stepSec); default: the median spacing of the points. */
  stepSec?: number;
}

export interface SuspectPoint {
  seriesId: string;
  ts: string;
  value: number;
  why: string;
}

/** What a batch or a job reports: how many points it marked suspect, and the first ones. */
export interface SuspectReport {
  flagged: number;
  first: SuspectPoint[];
}

/** Points listed in a report; the rest are counted (every one is in suspect_log). */
const LISTED = 10;
/** Points read from the store at a time when the caller does not hold them. */
const PAGE = 200_000;
/**
 * The fewest points a span is judged among (stored ones before it are added): enough for a typical
 * deviation (two days of hourly load; judging GEFCom2012 one daily file at a time this way flags
 * fewer points than judging it whole), while a big batch reads only two stored points before it.
 */
const MIN_WINDOW = 48;

/**
 * Marks the isolated spikes and drops (ingest/validate/spikes.ts) of each span suspect, keeping
 * the values as received. A span is judged together with the measured points stored just before
 * and after it: its first point has a predecessor, and the stored point just before (or after),
 * which could not be judged without this span, is judged now — so consecutive files, or live
 * points once their successor arrives, are all judged once they have both neighbours. Every
 * point marked gets a suspect_log row and its aggregates are marked for recomputation. Call it
 * in the transaction that wrote the span's points.
 */
export async function flagSpikes(
  store: SpikeStore,
  spans: CheckedSpan[],
  by: { batchId: number | null; actor: string; pageSize?: number },
): Promise<SuspectReport> {
  // Before the span: the two points its first judgements need, and more for a short span so that
  // it is judged among MIN_WINDOW points at least. After it: the first point and its successor.
  const around = await store.measuredAround(
    spans.map((s) => ({ ...s, before: Math.max(2, MIN_WINDOW - (s.points?.n ?? 0)), after: 2 })),
  );
  const marks: SuspectMark[] = [];
  for (const span of spans) {
    const { before, after } = around.get(span.seriesId)!;
    const inner: AsyncIterable<PointColumns> | Iterable<PointColumns> = span.points
      ? [sortedPoints(span.points)]
      : store.measuredPages(span.seriesId, span.from, span.to, by.pageSize ?? PAGE);
    const stepMs = span.stepSec ? span.stepSec * 1000 : undefined;
    // Each window is judged from its first point that has not been judged yet (the last point of
    // the window before, or the stored point just before the span) up to its last but one.
    let carry = before;
    const judge = (w: PointColumns) => {
      for (const s of isolatedSpikes(w.t, w.v, { stepMs, from: Math.max(carry.t.length - 1, 1) })) {
        const i = s.index;
        marks.push({
          seriesId: span.seriesId,
          ts: w.t[i],
          value: w.v[i],
          reason: s.kind,
          detail: { before: w.v[i - 1], after: w.v[i + 1], deviations: Number.isFinite(s.deviations) ? Number(s.deviations.toFixed(1)) : null },
        });
      }
      carry = tail(w, BLOCK + 1);
    };
    for await (const page of inner) judge(concat(carry, page));
    judge(concat(carry, after));
  }
  const changed = await store.markSuspect(marks, by);
  await markChangedAggregates(store, changed);
  return {
    flagged: changed.length,
    first: changed.slice(0, LISTED).map((m) => ({ seriesId: m.seriesId, ts: new Date(m.ts).toISOString(), value: m.value, why: explain(m) })),
  };
}

/** `spike: above both neighbours (1700 before, 1720 after), 41x the typical deviation`. */
function explain(m: SuspectMark): string {
  const { before, after, deviations } = m.detail as { before: number; after: number; deviations: number | null };
  const far = deviations === null ? 'on an otherwise flat stretch' : `${deviations}x the typical deviation`;
  return `${m.reason}: ${m.reason === 'spike' ? 'above' : 'below'} both neighbours (${before} before, ${after} after), ${far}`;
}

function concat(a: PointColumns, b: PointColumns): PointColumns {
  if (a.t.length === 0) return b;
  const t = new Float64Array(a.t.length + b.t.length);
  const v = new Float64Array(t.length);
  t.set(a.t);
  t.set(b.t, a.t.length);
  v.set(a.v);
  v.set(b.v, a.v.length);
  return { t, v };
}

const tail = (w: PointColumns, n: number): PointColumns => ({ t: w.t.slice(-n), v: w.v.slice(-n) });

/** The buckets of the points changed are recomputed from raw (marks; flushed like any batch's). */
async function markChangedAggregates(store: SpikeStore, changed: SuspectMark[]): Promise<void> {
  // One mark per run of points less than a day apart, rather than one per point.
  const DAY = 86_400_000;
  const runs: Array<{ seriesId: string; from: number; to: number }> = [];
  for (const c of changed) {
    const run = runs.at(-1);
    if (run && run.seriesId === c.seriesId && c.ts - run.to < DAY) run.to = c.ts;
    else runs.push({ seriesId: c.seriesId, from: c.ts, to: c.ts });
  }
  for (const r of runs) await store.markAggregates({ seriesIds: [r.seriesId], from: new Date(r.from), to: new Date(r.to) });
}

/**
 * The spike check of a CSV batch of measurements whose rows are in place: each series over the
 * batch's span, from the points the read pass held (or from the store when the file was too big
 * to hold), at the series' declared cadence.
 */
export function flagBatchSpikes(store: SpikeStore, stats: Map<string, SeriesStats>, catalog: Map<string, SeriesUnit>, batchId: number): Promise<SuspectReport> {
  const spans = [...stats].map(([seriesId, s]): CheckedSpan => ({
    seriesId,
    from: new Date(s.minTs),
    to: new Date(s.maxTs),
    points: s.points,
    stepSec: declaredStepSec(catalog.get(seriesId)?.attrs),
  }));
  return flagSpikes(store, spans, { batchId, actor: 'csv' });
}

function declaredStepSec(attrs: Record<string, unknown> | undefined): number | undefined {
  const step = Number(attrs?.stepSec);
  return Number.isFinite(step) && step > 0 ? step : undefined;
}

/**
 * The spike check of points already in the store (a released batch, live telemetry), at each
 * series' declared cadence.
 */
export async function flagStoredSpikes(q: Queryable, spans: Array<{ seriesId: string; from: Date; to: Date }>, by: { batchId: number | null; actor: string }): Promise<SuspectReport> {
  const catalog = await loadSeriesUnits(q);
  return flagSpikes(spikeStore(q), spans.map((s) => ({ ...s, stepSec: declaredStepSec(catalog.get(s.seriesId)?.attrs) })), by);
}

/**
 * The live check (the scada-spikes job): every measured series over [from, to], in one
 * transaction. A live point is judged once its successor is stored, so each run judges the
 * points that got one since the last run (and again the others, which changes nothing).
 */
export async function flagRecentSpikes(db: Db, opts: { from: Date; to: Date; actor: string }): Promise<SuspectReport> {
  return db.transaction(async (tx) => {
    const ids = await seriesMeasuredIn(tx, opts.from, opts.to);
    return flagStoredSpikes(tx, ids.map((seriesId) => ({ seriesId, from: opts.from, to: opts.to })), { batchId: null, actor: opts.actor });
  });
}
