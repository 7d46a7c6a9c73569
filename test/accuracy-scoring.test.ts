import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../store/db.ts';
import { insertMeteringVersions, type MeteringInput } from '../store/metering.repository.ts';
import { insertMeasurements } from '../store/measurements.repository.ts';
import { scoresRepository } from '../store/scores.repository.ts';
import { createAccuracyService } from '../monitoring/accuracy.service.ts';
import { backends, freshDb } from './db.ts';
import { createSeries } from './aggregates-fixtures.ts';
import { insertRun } from './fixtures/scored-run.ts';

const H = 3_600_000;
const DAY = new Date('2026-01-10T00:00:00Z');
const ISSUED = new Date('2026-01-09T10:00:00Z');
const PROVISIONAL_AT = new Date('2026-01-11T01:00:00Z');
const VALIDATED_AT = new Date('2026-01-17T09:00:00Z');
const MEANS = Array.from({ length: 24 }, (_, h) => 40 + 10 * Math.sin((h * Math.PI) / 12));
// Hourly energy in four quarter hours; the validated values of the first 6 hours are 5 % higher.
const provisional = MEANS.map((m, h) => m * (1 + 0.02 * Math.cos(h)));
const validated = provisional.map((v, h) => (h < 6 ? v * 1.05 : v));

const quarters = (hourly: number[], status: MeteringInput['status'], receivedAt: Date, hours: number): MeteringInput[] =>
  hourly.slice(0, hours).flatMap((v, h) =>
    [0, 1, 2, 3].map((k) => ({ seriesId: 'm1', intervalStart: new Date(DAY.getTime() + h * H + k * 900_000), intervalSec: 900, value: v / 4, status, receivedAt })),
  );
const mapeOf = (actual: number[]) => (100 * actual.reduce((s, a, h) => s + Math.abs((MEANS[h] - a) / a), 0)) / actual.length;

describe.each(backends)('accuracy tracking on %s', (kind) => {
  let db: Db;
  let service: ReturnType<typeof createAccuracyService>;
  let runId: number;
  const window = { from: '2026-01-10T00:00:00Z', to: '2026-01-11T00:00:00Z' };

  beforeAll(async () => {
    db = await freshDb(kind);
    await createSeries(db, [{ id: 'm1', unit: 'MWh' }, { id: 's1', unit: 'MW' }, { id: 'p', unit: 'MW' }, { id: 'q', unit: 'MW', parentId: 'p' }, { id: 'c1', unit: 'MW', parentId: 'q' }, { id: 'c2', unit: 'MW', parentId: 'p' }]);
    runId = await insertRun(db, { seriesId: 'm1', issuedAt: ISSUED, start: DAY, means: MEANS });
    service = createAccuracyService({ scores: scoresRepository(db), timeZone: 'UTC', lookbackDays: 45, settleMinutes: 30, nearZeroFraction: 0.05 });
  });
  afterAll(() => db?.close());

  it('scenario 7: a provisional metering value is scored, its validation days later re-scores it, both scores kept, reads use the latest', async () => {
    // Before any actual: nothing to score.
    expect(await service.scoreNew(new Date('2026-01-10T12:00:00Z'))).toEqual({ scored: 0 });
    await insertMeteringVersions(db, quarters(provisional, 'provisional', PROVISIONAL_AT, 24));
    expect(await service.scoreNew(new Date('2026-01-11T02:00:00Z'))).toEqual({ scored: 24 });
    expect(await service.scoreNew(new Date('2026-01-11T03:00:00Z'))).toEqual({ scored: 0 });
    const early = await service.read({ ...window, by: 'series' });
    expect(early.rows).toHaveLength(1);
    expect(early.rows[0]).toMatchObject({ seriesId: 'm1', horizon: 'day-ahead', n: 24, nApe: 24, coverage: 100, maeNearZero: null });
    expect(early.rows[0].mape).toBeCloseTo(mapeOf(provisional), 9);

    await insertMeteringVersions(db, quarters(validated, 'validated', VALIDATED_AT, 6));
    // A provisional resend after validation does not displace the validated value: no new truth.
    await insertMeteringVersions(db, quarters(provisional.map((v) => v * 2), 'provisional', new Date(VALIDATED_AT.getTime() + H), 1));
    expect(await service.scoreNew(new Date('2026-01-17T12:00:00Z'))).toEqual({ scored: 6 });
    expect(await service.scoreNew(new Date('2026-01-17T13:00:00Z'))).toEqual({ scored: 0 });

    const { rows } = await db.query<{ target_ts: Date; truth_status: string; truth_version: Date; actual: number; lead_hours: number }>(
      `SELECT target_ts, truth_status, truth_version, actual, lead_hours FROM forecast_scores WHERE run_id = $1 ORDER BY target_ts, truth_version`, [runId],
    );
    expect(rows).toHaveLength(30);
    const first = rows.filter((r) => r.target_ts.getTime() === DAY.getTime());
    expect(first.map((r) => [r.truth_status, r.truth_version.toISOString()])).toEqual([
      ['provisional', PROVISIONAL_AT.toISOString()],
      ['validated', VALIDATED_AT.toISOString()],
    ]);
    expect(first[0].actual).toBeCloseTo(provisional[0], 9);
    expect(first[1].actual).toBeCloseTo(validated[0], 9);
    expect(first[0].lead_hours).toBe(14);

    const late = await service.read({ ...window, by: 'series' });
    expect(late.rows[0]).toMatchObject({ n: 24, nApe: 24 });
    expect(late.rows[0].mape).toBeCloseTo(mapeOf(validated), 9);
    expect(late.rows[0].mape).not.toBeCloseTo(mapeOf(provisional), 3);
    expect(late.rows[0].bias).toBeCloseTo(MEANS.reduce((s, m, h) => s + m - validated[h], 0) / 24, 9);
  });

  it('aggregates by lead-time bucket and by local day', async () => {
    const lead = await service.read({ ...window, by: 'lead' });
    // Issued 14 h before the day: leads 14…37 h, in the buckets [0, 24) and [24, 48).
    expect(lead.rows.map((r) => [r.leadFrom, r.leadTo, r.n])).toEqual([[0, 24, 10], [24, 48, 14]]);
    const day = await service.read({ ...window, by: 'day' });
    expect(day.rows.map((r) => [r.day, r.n])).toEqual([['2026-01-10', 24]]);
  });

  it('re-scores an hour of a measured series when one of its points is revised', async () => {
    // The live write path stamps receipt with the transaction time: this run covers the day before now.
    const start = new Date(Math.floor(Date.now() / H) * H - 30 * H);
    const run = await insertRun(db, { seriesId: 's1', issuedAt: new Date(start.getTime() - 14 * H), start, means: MEANS });
    const points = (hour: number, value: number) => [0, 1, 2, 3].map((k) => ({ seriesId: 's1', ts: new Date(start.getTime() + hour * H + k * 900_000), value }));
    await db.transaction((tx) => insertMeasurements(tx, MEANS.flatMap((m, h) => points(h, m * 1.1))));
    expect(await service.scoreNew(new Date())).toEqual({ scored: 24 });
    expect(await service.scoreNew(new Date())).toEqual({ scored: 0 });
    await db.transaction((tx) => insertMeasurements(tx, [{ ...points(3, 0)[2], value: MEANS[3] * 1.3 }]));
    expect(await service.scoreNew(new Date())).toEqual({ scored: 1 });
    const { rows } = await db.query<{ actual: number; truth_status: string }>(
      `SELECT actual, truth_status FROM forecast_scores WHERE run_id = $1 AND target_ts = $2 ORDER BY truth_version`, [run, new Date(start.getTime() + 3 * H)],
    );
    expect(rows.map((r) => r.truth_status)).toEqual(['measured', 'measured']);
    expect(rows[0].actual).toBeCloseTo(MEANS[3] * 1.1, 9);
    expect(rows[1].actual).toBeCloseTo(MEANS[3] * (1.1 * 3 + 1.3) / 4, 9);
  });

  it('scores a roll-up against the sum of its descendants with data, only where all have an actual', async () => {
    const start = new Date('2026-02-01T00:00:00Z');
    const run = await insertRun(db, { seriesId: 'p', issuedAt: new Date(start.getTime() - 14 * H), start, means: Array(24).fill(100) });
    // c1 (under q, which has no data of its own) and c2: 60 + 30 each hour, c2 missing hour 5.
    const csv = Array.from({ length: 24 }, (_, h) => new Date(start.getTime() + h * H).toISOString())
      .flatMap((ts, h) => [`c1,${ts},60,ok,2026-02-02T00:00:00Z`, ...(h === 5 ? [] : [`c2,${ts},30,ok,2026-02-02T01:00:00Z`])]);
    await db.copyCsv('measurements', ['series_id', 'ts', 'value', 'quality', 'received_at'], csv.join('\n') + '\n');
    expect(await service.scoreNew(new Date('2026-02-03T00:00:00Z'))).toEqual({ scored: 23 });
    const { rows } = await db.query<{ actual: number; truth_version: Date; n: number }>(
      `SELECT min(actual) AS actual, max(truth_version) AS truth_version, count(*)::int AS n FROM forecast_scores WHERE run_id = $1`, [run],
    );
    expect(rows[0]).toEqual({ actual: 90, truth_version: new Date('2026-02-02T01:00:00Z'), n: 23 });
  });
});
