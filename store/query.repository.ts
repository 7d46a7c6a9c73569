import { GridcastError } from '../core/errors.ts';
import { Quality, worstQuality } from '../core/quality.ts';
import { localDate, nextLocalMidnight, resolveTimeInput, type TimeInput } from '../core/time-input.ts';
import { GRAIN_SECONDS, type AggregateGrain, type Grain } from '../core/grain.ts';
import { aggregateSql, grainStored } from './aggregates.ts';
import { cadence, expectedCount } from './cadence.ts';
import type { Queryable } from './db.ts';
import { measurementsKnownAt } from './measurements.repository.ts';
import { isEnergyUnit } from '../core/units.ts';
import { hasWeatherVariable, readWeather, weatherAggregatePoints, weatherTimes, weatherVariables, type WeatherRead } from './weather.repository.ts';

export type MeteringStatus = 'provisional' | 'validated' | 'imputed';

export interface MeasurementQuery {
  seriesId: string;
  /** Buckets (or raw points) with start >= from and start < to. */
  from: Date;
  to: Date;
  grain: Grain;
  /** Only data received at or before this time (the versions known then). */
  asOf?: Date;
  /** Weather stations: the variable read (default 'temperature'). */
  variable?: string;
  /** Weather stations: the forecasts as issued at or before this time (latest issue per target) instead of the observations. */
  issuedBefore?: Date;
  /** Buckets ending after this time (default now; asOf when earlier) are still in progress, hence partial. */
  now?: Date;
}

/** A measurement query whose times are still as the user gave them: a date is a local day of the series' zone. */
export interface SeriesQuery extends Omit<MeasurementQuery, 'from' | 'to' | 'asOf' | 'issuedBefore'> {
  from: TimeInput;
  to: TimeInput;
  asOf?: TimeInput;
  issuedBefore?: TimeInput;
}

export interface MeasurementRow {
  seriesId: string;
  /** Point time, or bucket start (UTC). */
  ts: Date;
  /** 1d: the local calendar day (YYYY-MM-DD) of the series' zone that the bucket is. */
  date?: string;
  /** Mean power (power units, weather) or summed energy (…Wh units, metering); null when a roll-up lacks a child. */
  value: number | null;
  /** The worst quality of the points; what is served for a partial bucket is core/quality.ts servedQuality(). */
  quality: Quality;
  /** Imputation/estimation method(s) of the point, or of the bucket's points, comma-separated. */
  method?: string | null;
  /** Aggregated grains: raw points (metering: intervals) in the bucket. Roll-ups: children with a value. */
  n?: number;
  /** What n should be: from the cadence (store/cadence.ts), the interval length (metering) or the number of children; null when unknown. */
  expected?: number | null;
  /** Measurement aggregates: percentile_cont(0.95), min and max of the raw points. */
  p95?: number;
  min?: number;
  max?: number;
  /** Metering: status and version of the chosen row (buckets: 'provisional' if any is). */
  status?: MeteringStatus;
  version?: number;
  /**
   * Aggregated grains and roll-ups: the bucket is incomplete — fewer points than expected, metering
   * intervals not covering it, a child missing or partial, or the bucket still in progress.
   */
  partial?: boolean;
  /** Roll-ups: the descendant series that had no value for this bucket. */
  missing?: string[];
  /** Weather forecasts at the raw grain: when the value was issued. */
  issuedAt?: Date;
}

interface SeriesInfo {
  id: string;
  kind: string;
  unit: string;
  time_zone: string;
  /** attrs.stepSec: the declared cadence. */
  step_sec: number | null;
  has_measurements: boolean;
  has_metering: boolean;
  children: string[];
}


/**
 * Actuals of one series at a grain (A4, A5, A6, A8, A11). The source is, in order: a weather
 * station's observations (or forecast vintage), its own measurements, else its metering rows
 * (best version, or as of asOf), else the sum of its children (roll-up). Buckets carry their
 * completeness (n, expected, partial). Throws SERIES_NOT_FOUND for an unknown id.
 */
export async function queryMeasurements(q: Queryable, query: MeasurementQuery): Promise<MeasurementRow[]> {
  if (!(query.from < query.to)) {
    throw new GridcastError('QUERY_RANGE_INVALID', `'from' (${query.from.toISOString()}) must be before 'to' (${query.to.toISOString()}).`);
  }
  return queryNode(q, query, new Set());
}

/**
 * The instants a query covers: its times as the user gave them (CLI, API) read in the series' own
 * zone (a date is a local day, core/time-input.ts), QUERY_RANGE_INVALID unless from < to.
 */
export async function seriesBounds(q: Queryable, query: Pick<SeriesQuery, 'seriesId' | 'from' | 'to'>): Promise<{ timeZone: string; from: Date; to: Date }> {
  const { time_zone: zone } = await seriesInfo(q, query.seriesId);
  const [from, to] = [resolveTimeInput(query.from, zone), resolveTimeInput(query.to, zone)];
  if (!(from < to)) {
    const hint = 'date' in query.to ? ` A date stands for the local midnight that starts it: --to ${nextDay(query.to.date)} takes in all of ${query.to.date}.` : '';
    throw new GridcastError('QUERY_RANGE_INVALID', `'from' (${from.toISOString()}) must be before 'to' (${to.toISOString()}) in ${zone}.${hint}`, {
      from: from.toISOString(),
      to: to.toISOString(),
      timeZone: zone,
    });
  }
  return { timeZone: zone, from, to };
}

/** queryMeasurements for times as the user gave them (seriesBounds). Returns the rows and the instants used. */
export async function querySeries(q: Queryable, query: SeriesQuery): Promise<{ timeZone: string; from: Date; to: Date; rows: MeasurementRow[] }> {
  const { timeZone: zone, from, to } = await seriesBounds(q, query);
  const at = (t: TimeInput) => resolveTimeInput(t, zone);
  const { asOf, issuedBefore, ...rest } = query;
  const rows = await queryNode(q, { ...rest, from, to, ...(asOf && { asOf: at(asOf) }), ...(issuedBefore && { issuedBefore: at(issuedBefore) }) }, new Set());
  return { timeZone: zone, from, to, rows };
}

const nextDay = (date: string) => new Date(Date.parse(`${date}T00:00:00Z`) + 86_400_000).toISOString().slice(0, 10);

async function queryNode(q: Queryable, query: MeasurementQuery, visiting: Set<string>): Promise<MeasurementRow[]> {
  const s = await seriesInfo(q, query.seriesId);
  if (s.kind === 'weather') return queryWeather(q, s, query);
  if (query.variable !== undefined || query.issuedBefore !== undefined) {
    throw new GridcastError('NOT_A_WEATHER_STATION', `'${s.id}' is a ${s.kind} series: a variable and --issued-before apply to weather stations only.`, { seriesId: s.id });
  }
  if (s.has_measurements) return queryOwnMeasurements(q, s, query);
  if (s.has_metering) return queryMetering(q, s, query);
  if (s.children.length === 0) return [];
  if (visiting.has(s.id)) {
    throw new GridcastError('TOPOLOGY_CYCLE', `Series ${s.id} is its own ancestor through parent_id; fix the topology.`, { seriesId: s.id });
  }
  return rollUp(q, s, query, new Set([...visiting, s.id]));
}

async function seriesInfo(q: Queryable, id: string): Promise<SeriesInfo> {
  const { rows } = await q.query<SeriesInfo>(
    `SELECT s.id, s.kind, s.unit, s.time_zone, (s.attrs->>'stepSec')::float8 AS step_sec,
        EXISTS (SELECT 1 FROM measurements m WHERE m.series_id = s.id) AS has_measurements,
        EXISTS (SELECT 1 FROM metering g WHERE g.series_id = s.id) AS has_metering,
        coalesce((SELECT array_agg(c.id ORDER BY c.id) FROM series c WHERE c.parent_id = s.id), '{}') AS children
     FROM series s WHERE s.id = $1`,
    [id],
  );
  if (rows.length === 0) throw new GridcastError('SERIES_NOT_FOUND', `Unknown series '${id}': create it (topology) before querying it.`, { seriesId: id });
  return rows[0];
}

// Points of a bucket starting before `to` can lie up to one bucket (25 h for a local day) later.
const lookahead = (grain: AggregateGrain) => (grain === '1d' ? `INTERVAL '26 hours'` : `INTERVAL '${GRAIN_SECONDS[grain]} seconds'`);

interface AggRow {
  bucket: Date;
  n: number;
  avg: number;
  sum: number;
  min: number;
  max: number;
  p95: number;
  quality: Quality;
  methods: string | null;
  span_sec: number;
  covered_sec: number | null;
  provisional: boolean;
}

async function queryOwnMeasurements(q: Queryable, s: SeriesInfo, query: MeasurementQuery): Promise<MeasurementRow[]> {
  const { from, to, grain, asOf } = query;
  if (grain === 'raw') {
    const { rows } = await q.query<{ ts: Date; value: number; quality: Quality; method: string | null }>(
      `SELECT ts, value, quality, method FROM ${asOf ? measurementsKnownAt('$4') : 'measurements'} AS m
       WHERE series_id = $1 AND ts >= $2 AND ts < $3 ORDER BY ts`,
      asOf ? [s.id, from, to, asOf] : [s.id, from, to],
    );
    return rows.map((r) => ({ seriesId: s.id, ts: r.ts, value: r.value, quality: r.quality, method: r.method }));
  }
  let rows: AggRow[];
  if (asOf || !(await grainStored(q, s.id, grain))) {
    // The stored aggregates reflect everything received, and a grain no bucket of which holds
    // two points is not stored (migration 051): compute the buckets from the raw points known
    // then (revisions included), with the same SQL.
    const points = `SELECT series_id, ts, value, quality, method, $4::text AS tz, NULL::int AS interval_sec,
        NULL::text AS status
      FROM ${asOf ? measurementsKnownAt('$5') : 'measurements'} AS m WHERE series_id = $1 AND ts >= $2 AND ts < $3::timestamptz + ${lookahead(grain)}`;
    rows = (
      await q.query<AggRow>(
        `SELECT * FROM (${aggregateSql(grain, points)}) AS a WHERE bucket >= $2 AND bucket < $3 ORDER BY bucket`,
        [s.id, from, to, s.time_zone, ...(asOf ? [asOf] : [])],
      )
    ).rows;
  } else {
    // Stored buckets, except those a dirty mark covers (marks cover aligned ranges of buckets):
    // those are computed from the raw points here, with the same SQL flushAggregates() stores
    // them with. EXISTS reads a point once even when marks overlap.
    const dirty = `SELECT bucket, bucket_end FROM aggregates_dirty
      WHERE series_id = $1 AND grain = '${grain}' AND bucket < $3 AND bucket_end > $2`;
    const points = `SELECT m.series_id, m.ts, m.value, m.quality, m.method, $4::text AS tz, NULL::int AS interval_sec, NULL::text AS status
      FROM measurements m WHERE m.series_id = $1 AND m.ts >= $2 AND m.ts < $3::timestamptz + ${lookahead(grain)}
        AND EXISTS (SELECT 1 FROM (${dirty}) AS d WHERE m.ts >= d.bucket AND m.ts < d.bucket_end)`;
    rows = (
      await q.query<AggRow>(
        `SELECT bucket, n, avg, sum, min, max, p95, quality, methods FROM measurements_${grain} a
         WHERE series_id = $1 AND bucket >= $2 AND bucket < $3
           AND NOT EXISTS (SELECT 1 FROM (${dirty}) AS d WHERE a.bucket >= d.bucket AND a.bucket < d.bucket_end)
         UNION ALL
         SELECT bucket, n, avg, sum, min, max, p95, quality, methods FROM (${aggregateSql(grain, points)}) AS f
         WHERE bucket >= $2 AND bucket < $3
         ORDER BY bucket`,
        [s.id, from, to, s.time_zone],
      )
    ).rows;
  }
  const energy = isEnergyUnit(s.unit);
  const stepAt = await cadence(q, {
    pointTimes: (lo, hi) => `SELECT ts FROM measurements WHERE series_id = $1 AND ts >= ${lo} AND ts < ${hi}`,
    params: [s.id],
    declaredSec: s.step_sec,
    zone: s.time_zone,
    from,
    to,
  });
  return rows.map((r) => ({
    seriesId: s.id,
    ...bucketTimes(s, grain, r.bucket),
    value: energy ? r.sum : r.avg,
    quality: r.quality,
    method: r.methods,
    ...counted(s, grain, r.bucket, r.n, (span) => expectedCount(span, stepAt(r.bucket)), query),
    p95: r.p95,
    min: r.min,
    max: r.max,
  }));
}

/** Bucket start, and for a local day its calendar date. */
const bucketTimes = (s: SeriesInfo, grain: AggregateGrain, ts: Date) => (grain === '1d' ? { ts, date: localDate(ts, s.time_zone) } : { ts });

function bucketEnd(s: SeriesInfo, grain: AggregateGrain, ts: Date): Date {
  return grain === '1d' ? nextLocalMidnight(ts, s.time_zone) : new Date(ts.getTime() + GRAIN_SECONDS[grain] * 1000);
}

/** Buckets ending after this are in progress: now, or the as-of time when that is earlier. */
function inProgressAfter(query: MeasurementQuery): Date {
  const now = query.now ?? new Date();
  return query.asOf && query.asOf < now ? query.asOf : now;
}

/**
 * n, what n should be (from the bucket's span in seconds), and whether the bucket is partial. A
 * forecast vintage is whole once issued: its buckets in the future are not "in progress".
 */
function counted(s: SeriesInfo, grain: AggregateGrain, ts: Date, n: number, expectedFor: (spanSec: number) => number | null, query: MeasurementQuery) {
  const end = bucketEnd(s, grain, ts);
  const expected = expectedFor((end.getTime() - ts.getTime()) / 1000);
  const inProgress = !query.issuedBefore && end > inProgressAfter(query);
  return { n, expected, partial: inProgress || (expected !== null && n < expected) };
}

/**
 * A weather station's observations of one variable, or with issuedBefore the forecasts as issued
 * then (latest issue per target). Buckets hold the mean, with the same completeness as
 * measurements; forecast values are quality 'estimated' (method 'forecast').
 */
async function queryWeather(q: Queryable, s: SeriesInfo, query: MeasurementQuery): Promise<MeasurementRow[]> {
  const { from, to, grain, asOf, issuedBefore } = query;
  const variable = query.variable ?? 'temperature';
  const read: WeatherRead = { stationId: s.id, variable, from, to, ...(asOf && { asOf }), ...(issuedBefore && { issuedBefore }) };
  if (!(await hasWeatherVariable(q, s.id, variable, !!issuedBefore))) {
    const known = await weatherVariables(q, s.id);
    // An empty station is an empty answer; a variable it never had is a mistake worth naming.
    if (known.observed.length + known.forecast.length > 0) {
      const list = (l: string[]) => (l.length ? l.join(', ') : 'none');
      throw new GridcastError(
        'WEATHER_VARIABLE_UNKNOWN',
        `Station ${s.id} has no ${issuedBefore ? 'forecasts' : 'observations'} of '${variable}' (observed: ${list(known.observed)}; forecast: ${list(known.forecast)}).`,
        { seriesId: s.id, variable, ...known },
      );
    }
  }
  const forecast = issuedBefore ? { quality: 'estimated' as const, method: 'forecast' } : { quality: 'ok' as const, method: null };
  if (grain === 'raw') {
    return (await readWeather(q, read)).map((p) => ({ seriesId: s.id, ts: p.ts, value: p.value, ...forecast, ...(p.issuedAt && { issuedAt: p.issuedAt }) }));
  }
  const points = weatherAggregatePoints(read, `$4::timestamptz + ${lookahead(grain)}`, s.time_zone);
  const { rows } = await q.query<AggRow>(
    `SELECT * FROM (${aggregateSql(grain, points.sql)}) AS a WHERE bucket >= $3 AND bucket < $4 ORDER BY bucket`,
    points.params,
  );
  const times = weatherTimes(read);
  const stepAt = await cadence(q, { pointTimes: times.sql, params: times.params, declaredSec: s.step_sec, zone: s.time_zone, from, to });
  return rows.map((r) => ({
    seriesId: s.id,
    ...bucketTimes(s, grain, r.bucket),
    value: r.avg,
    quality: r.quality,
    method: r.methods,
    ...counted(s, grain, r.bucket, r.n, (span) => expectedCount(span, stepAt(r.bucket)), query),
    p95: r.p95,
    min: r.min,
    max: r.max,
  }));
}

// Best version of each interval: validated > provisional > imputed (a measured value beats a
// gap filler), then the latest received, then the highest version number.
const bestMeteringSql = (asOf: boolean, until = '$3') => `SELECT DISTINCT ON (interval_start)
    series_id, interval_start AS ts, interval_sec, value, status, version, method,
    CASE WHEN status = 'imputed' THEN 'imputed' ELSE 'ok' END AS quality, $4::text AS tz
  FROM metering
  WHERE series_id = $1 AND interval_start >= $2 AND interval_start < ${until} ${asOf ? 'AND received_at <= $5' : ''}
  ORDER BY interval_start, CASE status WHEN 'validated' THEN 2 WHEN 'provisional' THEN 1 ELSE 0 END DESC,
    received_at DESC, version DESC`;

async function queryMetering(q: Queryable, s: SeriesInfo, query: MeasurementQuery): Promise<MeasurementRow[]> {
  const { from, to, grain, asOf } = query;
  if (grain === 'raw') {
    const { rows } = await q.query<{ ts: Date; value: number; quality: Quality; method: string | null; status: MeteringStatus; version: number }>(
      bestMeteringSql(!!asOf),
      [s.id, from, to, s.time_zone, ...(asOf ? [asOf] : [])],
    );
    return rows.map((r) => ({ seriesId: s.id, ts: r.ts, value: r.value, quality: r.quality, method: r.method, status: r.status, version: r.version }));
  }
  const { rows: coarse } = await q.query<{ longest: number | null }>(
    `SELECT max(interval_sec) AS longest FROM metering WHERE series_id = $1 AND interval_start >= $2 AND interval_start < $3`,
    [s.id, from, to],
  );
  const longest = coarse[0].longest ?? 0;
  if (longest > GRAIN_SECONDS[grain]) {
    throw new GridcastError(
      'GRAIN_FINER_THAN_INTERVAL',
      `Series ${s.id} is metered in ${longest / 60}-minute intervals: query it at a grain of at least that (raw, 1h or 1d).`,
      { seriesId: s.id, intervalSec: longest, grain },
    );
  }
  const points = bestMeteringSql(!!asOf, `$3::timestamptz + ${lookahead(grain)}`);
  const { rows } = await q.query<AggRow>(
    `SELECT * FROM (${aggregateSql(grain, points)}) AS a WHERE bucket >= $2 AND bucket < $3 ORDER BY bucket`,
    [s.id, from, to, s.time_zone, ...(asOf ? [asOf] : [])],
  );
  return rows.map((r) => {
    const covered = r.covered_sec ?? 0;
    // Intervals at their mean length: 3 quarter hours of an hour expect 4.
    const c = counted(s, grain, r.bucket, r.n, (span) => Math.round((span * r.n) / covered), query);
    return {
      seriesId: s.id,
      ...bucketTimes(s, grain, r.bucket),
      value: r.sum,
      quality: r.quality,
      method: r.methods,
      ...c,
      partial: c.partial || covered < r.span_sec,
      status: r.provisional ? ('provisional' as const) : ('validated' as const),
    };
  });
}

/**
 * A6: a node without data of its own is the sum of its children at the same grain (children
 * without data recurse). A bucket is emitted when any child has it. If some child lacks it the
 * value is null (unknown, never a silent partial sum) and `missing` names the series lacking it;
 * so does a child's partial bucket in energy units (its sum misses intervals). A child's partial
 * mean (power) still adds up, and makes the parent partial. n counts the children with a value,
 * expected is the number of children. Quality is the worst of 'derived' and the children's
 * qualities. p95, min and max do not add up across children and are left out. Raw roll-ups only
 * sum points at identical timestamps.
 */
async function rollUp(q: Queryable, s: SeriesInfo, query: MeasurementQuery, visiting: Set<string>): Promise<MeasurementRow[]> {
  const { rows: units } = await q.query<{ unit: string }>('SELECT DISTINCT unit FROM series WHERE parent_id = $1', [s.id]);
  if (units.length > 1) {
    throw new GridcastError('ROLLUP_UNIT_MISMATCH', `Children of ${s.id} mix units (${units.map((u) => u.unit).join(', ')}); give them one unit to sum them.`, {
      seriesId: s.id,
    });
  }
  const children: Array<{ id: string; rows: MeasurementRow[] }> = [];
  for (const id of s.children) children.push({ id, rows: await queryNode(q, { ...query, seriesId: id }, visiting) });
  const energy = isEnergyUnit(s.unit);
  type Bucket = { value: number; n: number; partial: boolean; quality: Quality; have: Set<string>; missing: Set<string>; methods: Set<string> };
  const byTs = new Map<number, Bucket>();
  for (const child of children) {
    for (const r of child.rows) {
      const t = r.ts.getTime();
      const b = byTs.get(t) ?? { value: 0, n: 0, partial: false, quality: 'derived' as Quality, have: new Set(), missing: new Set(), methods: new Set() };
      if (r.value === null || (r.partial && energy)) for (const m of r.missing ?? [child.id]) b.missing.add(m);
      else {
        b.value += r.value;
        b.n++;
      }
      if (r.partial) b.partial = true;
      b.have.add(child.id);
      b.quality = worstQuality(b.quality, r.quality);
      for (const m of r.method?.split(',') ?? []) b.methods.add(m);
      byTs.set(t, b);
    }
  }
  const grain = query.grain;
  return [...byTs.entries()]
    .sort(([a], [b]) => a - b)
    .map(([t, b]) => {
      for (const c of children) if (!b.have.has(c.id)) b.missing.add(c.id);
      const complete = b.missing.size === 0;
      const ts = new Date(t);
      const inProgress = grain !== 'raw' && bucketEnd(s, grain, ts) > inProgressAfter(query);
      return {
        seriesId: s.id,
        ...(grain === 'raw' ? { ts } : bucketTimes(s, grain, ts)),
        value: complete ? b.value : null,
        quality: b.quality,
        method: b.methods.size ? [...b.methods].sort().join(',') : null,
        n: b.n,
        expected: children.length,
        partial: !complete || b.partial || inProgress,
        ...(complete ? {} : { missing: [...b.missing].sort() }),
      };
    });
}

/**
 * The latest actual of any of the series: its last measurement, or the last millisecond of its
 * last metering interval; null when none has data. One index probe per series (ORDER BY ... DESC
 * LIMIT 1), not a scan of the tables.
 */
export async function latestActualAt(q: Queryable, seriesIds: string[]): Promise<Date | null> {
  const { rows } = await q.query<{ t: Date | null }>(
    `SELECT max(t) AS t FROM unnest($1::text[]) AS s(id), LATERAL (
       SELECT (SELECT ts FROM measurements WHERE series_id = s.id ORDER BY ts DESC LIMIT 1) AS t
       UNION ALL
       SELECT (SELECT interval_start + interval_sec * INTERVAL '1 second' - INTERVAL '1 millisecond'
               FROM metering WHERE series_id = s.id ORDER BY interval_start DESC LIMIT 1)) AS x`,
    [seriesIds],
  );
  return rows[0]?.t ?? null;
}
