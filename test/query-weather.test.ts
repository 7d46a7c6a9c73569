import { servedActual } from '../ingest/actuals.service.ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { validateTopology } from '../core/topology/validate.ts';
import type { Db } from '../store/db.ts';
import { queryMeasurements } from '../store/query.repository.ts';
import { saveTopology } from '../store/topology.repository.ts';
import { insertWeatherForecasts, insertWeatherObs } from '../store/weather.repository.ts';
import { toCsv } from '../bin/commands/query.ts';
import { backends } from './db.ts';
import { cliStore } from './aggregates-fixtures.ts';

const run = promisify(execFile);
const CLI = new URL('../bin/gridcast.mjs', import.meta.url).pathname;
const H = 3_600_000;
const T0 = Date.parse('2026-06-21T00:00:00Z');
const FIRST_ISSUE = new Date('2026-06-20T12:00:00Z');
const SECOND_ISSUE = new Date('2026-06-21T00:00:00Z');

async function fill(db: Db): Promise<void> {
  await saveTopology(
    db,
    validateTopology({
      timeZone: 'Europe/Paris',
      weatherStations: [{ id: 'ws', latitude: 48.85, longitude: 2.35 }],
      nodes: [{ id: 'load1', kind: 'load', unit: 'MW', weatherStation: 'ws' }],
    }),
  );
  await db.transaction(async (tx) => {
    // Observed every 10 min over two hours: temperature = minutes since 00:00, irradiance ten times that.
    const obs = Array.from({ length: 12 }, (_, i) => new Date(T0 + i * 600_000));
    await insertWeatherObs(tx, [
      ...obs.map((ts, i) => ({ stationId: 'ws', variable: 'temperature', ts, value: 10 * i })),
      ...obs.map((ts, i) => ({ stationId: 'ws', variable: 'irradiance', ts, value: 100 * i })),
    ]);
    // Two issues: the first covers 00:00–05:00, the second (later) only 00:00–02:00.
    await insertWeatherForecasts(tx, [
      ...Array.from({ length: 6 }, (_, h) => ({ stationId: 'ws', variable: 'temperature', issuedAt: FIRST_ISSUE, targetTs: new Date(T0 + h * H), value: 10 + h })),
      ...Array.from({ length: 3 }, (_, h) => ({ stationId: 'ws', variable: 'temperature', issuedAt: SECOND_ISSUE, targetTs: new Date(T0 + h * H), value: 20 + h })),
    ]);
  });
}

describe.each(backends)('weather stations are queryable on %s', (kind) => {
  let store: Awaited<ReturnType<typeof cliStore>>;
  let db: Db;
  const range = { seriesId: 'ws', from: new Date(T0), to: new Date(T0 + 6 * H) };

  beforeAll(async () => {
    store = await cliStore(kind);
    const setup = await store.open();
    try {
      await fill(setup);
    } finally {
      await setup.close();
    }
  });
  afterAll(() => store?.cleanup());

  it('gridcast query prints a station’s observations', async () => {
    const { stdout } = await run('node', [CLI, 'query', '--series', 'ws', '--from', '2026-06-21T00:00:00Z', '--to', '2026-06-21T00:30:00Z', '--grain', 'raw'], {
      env: { ...process.env, ...store.env },
    });
    expect(stdout).toBe(
      ['series_id,ts,value,quality', 'ws,2026-06-21T00:00:00.000Z,0,ok', 'ws,2026-06-21T00:10:00.000Z,10,ok', 'ws,2026-06-21T00:20:00.000Z,20,ok', ''].join('\n'),
    );
  });

  describe('through the query service', () => {
    beforeAll(async () => {
      db = await store.open();
    });
    afterAll(() => db?.close());

    it('aggregates observations to means with their completeness, per variable', async () => {
      const hours = await queryMeasurements(db, { ...range, grain: '1h' });
      expect(hours.map((r) => [r.value, r.quality, r.n, r.expected, r.partial])).toEqual([
        [25, 'ok', 6, 6, false],
        [85, 'ok', 6, 6, false],
      ]);
      const irradiance = await queryMeasurements(db, { ...range, grain: '1h', variable: 'irradiance' });
      expect(irradiance.map((r) => r.value)).toEqual([250, 850]);
    });

    it('serves the forecasts as issued at or before a time: the latest issue of each target', async () => {
      const before = await queryMeasurements(db, { ...range, grain: 'raw', issuedBefore: new Date('2026-06-20T18:00:00Z') });
      expect(before.map((r) => [r.value, r.quality, r.method, r.issuedAt])).toEqual(Array.from({ length: 6 }, (_, h) => [10 + h, 'estimated', 'forecast', FIRST_ISSUE]));
      const after = await queryMeasurements(db, { ...range, grain: 'raw', issuedBefore: SECOND_ISSUE });
      expect(after.map((r) => [r.value, r.issuedAt])).toEqual([
        [20, SECOND_ISSUE],
        [21, SECOND_ISSUE],
        [22, SECOND_ISSUE],
        [13, FIRST_ISSUE],
        [14, FIRST_ISSUE],
        [15, FIRST_ISSUE],
      ]);
      expect(toCsv(after.map(servedActual), 'raw', true).split('\n').slice(0, 2)).toEqual([
        'series_id,ts,value,quality,issued_at',
        'ws,2026-06-21T00:00:00.000Z,20,estimated,2026-06-21T00:00:00.000Z',
      ]);
      // Nothing issued yet: nothing to serve.
      expect(await queryMeasurements(db, { ...range, grain: '1h', issuedBefore: new Date('2026-06-20T00:00:00Z') })).toEqual([]);
      const days = await queryMeasurements(db, { ...range, from: new Date('2026-06-20T22:00:00Z'), grain: '1d', issuedBefore: SECOND_ISSUE });
      expect(days).toMatchObject([{ date: '2026-06-21', value: (20 + 21 + 22 + 13 + 14 + 15) / 6, n: 6, expected: 24, partial: true }]);
      // A vintage is whole once issued: hours ahead of now are not in progress.
      const ahead = await queryMeasurements(db, { ...range, grain: '1h', issuedBefore: SECOND_ISSUE, now: new Date(T0) });
      expect(ahead.map((r) => [r.n, r.expected, r.partial])).toEqual(Array(6).fill([1, 1, false]));
    });

    it('names what a station has when asked for a variable it never had, and refuses weather options on other series', async () => {
      await expect(queryMeasurements(db, { ...range, grain: 'raw', variable: 'wind_speed' })).rejects.toMatchObject({
        code: 'WEATHER_VARIABLE_UNKNOWN',
        message: expect.stringContaining('(observed: irradiance, temperature; forecast: temperature)'),
      });
      await expect(queryMeasurements(db, { ...range, seriesId: 'load1', grain: 'raw', issuedBefore: SECOND_ISSUE })).rejects.toMatchObject({
        code: 'NOT_A_WEATHER_STATION',
      });
    });
  });
});
