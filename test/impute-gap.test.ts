import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../store/db.ts';
import { insertMeasurements } from '../store/measurements.repository.ts';
import { queryMeasurements } from '../store/query.repository.ts';
import { findBatch } from '../store/batches.repository.ts';
import { imputeRecent, imputeSeries } from '../ingest/impute/impute.ts';
import { listGapFills } from '../store/imputation.repository.ts';
import { backends, freshDb } from './db.ts';

const STEP = 10_000;
const START = Date.parse('2026-03-10T00:00:00Z'); // a Tuesday: the gap day (Thursday) has two weekdays of history
const END = START + 3 * 86_400_000;
const GAP = [Date.parse('2026-03-12T10:00:00Z'), Date.parse('2026-03-12T12:00:00Z')];
const SHORT = [Date.parse('2026-03-12T15:00:00Z'), Date.parse('2026-03-12T15:02:00Z')];
const truth = (t: number) => 100 + 20 * Math.sin((2 * Math.PI * ((t / 3_600_000) % 24)) / 24) + ((t / STEP) % 7) * 0.1;
const removed = (t: number) => (t >= GAP[0] && t < GAP[1]) || (t >= SHORT[0] && t < SHORT[1]);

describe.each(backends)('imputation of a 10-s SCADA series (%s)', (kind) => {
  let db: Db;
  beforeAll(async () => {
    db = await freshDb(kind);
    await db.query(`INSERT INTO series (id, kind, unit, time_zone, attrs) VALUES
      ('sub-a', 'load', 'MW', 'Europe/Paris', '{"stepSec": 10}'), ('sub-b', 'load', 'MW', 'Europe/Paris', '{}'),
      ('line.n', 'flow', 'MW', 'UTC', '{"from": "n", "to": "p", "measuredAt": "n", "redundantWith": "line.p", "lossFactor": 0.02}'),
      ('line.p', 'flow', 'MW', 'UTC', '{"from": "n", "to": "p", "measuredAt": "p", "redundantWith": "line.n", "lossFactor": 0.02}')`);
    const lines: string[] = [];
    for (let t = START; t < END; t += STEP) if (!removed(t)) lines.push(`sub-a,${new Date(t).toISOString()},${truth(t)}`);
    // sub-b has no declared cadence: it is read from the points; its sensor stops 2 min before `to`.
    for (let t = END - 3_600_000; t < END - 120_000; t += STEP) lines.push(`sub-b,${new Date(t).toISOString()},${truth(t)}`);
    // A line measured at both ends: the receiving end (p) is silent for 30 min.
    for (let t = END - 3_600_000; t < END; t += STEP) {
      lines.push(`line.n,${new Date(t).toISOString()},${truth(t)}`);
      if (t < END - 2_400_000 || t >= END - 600_000) lines.push(`line.p,${new Date(t).toISOString()},${truth(t) * 0.98}`);
    }
    await db.copyCsv('measurements', ['series_id', 'ts', 'value'], lines.join('\n') + '\n');
  });
  afterAll(() => db.close());

  it('fills a 2-h gap with flagged profile points at 10-s cadence, a 2-min gap by LOCF, and leaves raw values unchanged', async () => {
    const res = await imputeSeries(db, { seriesId: 'sub-a', from: new Date(START), to: new Date(END), actor: 'test:imputation' });
    expect(res.points).toBe(720 + 12);

    const rows = await queryMeasurements(db, { seriesId: 'sub-a', from: new Date(GAP[0] - 3_600_000), to: new Date(SHORT[1] + 3_600_000), grain: 'raw' });
    expect(rows.length).toBe((SHORT[1] + 3_600_000 - (GAP[0] - 3_600_000)) / STEP);
    for (const r of rows) {
      const t = r.ts.getTime();
      expect(t % STEP).toBe(0);
      if (t >= GAP[0] && t < GAP[1]) {
        expect([r.quality, r.method]).toEqual(['imputed', 'profile']);
        // Two earlier weekdays follow the same daily curve: the profile lands within the slot's spread.
        expect(Math.abs(r.value! - truth(t))).toBeLessThan(3);
      } else if (t >= SHORT[0] && t < SHORT[1]) {
        expect([r.quality, r.method, r.value]).toEqual(['imputed', 'locf', truth(SHORT[0] - STEP)]);
      } else {
        expect([r.quality, r.method, r.value]).toEqual(['ok', null, truth(t)]);
      }
    }

    const log = await listGapFills(db, 'sub-a', new Date(START), new Date(END));
    expect(log.map((e) => [e.method, e.points, e.actor, e.gapStart.getTime(), e.gapEnd.getTime()])).toEqual([
      ['profile', 720, 'test:imputation', GAP[0], GAP[1]],
      ['locf', 12, 'test:imputation', SHORT[0], SHORT[1]],
    ]);
    expect(log[1].inputs).toMatchObject({ lastValue: truth(SHORT[0] - STEP), lastTs: new Date(SHORT[0] - STEP).toISOString() });
    expect(log[0].inputs).toMatchObject({ slotSec: 900, timeZone: 'Europe/Paris' });
    // The batch ledger holds the same report, and the imputed rows point at that batch.
    const batch = await findBatch(db, log[0].batchId!);
    expect(batch).toMatchObject({ source: 'imputation', status: 'committed', rowCount: 732, report: { actor: 'test:imputation', seriesId: 'sub-a' } });
    const tagged = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM measurements WHERE batch_id = $1 AND quality = 'imputed'`, [batch!.id]);
    expect(tagged.rows[0].n).toBe(732);

    // Each point is imputed once, and a late real value replaces the imputed one.
    const again = await imputeSeries(db, { seriesId: 'sub-a', from: new Date(START), to: new Date(END), actor: 'test' });
    expect(again.points).toBe(0);

    const late = GAP[0] + 60 * STEP;
    await db.transaction((tx) => insertMeasurements(tx, [{ seriesId: 'sub-a', ts: new Date(late), value: 42 }]));
    const [r] = await queryMeasurements(db, { seriesId: 'sub-a', from: new Date(late), to: new Date(late + 1), grain: 'raw' });
    expect([r.value, r.quality, r.method]).toEqual([42, 'ok', null]);
  });

  it('fills a sensor that is silent now up to the end of the window', async () => {
    const to = new Date(END);
    const res = await imputeSeries(db, { seriesId: 'sub-b', from: new Date(END - 600_000), to, actor: 'test' });
    expect(res.fills).toEqual([expect.objectContaining({ method: 'locf', points: 12, gapEnd: to })]);
  });

  it('fills a line end from the other end of the line, through the losses', async () => {
    const res = await imputeSeries(db, { seriesId: 'line.p', from: new Date(END - 3_600_000), to: new Date(END), actor: 'test' });
    expect(res.fills).toEqual([expect.objectContaining({ method: 'redundancy', points: 180, inputs: expect.objectContaining({ redundantWith: 'line.n', lossFactor: 0.02 }) })]);
    const rows = await queryMeasurements(db, { seriesId: 'line.p', from: new Date(END - 2_400_000), to: new Date(END - 600_000), grain: 'raw' });
    expect(rows).toHaveLength(180);
    for (const r of rows) {
      expect([r.quality, r.method]).toEqual(['imputed', 'redundancy']);
      expect(r.value).toBeCloseTo(truth(r.ts.getTime()) * 0.98, 9);
    }
  });

  it('imputes every recently measured series in one job run', async () => {
    const { results, errors } = await imputeRecent(db, { from: new Date(END - 3_600_000), to: new Date(END), actor: 'test:job' });
    expect(errors).toEqual([]);
    expect(results.map((r) => r.seriesId)).toEqual(['line.n', 'line.p', 'sub-a', 'sub-b']);
  });
});
