import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { DateTime } from 'luxon';
import { backends } from './db.ts';
import type { Db } from '../store/db.ts';
import { querySeries } from '../store/query.repository.ts';
import { parseTimeInput } from '../core/time-input.ts';
import { cliStore, createSeries, writePoints } from './aggregates-fixtures.ts';

const run = promisify(execFile);
const CLI = new URL('../bin/gridcast.mjs', import.meta.url).pathname;

/** Hourly points of a Paris series over 1–5 December 2026 (UTC), each worth its local day of the month. */
function decemberFile(): string {
  const lines: string[] = [];
  for (let t = Date.parse('2026-12-01T00:00:00Z'); t < Date.parse('2026-12-05T00:00:00Z'); t += 3_600_000) {
    lines.push(`paris,${new Date(t).toISOString()},${DateTime.fromMillis(t, { zone: 'Europe/Paris' }).day},ok,`);
  }
  return lines.join('\n');
}

describe.each(backends)('times given to gridcast query on %s', (kind) => {
  let store: Awaited<ReturnType<typeof cliStore>>;
  let db: Db;

  beforeAll(async () => {
    store = await cliStore(kind);
    const setup = await store.open();
    try {
      await createSeries(setup, [{ id: 'paris', unit: 'MW', timeZone: 'Europe/Paris' }]);
      await writePoints(setup, decemberFile());
    } finally {
      await setup.close();
    }
  });
  afterAll(() => store?.cleanup());

  it('reads a date as the local calendar day of the series’ zone; daily rows carry their local date and UTC start', async () => {
    const { stdout } = await run('node', [CLI, 'query', '--series', 'paris', '--from', '2026-12-03', '--to', '2026-12-04', '--grain', '1d'], {
      env: { ...process.env, ...store.env },
    });
    expect(stdout).toBe(['series_id,ts,date,value,quality,n,expected,partial,p95', 'paris,2026-12-02T23:00:00.000Z,2026-12-03,3,ok,24,24,false,3', ''].join('\n'));
  });

  describe('through the query service the API will use', () => {
    beforeAll(async () => {
      db = await store.open();
    });
    afterAll(() => db?.close());
    const day = { from: { date: '2026-12-03' }, to: { date: '2026-12-04' } };

    it('takes hours from the local midnight, and an instant with its offset as it is', async () => {
      const hours = await querySeries(db, { seriesId: 'paris', ...day, grain: '1h' });
      expect([hours.timeZone, hours.from.toISOString(), hours.to.toISOString()]).toEqual(['Europe/Paris', '2026-12-02T23:00:00.000Z', '2026-12-03T23:00:00.000Z']);
      expect(hours.rows.map((r) => r.value)).toEqual(Array(24).fill(3));
      const raw = await querySeries(db, {
        seriesId: 'paris',
        from: parseTimeInput('2026-12-03T00:00:00+01:00', 'from'),
        to: parseTimeInput('2026-12-03T02:00:00+01:00', 'to'),
        grain: 'raw',
      });
      expect(raw.rows.map((r) => r.ts.toISOString())).toEqual(['2026-12-02T23:00:00.000Z', '2026-12-03T00:00:00.000Z']);
    });

    it('says what a date means when the range is empty', async () => {
      await expect(querySeries(db, { seriesId: 'paris', from: day.from, to: day.from, grain: '1d' })).rejects.toMatchObject({
        code: 'QUERY_RANGE_INVALID',
        message: expect.stringContaining('--to 2026-12-04 takes in all of 2026-12-03'),
      });
    });
  });
});

// Times are read before any store is opened: one backend-independent run each.
it.each([
  ['query', ['--series', 'paris', '--from', '2026-12-03T00:00', '--to', '2026-12-04', '--grain', '1h'], '--from'],
  ['forecast', ['--horizon', 'day-ahead', '--as-of', '2026-12-03T06:00'], '--as-of'],
  ['train', ['--model', 'm', '--kind', 'seasonal-naive', '--train-end', '2026-12-03T00:00'], '--train-end'],
])('gridcast %s refuses a time without an offset with TS_NO_OFFSET', async (command, args, option) => {
  await expect(run('node', [CLI, command, ...args], { env: { ...process.env, DATABASE_URL: 'postgres://nobody@127.0.0.1:1/none' } })).rejects.toMatchObject({
    code: 1,
    stderr: expect.stringContaining(`gridcast: error TS_NO_OFFSET: ${option} '`),
  });
});
