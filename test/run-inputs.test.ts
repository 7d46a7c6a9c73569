import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadRunInputs, type InputRequest } from '../forecast/inputs.ts';
import type { Db } from '../store/db.ts';
import { insertMeasurements } from '../store/measurements.repository.ts';
import type { MeasurementInput } from '../core/series.ts';
import { insertMeteringVersions } from '../store/metering.repository.ts';
import { insertWeatherForecasts, insertWeatherObs } from '../store/weather.repository.ts';
import { backends, freshDb } from './db.ts';

/**
 * grid (station st1) → a, c measured every 30 min; m metered hourly (own station st2) with a
 * provisional then a validated version; x measured, no station anywhere.
 */
const H = 3_600_000;
const ORIGIN = new Date('2025-03-10T00:00:00Z');
const DAYS = 2;
const FROM = ORIGIN.getTime() - DAYS * 24 * H;
const PROVISIONAL_AT = new Date('2025-03-10T06:00:00Z');
const VALIDATED_AT = new Date('2025-03-12T06:00:00Z');

const aAt = (t: number) => 100 + ((t - FROM) / H) * 0.5;
const cAt = (t: number) => 40 + Math.sin(t / 7e6);
const st1At = (t: number) => 5 + ((t / H) % 24) / 4;

async function seed(db: Db): Promise<void> {
  await db.query(
    `INSERT INTO series (id, parent_id, kind, unit, time_zone, weather_station) VALUES
      ('st1', NULL, 'weather', 'degC', 'UTC', NULL), ('st2', NULL, 'weather', 'degC', 'UTC', NULL),
      ('grid', NULL, 'load', 'MW', 'Europe/Paris', '"st1"'), ('a', 'grid', 'load', 'MW', 'Europe/Paris', NULL),
      ('c', 'grid', 'load', 'MW', 'Europe/Paris', NULL), ('m', NULL, 'load', 'MWh', 'Europe/Berlin', '"st2"'),
      ('x', NULL, 'load', 'MW', 'UTC', NULL)`,
  );
  const points: MeasurementInput[] = [];
  for (let t = FROM - 24 * H; t < ORIGIN.getTime() + 24 * H; t += H / 2) {
    const hour = (t - FROM) / H;
    // a misses one hour; c has an imputed hour and a suspect one; x has points only on the last day.
    if (Math.floor(hour) !== 5) points.push({ seriesId: 'a', ts: new Date(t), value: aAt(t) });
    const quality = Math.floor(hour) === 7 ? ('imputed' as const) : Math.floor(hour) === 9 ? ('suspect' as const) : ('ok' as const);
    points.push({ seriesId: 'c', ts: new Date(t), value: cAt(t), quality, ...(quality === 'imputed' ? { method: 'locf' } : {}) });
    if (hour >= 24) points.push({ seriesId: 'x', ts: new Date(t), value: 1 });
  }
  await db.transaction((tx) => insertMeasurements(tx, points));
  const metering = [];
  for (let t = FROM; t < ORIGIN.getTime(); t += H) {
    metering.push({ seriesId: 'm', intervalStart: new Date(t), intervalSec: 3600, value: 10, status: 'provisional' as const, receivedAt: PROVISIONAL_AT });
    metering.push({ seriesId: 'm', intervalStart: new Date(t), intervalSec: 3600, value: 11, status: 'validated' as const, receivedAt: VALIDATED_AT });
  }
  await insertMeteringVersions(db, metering);
  const obs = [];
  // The history window and the horizon, plus the source days of the scenario tests.
  for (const [lo, hi] of [
    [FROM, ORIGIN.getTime() + 48 * H],
    [Date.UTC(2024, 2, 9), Date.UTC(2024, 2, 13)],
    [Date.UTC(2023, 1, 27), Date.UTC(2023, 2, 3)],
  ]) {
    for (let t = lo; t < hi; t += H / 2) {
      obs.push({ stationId: 'st1', variable: 'temperature', ts: new Date(t), value: st1At(t) });
      obs.push({ stationId: 'st2', variable: 'temperature', ts: new Date(t), value: -st1At(t) });
    }
  }
  await insertWeatherObs(db, obs);
  const fc = (issuedH: number, targets: number, value: (k: number) => number) =>
    Array.from({ length: targets }, (_, k) => ({
      stationId: 'st1',
      variable: 'temperature',
      issuedAt: new Date(ORIGIN.getTime() + issuedH * H),
      targetTs: new Date(ORIGIN.getTime() + k * H),
      value: value(k),
    }));
  // Issued 6 h before the origin for 24 h, 1 h before for the first 12 h, and after the origin.
  await insertWeatherForecasts(db, [...fc(-6, 24, (k) => 10 + k), ...fc(-1, 12, (k) => 20 + k), ...fc(1, 30, () => 99)]);
}

const request = (over: Partial<InputRequest> = {}): InputRequest => ({
  seriesIds: ['x', 'grid', 'a', 'c', 'm'],
  origin: ORIGIN,
  historyDays: DAYS,
  horizonSteps: 30,
  ...over,
});

describe.each(backends)('loadRunInputs on %s', (kind) => {
  let db: Db;
  beforeAll(async () => {
    db = await freshDb(kind);
    await seed(db);
  });
  afterAll(() => db?.close());

  it('loads hourly history strictly before the origin, rolls up children and keeps the topology zone', async () => {
    const r = await loadRunInputs(db, request());
    expect(r.stepSec).toBe(3600);
    expect([...r.history.keys()]).toEqual(['a', 'c', 'grid', 'm', 'x']);
    const a = r.history.get('a')!;
    expect(a.start.toISOString()).toBe(new Date(FROM).toISOString());
    expect(a.values).toHaveLength(48);
    expect(a.timeZone).toBe('Europe/Paris');
    expect(r.history.get('m')!.timeZone).toBe('Europe/Berlin');
    for (let i = 0; i < 48; i++) {
      const t = FROM + i * H;
      const grid = r.history.get('grid')!.values[i];
      if (i === 5) {
        expect(a.values[i]).toBeNaN();
        expect(grid).toBeNaN();
        continue;
      }
      const expected = (aAt(t) + aAt(t + H / 2)) / 2;
      expect(a.values[i]).toBeCloseTo(expected, 10);
      expect(grid).toBeCloseTo(expected + (cAt(t) + cAt(t + H / 2)) / 2, 10);
    }
    expect(r.quality.get('a')).toEqual({ imputed: 0, suspect: 0, missing: 1 });
    expect(r.quality.get('c')).toEqual({ imputed: 1, suspect: 1, missing: 0 });
    expect(r.quality.get('x')).toEqual({ imputed: 0, suspect: 0, missing: 24 });
  });

  it('takes temperature from the own or the nearest ancestor station, none without one', async () => {
    const r = await loadRunInputs(db, request());
    expect([...r.fitCovariates.keys()].sort()).toEqual(['a', 'c', 'grid', 'm']);
    expect(r.fitCovariates.has('x')).toBe(false);
    expect(r.predictCovariates.has('x')).toBe(false);
    const a = r.fitCovariates.get('a')!.future!.temperature;
    const m = r.fitCovariates.get('m')!.future!.temperature;
    expect(a).toHaveLength(48);
    for (const i of [0, 17, 47]) {
      const t = FROM + i * H;
      expect(a[i]).toBeCloseTo((st1At(t) + st1At(t + H / 2)) / 2, 10);
      expect(m[i]).toBeCloseTo(-a[i], 10);
    }
  });

  it('records each series\' weather input, warns WEATHER_UNMAPPED for one without, and takes a recorded input over the topology', async () => {
    const r = await loadRunInputs(db, request());
    expect(r.weather.get('a')).toEqual({ stations: [{ station: 'st1', weight: 1 }], from: 'ancestor grid' });
    expect(r.weather.get('m')).toEqual({ stations: [{ station: 'st2', weight: 1 }], from: 'own' });
    expect(r.weather.get('x')).toBeNull();
    expect(r.warnings).toHaveLength(1);
    expect(r.warnings[0]).toMatch(/^WEATHER_UNMAPPED: 1 series \(x\) have no weather input although 2 weather stations are stored/);
    // A champion trained on st2 for c is fed st2, and the run says the topology differs.
    const recorded = await loadRunInputs(db, request({ weather: { c: { stations: [{ station: 'st2', weight: 1 }], from: 'own' } } }));
    expect(recorded.fitCovariates.get('c')!.future!.temperature).toEqual(r.fitCovariates.get('m')!.future!.temperature);
    expect(recorded.warnings).toContain('WEATHER_INPUT_RECORDED: 1 series use the weather recorded with their model or run, not the topology\'s as it stands: c st2 (topology: st1, from ancestor grid)');
    expect(recorded.hash).not.toBe(r.hash);
  });

  it('uses the latest weather forecast issued at or before the origin, never a later one', async () => {
    const r = await loadRunInputs(db, request());
    const t = r.predictCovariates.get('c')!.future!.temperature;
    expect(t).toHaveLength(30);
    for (let k = 0; k < 30; k++) {
      if (k < 12) expect(t[k]).toBe(20 + k);
      else if (k < 24) expect(t[k]).toBe(10 + k);
      else expect(t[k]).toBeNaN();
    }
    expect(r.predictCovariates.get('m')!.future!.temperature.every(Number.isNaN)).toBe(true);
  });

  it('as of a time, sees only the metering versions received by then', async () => {
    const now = await loadRunInputs(db, request({ seriesIds: ['m'] }));
    expect(now.history.get('m')!.values.every((v) => v === 11)).toBe(true);
    const before = await loadRunInputs(db, request({ seriesIds: ['m'], asOf: new Date('2025-03-11T00:00:00Z') }));
    expect(before.history.get('m')!.values.every((v) => v === 10)).toBe(true);
    const nothing = await loadRunInputs(db, request({ seriesIds: ['m'], asOf: new Date('2025-03-10T05:00:00Z') }));
    expect(nothing.quality.get('m')!.missing).toBe(48);
    expect(new Set([now.hash, before.hash, nothing.hash]).size).toBe(3);
  });

  it('sees a late live point at once (dirty hour), and not as of a time before it arrived', async () => {
    const seeded = new Date();
    await new Promise((r) => setTimeout(r, 20));
    const late = new Date(FROM + 30 * H + 60_000);
    // A short live batch stores its 5-min bucket and only marks the hour dirty.
    await db.transaction((tx) => insertMeasurements(tx, [{ seriesId: 'x', ts: late, value: 7 }]));
    const { rows } = await db.query(`SELECT 1 FROM aggregates_dirty WHERE series_id = 'x' AND grain = '1h'`);
    expect(rows.length).toBeGreaterThan(0);
    const now = await loadRunInputs(db, request({ seriesIds: ['x'] }));
    expect(now.history.get('x')!.values[30]).toBe((7 + 1 + 1) / 3);
    const before = await loadRunInputs(db, request({ seriesIds: ['x'], asOf: seeded }));
    expect(before.history.get('x')!.values[30]).toBe(1);
    expect(before.history.get('x')!.values[29]).toBe(1);
  });

  it('replays the observed temperature of past years on the target calendar', async () => {
    const r = await loadRunInputs(db, request({ seriesIds: ['a', 'x'], scenarioYears: [2024, 2024] }));
    expect([...r.scenarios!.keys()]).toEqual([2024]);
    const s = r.scenarios!.get(2024)!;
    expect(s.has('x')).toBe(false);
    const t = s.get('a')!.future!.temperature;
    for (let k = 0; k < 30; k++) {
      const src = Date.UTC(2024, 2, 10) + k * H;
      expect(t[k]).toBeCloseTo((st1At(src) + st1At(src + H / 2)) / 2, 10);
    }
    // A year before any observation gives an empty scenario, not an error.
    const old = await loadRunInputs(db, request({ seriesIds: ['a'], scenarioYears: [1990] }));
    expect(old.scenarios!.get(1990)!.get('a')!.future!.temperature.every(Number.isNaN)).toBe(true);
  });

  it('maps Feb 29 to Feb 28 of a common year', async () => {
    const origin = new Date('2024-02-29T00:00:00Z');
    const r = await loadRunInputs(db, { seriesIds: ['a'], origin, historyDays: 1, horizonSteps: 48, scenarioYears: [2023] });
    const t = r.scenarios!.get(2023)!.get('a')!.future!.temperature;
    const obs = (ms: number) => (st1At(ms) + st1At(ms + H / 2)) / 2;
    expect(t[3]).toBeCloseTo(obs(Date.UTC(2023, 1, 28, 3)), 10);
    expect(t[24 + 3]).toBeCloseTo(obs(Date.UTC(2023, 2, 1, 3)), 10);
  });

  it('gives the same hash for the same request and another when a value changes', async () => {
    const one = await loadRunInputs(db, request());
    const two = await loadRunInputs(db, request({ seriesIds: ['m', 'c', 'a', 'grid', 'x', 'a'] }));
    expect(two.hash).toBe(one.hash);
    expect(one.hash).toMatch(/^[0-9a-f]{64}$/);
    const longer = await loadRunInputs(db, request({ horizonSteps: 31 }));
    expect(longer.hash).not.toBe(one.hash);
    await insertWeatherObs(db, [{ stationId: 'st2', variable: 'temperature', ts: new Date(FROM + 3 * H), value: 123 }]);
    const weather = await loadRunInputs(db, request());
    expect(weather.hash).not.toBe(one.hash);
    await db.transaction((tx) => insertMeasurements(tx, [{ seriesId: 'a', ts: new Date(FROM + 5 * H), value: 1 }]));
    const filled = await loadRunInputs(db, request());
    expect(filled.history.get('a')!.values[5]).toBe(1);
    expect(filled.hash).not.toBe(weather.hash);
  });

  it('refuses an unknown series and an origin off the hour', async () => {
    await expect(loadRunInputs(db, request({ seriesIds: ['nope'] }))).rejects.toMatchObject({ code: 'SERIES_NOT_FOUND' });
    await expect(loadRunInputs(db, request({ origin: new Date(ORIGIN.getTime() + 60_000) }))).rejects.toMatchObject({ code: 'INPUT_ORIGIN_INVALID' });
  });
});
