import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../store/db.ts';
import { scoresRepository } from '../store/scores.repository.ts';
import { createAccuracyService } from '../monitoring/accuracy.service.ts';
import { backends, freshDb } from './db.ts';
import { createSeries } from './aggregates-fixtures.ts';
import { insertRun } from './fixtures/scored-run.ts';

const H = 3_600_000;
const DAY = new Date('2026-01-10T00:00:00Z');
const at = (hours: number) => new Date(DAY.getTime() + hours * H);
const MEANS = Array.from({ length: 24 }, (_, h) => 50 + h);

/** Four quarter-hour points of `series` in each hour of `hours`, worth `value(h)`, received at `received`. */
const csv = (series: string, hours: number[], value: (h: number) => number, received: Date) =>
  hours.flatMap((h) => [0, 1, 2, 3].map((k) => `${series},${new Date(at(h).getTime() + k * 900_000).toISOString()},${value(h)},ok,${received.toISOString()}`)).join('\n') + '\n';

describe.each(backends)('incremental scoring passes on %s', (kind) => {
  let db: Db;
  let service: ReturnType<typeof createAccuracyService>;
  const load = (series: string, hours: number[], value: (h: number) => number, received: Date) =>
    db.copyCsv('measurements', ['series_id', 'ts', 'value', 'quality', 'received_at'], csv(series, hours, value, received));
  const count = async () => (await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM forecast_scores`)).rows[0].n;
  const range = (a: number, b: number) => Array.from({ length: b - a }, (_, i) => a + i);

  beforeAll(async () => {
    db = await freshDb(kind);
    await createSeries(db, [{ id: 's', unit: 'MW' }, { id: 'old', unit: 'MW' }, { id: 'p', unit: 'MW' }, { id: 'c1', unit: 'MW', parentId: 'p' }, { id: 'c2', unit: 'MW', parentId: 'p' }]);
    for (const seriesId of ['s', 'old', 'p']) await insertRun(db, { seriesId, issuedAt: at(-14), start: DAY, means: MEANS });
    service = createAccuracyService({ scores: scoresRepository(db), timeZone: 'UTC', lookbackDays: 45, settleMinutes: 30, nearZeroFraction: 0.05 });
  });
  afterAll(() => db?.close());

  it('scores what changed since the last pass: nothing when idle, one row per revised hour, late hours, new runs and roll-ups', async () => {
    await load('s', range(0, 12), (h) => MEANS[h], at(12));
    await load('c1', range(0, 12), () => 30, at(12));
    await load('c2', range(0, 12).filter((h) => h !== 5), () => 20, at(12));
    // The first pass examines the whole lookback: the settled hours 0…11 of s, and of p where both children have an actual.
    expect(await service.scoreNew(at(13))).toEqual({ scored: 12 + 11 });
    expect(await service.scoreNew(at(13.25))).toEqual({ scored: 0 });
    expect(await service.scoreNew(at(13.5))).toEqual({ scored: 0 });

    // A revised point: its hour gets exactly one new row at the new truth version, the first kept.
    await db.query(`UPDATE measurements SET value = value + 8, received_at = $2 WHERE series_id = 's' AND ts = $1`, [at(3), at(14)]);
    expect(await service.scoreNew(at(14.25))).toEqual({ scored: 1 });
    const { rows } = await db.query<{ actual: number; truth_version: Date }>(
      `SELECT actual, truth_version FROM forecast_scores WHERE series_id = 's' AND target_ts = $1 ORDER BY truth_version`, [at(3)],
    );
    expect(rows).toEqual([{ actual: MEANS[3], truth_version: at(12) }, { actual: MEANS[3] + 2, truth_version: at(14) }]);
    expect(await service.scoreNew(at(14.5))).toEqual({ scored: 0 });

    // Hours settled long before this pass whose actuals arrive now, a roll-up's missing child hour, and and p's hours 12…23.
    await load('s', range(12, 24), (h) => MEANS[h], at(30));
    await load('c1', range(12, 24), () => 30, at(30));
    await load('c2', [5, ...range(12, 24)], () => 20, at(30));
    expect(await service.scoreNew(at(30.25))).toEqual({ scored: 12 + 1 + 12 });
    expect((await db.query<{ actual: number }>(`SELECT actual FROM forecast_scores WHERE series_id = 'p' AND target_ts = $1`, [at(5)])).rows).toEqual([{ actual: 50 }]);

    // A run stored after the pass with an old issue time (a backfill) is new to the next pass.
    await insertRun(db, { seriesId: 's', issuedAt: at(-2), start: DAY, means: MEANS.map((m) => m + 1), horizon: 'intraday' });
    expect(await service.scoreNew(at(30.5))).toEqual({ scored: 24 });
    expect(await service.scoreNew(at(30.75))).toEqual({ scored: 0 });
    expect(await count()).toBe(12 + 11 + 1 + 25 + 24);
  });

  it('catches data loaded with a receipt time older than the last pass at the daily full pass', async () => {
    await load('old', range(0, 24), (h) => MEANS[h], at(1));
    // Its receipt time is before the last pass (less the overlap): not seen as new…
    expect(await service.scoreNew(at(31))).toEqual({ scored: 0 });
    // …until, a day after the last full pass (the first, at 13:00 the day before), the whole lookback is examined again.
    expect(await service.scoreNew(at(36))).toEqual({ scored: 0 });
    expect(await service.scoreNew(at(37))).toEqual({ scored: 24 });
    expect(await service.scoreNew(at(37.25))).toEqual({ scored: 0 });
  });
});
