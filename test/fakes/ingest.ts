import type { AggregateRange, BatchKind, BatchRecord, IngestStore, IngestUnit, PointColumns, RecentLevel, RevisionNote, RowSink, SuspectMark } from '../../core/ingest-store.ts';
import type { Quality } from '../../core/quality.ts';
import type { SeriesUnit } from '../../core/series.ts';
import { REVISION_NOTES, valueConflict } from '../../store/measurements.repository.ts';

export interface FakePoint {
  seriesId: string;
  ts: number;
  value: number;
  quality: Quality;
  batchId: number | null;
}

interface State {
  series: Map<string, SeriesUnit>;
  /** By `${seriesId} ${ts}`. */
  measurements: Map<string, FakePoint>;
  revisions: FakePoint[];
  /** Weather values and metering versions by their key columns, as staged. */
  weather: Map<string, { value: number; batchId: number }>;
  metering: Map<string, { value: number; batchId: number }>;
  batches: Map<string, BatchRecord>;
  quarantine: Array<FakePoint & { line: number }>;
  suspectLog: Array<SuspectMark & { batchId: number | null; actor: string }>;
  marked: AggregateRange[];
  refreshed: AggregateRange[];
  lastBatchId: number;
}

const MADE: readonly Quality[] = ['imputed', 'estimated', 'derived'];
const MEASURED: readonly Quality[] = ['ok', 'suspect'];
const pointKey = (seriesId: string, ts: number) => `${seriesId} ${ts}`;

/** Fields of one CSV row as the row check writes them (quoted when they hold a comma or quote). */
function fields(row: string): string[] {
  const out: string[] = [];
  let i = 0;
  while (i <= row.length) {
    if (row[i] === '"') {
      let s = '';
      i++;
      for (; i < row.length; i++) {
        if (row[i] === '"' && row[i + 1] === '"') (s += '"'), i++;
        else if (row[i] === '"') break;
        else s += row[i];
      }
      out.push(s);
      i += 2;
    } else {
      const j = row.indexOf(',', i);
      out.push(row.slice(i, j < 0 ? row.length : j));
      i = j < 0 ? row.length + 1 : j + 1;
    }
  }
  return out;
}
const rowsOf = (csv: string) => csv.split('\n').filter((l) => l !== '').map(fields);

/** Key columns of each kind's staged rows (what makes two rows the same point). */
const KEY: Record<BatchKind, number[]> = { measurements: [0, 1], weather: [0, 1, 2, 3], metering: [0, 1, 4, 5] };

/**
 * Ingestion's storage in memory, with the real one's rules: a batch key is claimed once, the
 * direct path refuses a chunk whose key is stored (and abandonDirect undoes it), staged rows
 * merge under the revision rule (a different measured value is kept as a revision; with 'reject'
 * VALUE_CONFLICT before anything is written), only 'ok' points with the value judged turn
 * suspect. Batches run one at a time on a copy that replaces the state when they resolve, so a
 * batch that throws leaves nothing. Weather and metering rows are kept by their key columns as
 * text, a changed value counted as written but not as a revision (the revision rule is tested on
 * measurements). `now` stamps batches.
 */
export function fakeIngest({ series = [], now = () => new Date() }: { series?: SeriesUnit[]; now?: () => Date } = {}): IngestStore & { state: () => State; add: (points: Array<Omit<FakePoint, 'batchId'>>) => void } {
  let committed: State = {
    series: new Map(series.map((s) => [s.id, s])),
    measurements: new Map(),
    revisions: [],
    weather: new Map(),
    metering: new Map(),
    batches: new Map(),
    quarantine: [],
    suspectLog: [],
    marked: [],
    refreshed: [],
    lastBatchId: 0,
  };
  let queue: Promise<unknown> = Promise.resolve();

  const unit = (s: State): IngestUnit => {
    let beforeDirect: Map<string, FakePoint> | null = null;
    let staged: Array<{ row: string[]; line: number }> = [];
    const measured = (seriesId: string) =>
      [...s.measurements.values()].filter((p) => p.seriesId === seriesId && MEASURED.includes(p.quality)).sort((a, b) => a.ts - b.ts);
    const columns = (ps: FakePoint[]): PointColumns => ({ t: Float64Array.from(ps, (p) => p.ts), v: Float64Array.from(ps, (p) => p.value) });
    return {
      async seriesUnits() {
        return new Map(s.series);
      },
      async claimBatch(b) {
        if (s.batches.has(b.batchKey)) return null;
        const id = ++s.lastBatchId;
        s.batches.set(b.batchKey, { id, source: b.source, batchKey: b.batchKey, kind: b.kind, status: 'committed', rowCount: 0, report: {}, startedAt: now(), finishedAt: null });
        return id;
      },
      async findBatch(key) {
        return structuredClone(s.batches.get(key) ?? null);
      },
      async beginDirect(batchId) {
        beforeDirect = new Map(s.measurements);
        return {
          end: () => `,${batchId}\n`,
          async write(csv) {
            if (typeof csv !== 'string') throw new Error('the fake sink takes CSV text (it has no binary encoder)');
            const points = rowsOf(csv).map(([seriesId, ts, value, quality]): FakePoint => ({ seriesId, ts: Date.parse(ts), value: Number(value), quality: quality as Quality, batchId }));
            const keys = new Set(points.map((p) => pointKey(p.seriesId, p.ts)));
            if (keys.size < points.length || [...keys].some((k) => s.measurements.has(k))) return false;
            for (const p of points) s.measurements.set(pointKey(p.seriesId, p.ts), p);
            return true;
          },
        } satisfies RowSink;
      },
      async abandonDirect() {
        if (beforeDirect) s.measurements = beforeDirect;
        beforeDirect = null;
      },
      async beginStage() {
        staged = [];
        return {
          end: (line) => `,${line}\n`,
          async write(csv) {
            if (typeof csv !== 'string') throw new Error('the fake sink takes CSV text (it has no binary encoder)');
            for (const row of rowsOf(csv)) staged.push({ row: row.slice(0, -1), line: Number(row.at(-1)) });
            return true;
          },
        };
      },
      async stagedDuplicates(kind, limit) {
        const groups = new Map<string, number[]>();
        for (const { row, line } of staged) {
          const key = KEY[kind].map((i) => row[i]).join(' ');
          groups.set(key, [...(groups.get(key) ?? []), line]);
        }
        return [...groups]
          .filter(([, lines]) => lines.length > 1)
          .map(([key, lines]) => ({ key, lines: lines.sort((a, b) => a - b) }))
          .sort((a, b) => a.lines[0] - b.lines[0])
          .slice(0, limit);
      },
      async recentLevels(before, days): Promise<RecentLevel[]> {
        return before.flatMap(({ seriesId, ts }) => {
          const v = measured(seriesId)
            .filter((p) => p.ts < ts.getTime() && p.ts >= ts.getTime() - days * 86_400_000)
            .map((p) => p.value);
          if (v.length === 0) return [];
          const mean = v.reduce((a, b) => a + b, 0) / v.length;
          return [{ seriesId, n: v.length, mean, sd: Math.sqrt(v.reduce((a, b) => a + (b - mean) ** 2, 0) / v.length) }];
        });
      },
      async quarantineStaged(batchId) {
        for (const { row, line } of staged) s.quarantine.push({ seriesId: row[0], ts: Date.parse(row[1]), value: Number(row[2]), quality: row[3] as Quality, batchId, line });
      },
      async mergeStaged(kind, batchId, onConflict, file) {
        if (kind !== 'measurements') {
          const into = kind === 'weather' ? s.weather : s.metering;
          const valueAt = kind === 'weather' ? 4 : 3;
          let written = 0;
          for (const { row } of staged) {
            const key = KEY[kind].map((i) => row[i]).join(' ');
            if (into.get(key)?.value === Number(row[valueAt])) continue;
            into.set(key, { value: Number(row[valueAt]), batchId });
            written++;
          }
          return { written, revised: 0, revisions: [] };
        }
        const incoming = staged
          .map(({ row, line }) => ({ seriesId: row[0], ts: Date.parse(row[1]), value: Number(row[2]), quality: row[3] as Quality, batchId, line }))
          .sort((a, b) => a.line - b.line);
        const replacing = incoming.flatMap((x): Array<{ x: typeof x; m: FakePoint | undefined }> => {
          const m = s.measurements.get(pointKey(x.seriesId, x.ts));
          if (!m) return [{ x, m }];
          const differs = m.value !== x.value || (m.quality !== x.quality && !(m.quality === 'suspect' && x.quality === 'ok'));
          return differs && !(!MADE.includes(m.quality) && MADE.includes(x.quality)) ? [{ x, m }] : [];
        });
        const revising = replacing.filter(({ m }) => m && !MADE.includes(m.quality));
        const revisions: RevisionNote[] = revising.slice(0, REVISION_NOTES).map(({ x, m }) => ({
          seriesId: x.seriesId,
          ts: new Date(x.ts),
          oldValue: m!.value,
          newValue: x.value,
          oldQuality: m!.quality,
          newQuality: x.quality,
          ord: x.line,
        }));
        if (revising.length > 0 && onConflict === 'reject') throw valueConflict(revising.length, revisions, (line) => `${file}:${line}`);
        for (const { x, m } of replacing) {
          if (m) s.revisions.push(m);
          const { line: _, ...p } = x;
          s.measurements.set(pointKey(x.seriesId, x.ts), p);
        }
        return { written: replacing.length, revised: revising.length, revisions };
      },
      async measuredAround(spans) {
        return new Map(
          spans.map((sp) => {
            const ps = measured(sp.seriesId);
            return [
              sp.seriesId,
              { before: columns(ps.filter((p) => p.ts < sp.from.getTime()).slice(-sp.before)), after: columns(ps.filter((p) => p.ts > sp.to.getTime()).slice(0, sp.after)) },
            ];
          }),
        );
      },
      async *measuredPages(seriesId, from, to, limit) {
        const ps = measured(seriesId).filter((p) => p.ts >= from.getTime() && p.ts <= to.getTime());
        for (let i = 0; i < ps.length; i += limit) yield columns(ps.slice(i, i + limit));
      },
      async markSuspect(marks, by) {
        const changed = marks.filter((mk) => {
          const p = s.measurements.get(pointKey(mk.seriesId, mk.ts));
          if (!p || p.quality !== 'ok' || p.value !== mk.value) return false;
          p.quality = 'suspect';
          s.suspectLog.push({ ...mk, ...by });
          return true;
        });
        return changed.sort((a, b) => (a.seriesId < b.seriesId ? -1 : a.seriesId > b.seriesId ? 1 : a.ts - b.ts));
      },
      async markAggregates(range) {
        s.marked.push(structuredClone(range));
      },
      async refreshAggregates(range) {
        s.refreshed.push(structuredClone(range));
      },
      async finishBatch(id, r) {
        const b = [...s.batches.values()].find((x) => x.id === id)!;
        Object.assign(b, { status: r.status, rowCount: r.rowCount, report: structuredClone(r.report), finishedAt: now() });
      },
    };
  };

  return {
    state: () => committed,
    add(points) {
      for (const p of points) committed.measurements.set(pointKey(p.seriesId, p.ts), { ...p, batchId: null });
    },
    batch<T>(fn: (u: IngestUnit) => Promise<T>): Promise<T> {
      const run = queue.then(async () => {
        const work = structuredClone(committed);
        const out = await fn(unit(work));
        committed = work;
        return out;
      });
      queue = run.catch(() => {});
      return run;
    },
  };
}
