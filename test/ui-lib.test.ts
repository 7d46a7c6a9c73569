import { describe, expect, it } from 'vitest';
import { addDays, localDate, midnight, parseLocalDateTime, toLocalDateTime, zonedToInstant } from '../ui/src/lib/time.js';
import { align, flaggedSpans, isoSeconds, peak, runsCovering, stitch, toCsv } from '../ui/src/lib/data.js';
import { ancestors, treeIndex, visibleRows } from '../ui/src/lib/tree-model.js';

// The dashboard's pure modules (browser ES modules without DOM), run in node.

const iso = (ms: number) => new Date(ms).toISOString();

describe('ui time in the grid zone', () => {
  it('reads local midnights and wall times across the DST changes', () => {
    expect(iso(midnight('2025-03-30', 'Europe/Paris'))).toBe('2025-03-29T23:00:00.000Z');
    expect(iso(midnight('2025-03-31', 'Europe/Paris'))).toBe('2025-03-30T22:00:00.000Z'); // the 23-hour day ends
    expect(iso(midnight('2025-10-27', 'Europe/Paris'))).toBe('2025-10-26T23:00:00.000Z'); // after the 25-hour day
    expect(iso(zonedToInstant(2025, 10, 26, 2, 30, 'Europe/Paris'))).toBe('2025-10-26T00:30:00.000Z'); // first of the repeated hour
    expect(iso(zonedToInstant(2025, 3, 30, 2, 30, 'Europe/Paris'))).toBe('2025-03-30T01:30:00.000Z'); // skipped: 03:30 CEST
    expect(iso(parseLocalDateTime('2025-12-03T09:00', 'Europe/Paris'))).toBe('2025-12-03T08:00:00.000Z');
    expect(parseLocalDateTime('2025-12-03 09:00', 'Europe/Paris')).toBeNaN();
    expect(toLocalDateTime(Date.parse('2025-07-01T07:15:00Z'), 'Europe/Paris')).toBe('2025-07-01T09:15');
    expect(localDate(Date.parse('2025-03-29T23:30:00Z'), 'Europe/Paris')).toBe('2025-03-30');
    expect([addDays('2025-02-27', 2), addDays('2025-01-01', -1)]).toEqual(['2025-03-01', '2024-12-31']);
  });
});

describe('ui data transforms', () => {
  const run = (id: number, issuedAt: string, windowStart: string, windowEnd: string) => ({ id, issuedAt, windowStart, windowEnd, status: 'succeeded' }) as never;
  const value = (ts: string, mean: number) => ({ seriesId: 'a', grain: '1h', ts, mean, quantiles: { '0.1': mean - 1, '0.9': mean + 1 }, model: 'm', modelVersion: 'm@1', fallbackReason: null, flags: [] }) as never;

  it('stitches runs, the latest issued winning each hour', () => {
    const s = stitch([
      { run: run(1, '2025-01-01T08:00:00Z', '', ''), values: [value('2025-01-02T00:00:00Z', 10), value('2025-01-02T01:00:00Z', 11)] },
      { run: run(2, '2025-01-02T00:30:00Z', '', ''), values: [value('2025-01-02T01:00:00Z', 21), value('2025-01-02T02:00:00Z', 22)] },
    ]);
    expect(s.ts.map((t) => iso(t * 1000).slice(11, 13))).toEqual(['00', '01', '02']);
    expect(s.mean).toEqual([10, 21, 22]);
    expect(s.quantiles['0.9']).toEqual([11, 22, 23]);
    expect(s.runId).toEqual([1, 2, 2]);
  });

  it('reads API times digit by digit as Date.parse does', () => {
    for (const t of ['2025-01-02T03:04:05.678Z', '1999-12-31T23:59:59.999Z', '2026-03-29T01:00:00.000Z']) expect(isoSeconds(t)).toBe(Date.parse(t) / 1000);
    expect(isoSeconds('2025-01-02T03:04:05+01:00')).toBe(Date.parse('2025-01-02T02:04:05Z') / 1000);
  });

  it('stitches runs given out of time order', () => {
    const s = stitch([
      { run: run(2, '2025-01-02T00:30:00Z', '', ''), values: [value('2025-01-02T01:00:00Z', 21)] },
      { run: run(1, '2025-01-01T08:00:00Z', '', ''), values: [value('2025-01-02T00:00:00Z', 10), value('2025-01-02T01:00:00Z', 11)] },
    ]);
    expect([s.mean, s.runId]).toEqual([[10, 21], [1, 2]]);
  });

  it('picks the runs covering a range, issued before the cut-off, one per window', () => {
    const runs = [
      run(5, '2025-01-03T08:00:00Z', '2025-01-03T23:00:00Z', '2025-01-04T23:00:00Z'),
      run(4, '2025-01-02T09:00:00Z', '2025-01-02T23:00:00Z', '2025-01-03T23:00:00Z'),
      run(3, '2025-01-02T08:00:00Z', '2025-01-02T23:00:00Z', '2025-01-03T23:00:00Z'),
      run(2, '2025-01-01T08:00:00Z', '2025-01-01T23:00:00Z', '2025-01-02T23:00:00Z'),
    ];
    const ids = (cutoff: string) => runsCovering(runs, Date.parse('2025-01-02T23:00:00Z'), Date.parse('2025-01-05T00:00:00Z'), Date.parse(cutoff), 10).map((r) => r.id);
    expect(ids('2025-01-05T00:00:00Z')).toEqual([5, 4]);
    expect(ids('2025-01-02T08:30:00Z')).toEqual([3]); // as issued at 08:30 on the 2nd
  });

  it('aligns series on the union of their times', () => {
    const a = align([
      { ts: [0, 3600, 7200], columns: [[1, null, 3]] },
      { ts: [3600, 10800], columns: [[10, Number.NaN], [20, 30]] },
    ]);
    expect(a.xs).toEqual([0, 3600, 7200, 10800]);
    expect(a.columns).toEqual([[1, null, 3, null], [null, 10, null, null], [null, 20, null, 30]]);
    expect(Array.from(a.positions[1])).toEqual([1, 3]);
    expect(a.byPart).toEqual([[a.columns[0]], [a.columns[1], a.columns[2]]]);
  });

  it('keeps the columns of each part apart: a day-ahead with no run (no quantiles) before an intraday run', () => {
    // the first minutes of `npm start`: actuals and an intraday run, no day-ahead yet
    const a = align([
      { ts: [0, 3600], columns: [[1, 2]] },
      { ts: [], columns: [[]] },
      { ts: [3600, 7200], columns: [[5, 6]] },
    ]);
    const [[actual], [daMean, ...quantiles], [intraday]] = a.byPart;
    expect(actual).toEqual([1, 2, null]);
    expect(daMean).toEqual([null, null, null]);
    expect(quantiles).toEqual([]);
    expect(intraday).toEqual([null, 5, 6]);
  });

  it('finds runs of flagged values, peaks and writes CSV', () => {
    const spans = flaggedSpans([0, 1, 2, 3, 4, 5], ['ok', 'imputed', 'imputed', 'suspect', 'ok', 'imputed'], [null, 'profile', 'locf, profile', null, null, null]);
    expect(spans).toEqual([
      { quality: 'imputed', from: 1, to: 2, n: 2, methods: ['profile', 'locf'] },
      { quality: 'suspect', from: 3, to: 3, n: 1, methods: [] },
      { quality: 'imputed', from: 5, to: 5, n: 1, methods: [] },
    ]);
    expect(peak([0, 1, 2, 3], [5, null, 9, 12], 0, 3)).toEqual({ ts: 2, value: 9 });
    expect(peak([0, 1], [null, null], 0, 2)).toBeNull();
    expect(toCsv(['a', 'b'], [['x,y', 1.5], ['say "hi"', null]])).toBe('a,b\n"x,y",1.5\n"say ""hi""",\n');
  });
});

describe('ui tree rows', () => {
  const nodes = [
    { id: 'fr', parent: null, name: 'France' },
    { id: 'north', parent: 'fr', name: 'Nord' },
    { id: 'south', parent: 'fr', name: null },
    { id: 'lille', parent: 'north', name: 'Lille' },
    { id: 'arras', parent: 'north', name: 'Arras' },
    { id: 'nice', parent: 'south', name: 'Nice' },
    { id: 'orphan', parent: 'gone', name: null },
  ];
  const ix = treeIndex(nodes);

  it('shows the expanded nodes depth first, with their level and position among siblings', () => {
    const rows = visibleRows(ix, new Set(['fr', 'north']));
    expect(rows.map((r) => [r.id, r.depth, r.posInSet, r.setSize, r.expanded])).toEqual([
      ['fr', 1, 1, 2, true], ['north', 2, 1, 2, true], ['arras', 3, 1, 2, false], ['lille', 3, 2, 2, false], ['south', 2, 2, 2, false], ['orphan', 1, 2, 2, false],
    ]);
    expect(ancestors(ix, 'lille')).toEqual(['north', 'fr']);
  });

  it('searches ids and names, keeping the path to each match open', () => {
    const rows = visibleRows(ix, new Set(), 'LIL');
    expect(rows.map((r) => [r.id, r.match])).toEqual([['fr', false], ['north', false], ['lille', true]]);
    expect(visibleRows(ix, new Set(), 'ni').map((r) => r.id)).toEqual(['fr', 'south', 'nice']);
    expect(visibleRows(ix, new Set(), 'zzz')).toEqual([]);
  });
});
