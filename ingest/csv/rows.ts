import type { MeasurementEncoder } from '../../core/ingest-store.ts';
import type { SeriesUnit } from '../../core/series.ts';
import { checkInstant } from '../../core/time-input.ts';
import type { Issue } from '../validate/issues.ts';
import { normaliseUnit, outOfRange, outOfRangeIssue, seriesRange, variableRange, type Range } from '../validate/ranges.ts';
import { addPoint, seriesPoints, type SeriesPoints } from '../validate/spikes.ts';
import { checkTimestamp, checkValue, clip, timestampIssue } from '../validate/values.ts';
import type { ColumnIndex, CsvKind } from './format.ts';

/**
 * Per-series figures of a batch: the range to re-aggregate, the level to compare with history,
 * and (measurements) the points themselves for the spike check, while the whole batch fits in
 * HELD_POINTS; beyond that `points` is dropped and the check reads them back from the store.
 */
export interface SeriesStats {
  n: number;
  sum: number;
  minTs: number;
  maxTs: number;
  firstLine: number;
  points?: SeriesPoints;
}

/** 16 bytes a point: 80 MB at most, so memory stays bounded whatever the file size. */
const HELD_POINTS = 5_000_000;

/**
 * Checks one parsed record: the reason it is wrong, or (ok) its CSV text for COPY without the last
 * column and newline. With an encoder (measurements) an ok row is added to it instead, when `emit`
 * is set, and '' is returned.
 */
export type RowCheck = (rec: string[], line: number, emit: boolean) => string | Omit<Issue, 'line'>;

const csvField = (s: string) => (/[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);

export function rowChecker(kind: CsvKind, ix: ColumnIndex, catalog: Map<string, SeriesUnit>, stats: Map<string, SeriesStats>, encoder?: MeasurementEncoder): RowCheck {
  // The range of each series is worked out once, on its first row.
  const known = new Map<string, SeriesUnit & { range?: Range }>();
  const lookup = (id: string) => {
    let k = known.get(id);
    if (!k) {
      const series = catalog.get(id);
      if (!series) return undefined;
      known.set(series.id, (k = { ...series, range: seriesRange(series) }));
    }
    return k;
  };
  let held = kind === 'measurements' ? 0 : Infinity;
  const track = (id: string, ts: number, v: number, line: number) => {
    let s = stats.get(id);
    if (!s) stats.set(id, (s = { n: 0, sum: 0, minTs: ts, maxTs: ts, firstLine: line, points: held < HELD_POINTS ? seriesPoints() : undefined }));
    s.n++;
    s.sum += v;
    if (ts < s.minTs) s.minTs = ts;
    if (ts > s.maxTs) s.maxTs = ts;
    if (s.points) {
      if (++held <= HELD_POINTS) addPoint(s.points, ts, v);
      else for (const x of stats.values()) delete x.points;
    }
  };

  if (kind === 'measurements') {
    const [iId, iTs, iV, iQ, iU] = [ix.series_id, ix.ts, ix.value, ix.quality, ix.unit];
    return (rec, line, emit) => {
      const id = rec[iId];
      const k = lookup(id);
      if (!k) return { code: 'UNKNOWN_SERIES', message: `series '${clip(id)}' does not exist: create it in the topology first` };
      const ts = checkInstant(rec[iTs]);
      if (!ts.ok) return timestampIssue(rec[iTs], 'ts', ts);
      const v = checkValue(rec[iV]);
      if (!v.ok) return v.issue;
      const quality = iQ >= 0 && rec[iQ] !== '' ? rec[iQ] : 'ok';
      if (quality !== 'ok' && quality !== 'suspect') {
        return { code: 'QUALITY_INVALID', message: `quality '${clip(quality)}' must be ok or suspect (other flags are set by gridcast itself)` };
      }
      if (iU >= 0 && normaliseUnit(rec[iU]) !== normaliseUnit(k.unit)) {
        return { code: 'UNIT_MISMATCH', message: `unit '${clip(rec[iU])}' differs from the unit of series '${id}' (${k.unit})` };
      }
      if (outOfRange(v.value, k.range)) return outOfRangeIssue(id, k, k.range, rec[iV]);
      // The catalog's id, not the record's: a record's fields may be slices of a whole read chunk (plainRecords), which a kept key would hold in memory.
      track(k.id, ts.ms, v.value, line);
      if (!encoder) return `${csvField(id)},${rec[iTs]},${rec[iV]},${quality}`;
      if (emit) encoder.add(k.id, ts.ms * 1000 + ts.us, v.value, quality, line);
      return '';
    };
  }

  if (kind === 'weather') {
    const [iId, iTs, iVar, iV, iIss] = [ix.station_id, ix.ts, ix.variable, ix.value, ix.issued_at];
    return (rec, line) => {
      const id = rec[iId];
      const k = lookup(id);
      if (!k) return { code: 'UNKNOWN_SERIES', message: `weather station '${clip(id)}' does not exist: create it as a series of kind weather` };
      if (k.kind !== 'weather') return { code: 'NOT_A_WEATHER_STATION', message: `series '${id}' is of kind ${k.kind}, not weather` };
      const variable = rec[iVar];
      if (!/^[a-z][a-z0-9_]{0,62}$/.test(variable)) {
        return { code: 'VARIABLE_INVALID', message: `variable '${clip(variable)}' must be a lower-case name such as temperature` };
      }
      const ts = checkTimestamp(rec[iTs], 'ts');
      if (!ts.ok) return ts.issue;
      let issued = '';
      if (iIss >= 0 && rec[iIss] !== '') {
        const t = checkTimestamp(rec[iIss], 'issued_at');
        if (!t.ok) return t.issue;
        issued = rec[iIss];
      }
      const v = checkValue(rec[iV]);
      if (!v.ok) return v.issue;
      const known = variableRange(variable);
      if (known && outOfRange(v.value, known.range)) {
        return { code: 'OUT_OF_RANGE', message: `${variable} ${rec[iV]} of station '${id}' is outside its range [${known.range.min}, ${known.range.max}] ${known.unit}` };
      }
      track(k.id, ts.value, v.value, line);
      return `${csvField(id)},${variable},${rec[iTs]},${issued},${rec[iV]}`;
    };
  }

  const [iId, iStart, iLen, iV, iSt, iRcv] = [ix.series_id, ix.interval_start, ix.interval_sec, ix.value, ix.status, ix.received_at];
  return (rec, line) => {
    const id = rec[iId];
    const k = lookup(id);
    if (!k) return { code: 'UNKNOWN_SERIES', message: `series '${clip(id)}' does not exist: create it in the topology first` };
    const ts = checkTimestamp(rec[iStart], 'interval_start');
    if (!ts.ok) return ts.issue;
    const len = Number(rec[iLen]);
    if (!/^\d+$/.test(rec[iLen]) || len < 300 || len > 3600 || 3600 % len !== 0) {
      return { code: 'INTERVAL_INVALID', message: `interval_sec '${clip(rec[iLen])}' must be a whole number of seconds from 300 to 3600 dividing an hour` };
    }
    const v = checkValue(rec[iV]);
    if (!v.ok) return v.issue;
    const status = rec[iSt];
    if (status !== 'provisional' && status !== 'validated') {
      return { code: 'STATUS_INVALID', message: `status '${clip(status)}' must be provisional or validated` };
    }
    let received = '';
    if (iRcv >= 0 && rec[iRcv] !== '') {
      const t = checkTimestamp(rec[iRcv], 'received_at');
      if (!t.ok) return t.issue;
      received = rec[iRcv];
    }
    if (outOfRange(v.value, k.range)) return outOfRangeIssue(id, k, k.range, rec[iV]);
    track(k.id, ts.value, v.value, line);
    return `${csvField(id)},${rec[iStart]},${len},${rec[iV]},${status},${received}`;
  };
}
