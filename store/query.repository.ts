import { GridcastError } from '../core/errors.ts';
import { Quality, worstQuality } from '../core/quality.ts';
import { aggregateSql, GRAIN_SECONDS, grainStored, type AggregateGrain } from './aggregates.ts';
import type { Queryable } from './db.ts';
import { measurementsKnownAt } from './measurements.repository.ts';
import { isEnergyUnit } from '../core/units.ts';

export type Grain = 'raw' | AggregateGrain;
export const GRAINS: readonly Grain[] = ['raw', '5m', '1h', '1d'];

export type MeteringStatus = 'provisional' | 'validated' | 'imputed';

export interface MeasurementQuery {
  seriesId: string;
  /** Buckets (or raw points) with start >= from and start < to. */
  from: Date;
  to: Date;
  grain: Grain;
  /** Only data received at or before this time (the versions known then). */
  asOf?: Date;
}

export interface MeasurementRow {
  seriesId: string;
  /** Point time, or bucket start (UTC). */
  ts: Date;
  /** Mean power (power units) or summed energy (…Wh units, metering); null when a roll-up lacks a child. */
  value: number | null;
  quality: Quality;
  /** Imputation/estimation method(s) of the point, or of the bucket's points, comma-separated. */
  method?: string | null;
  /** Aggregated grains: number of raw points (metering: intervals) in the bucket. */
  count?: number;
  /** Measurement aggregates: percentile_cont(0.95), min and max of the raw points. */
  p95?: number;
  min?: number;
  max?: number;
  /** Metering: status and version of the chosen row (buckets: 'provisional' if any is). */
  status?: MeteringStatus;
  version?: number;
  /** Metering buckets whose intervals do not cover the bucket; roll-up buckets missing a child. */
  partial?: boolean;
  /** Roll-ups: the descendant series that had no value for this bucket. */
  missing?: string[];
}

interface SeriesInfo {
  id: string;
  unit: string;
  time_zone: string;
  has_measurements: boolean;
  has_metering: boolean;
  children: string[];
}


/**
 * Actuals of one series at a grain (A4, A5, A6, A8). The source is, in order: its own
 * measurements, else its metering rows (best version, or as of asOf), else the sum of its
 * children (roll-up). Throws SERIES_NOT_FOUND for an unknown id.
 */
export async function queryMeasurements(q: Queryable, query: MeasurementQuery): Promise<MeasurementRow[]> {
  if (!(query.from < query.to)) {
    throw new GridcastError('QUERY_RANGE_INVALID', `'from' (${query.from.toISOString()}) must be before 'to' (${query.to.toISOString()}).`);
  }
  return queryNode(q, query, new Set());
}

async function queryNode(q: Queryable, query: MeasurementQuery, visiting: Set<string>): Promise<MeasurementRow[]> {
  const s = await seriesInfo(q, query.seriesId);
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
    `SELECT s.id, s.unit, s.time_zone,
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
  return rows.map((r) => ({
    seriesId: s.id,
    ts: r.bucket,
    value: energy ? r.sum : r.avg,
    quality: r.quality,
    method: r.methods,
    count: r.n,
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
  return rows.map((r) => ({
    seriesId: s.id,
    ts: r.bucket,
    value: r.sum,
    quality: r.quality,
    method: r.methods,
    count: r.n,
    status: r.provisional ? 'provisional' : 'validated',
    partial: (r.covered_sec ?? 0) < r.span_sec,
  }));
}

/**
 * A6: a node without data of its own is the sum of its children at the same grain (children
 * without data recurse). A bucket is emitted when any child has it; if some child lacks it (or
 * has only a partial metering bucket) the value is null (unknown, never a silent partial sum), partial = true and `missing` names the
 * series lacking it. Quality is the worst of 'derived' and the children's qualities. p95, min
 * and max do not add up across children and are left out. Raw roll-ups only sum points at
 * identical timestamps.
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
  const byTs = new Map<number, { value: number; quality: Quality; have: Set<string>; missing: Set<string>; methods: Set<string> }>();
  for (const child of children) {
    for (const r of child.rows) {
      const t = r.ts.getTime();
      const b = byTs.get(t) ?? { value: 0, quality: 'derived' as Quality, have: new Set(), missing: new Set(), methods: new Set() };
      // A child's partial bucket (metering with intervals missing) counts as missing too.
      if (r.value === null || r.partial) for (const m of r.missing ?? [child.id]) b.missing.add(m);
      else b.value += r.value;
      b.have.add(child.id);
      b.quality = worstQuality(b.quality, r.quality);
      for (const m of r.method?.split(',') ?? []) b.methods.add(m);
      byTs.set(t, b);
    }
  }
  return [...byTs.entries()]
    .sort(([a], [b]) => a - b)
    .map(([t, b]) => {
      for (const c of children) if (!b.have.has(c.id)) b.missing.add(c.id);
      const complete = b.missing.size === 0;
      return {
        seriesId: s.id,
        ts: new Date(t),
        value: complete ? b.value : null,
        quality: b.quality,
        method: b.methods.size ? [...b.methods].sort().join(',') : null,
        ...(complete ? {} : { partial: true, missing: [...b.missing].sort() }),
      };
    });
}
