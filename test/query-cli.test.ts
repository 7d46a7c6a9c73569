import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { backends } from './db.ts';
import { cliStore, createSeries, writePoints } from './aggregates-fixtures.ts';

const run = promisify(execFile);
const CLI = new URL('../bin/gridcast.mjs', import.meta.url).pathname;

describe.each(backends)('gridcast query on %s', (kind) => {
  let store: Awaited<ReturnType<typeof cliStore>>;
  const gridcast = (...args: string[]) => run('node', [CLI, 'query', ...args], { env: { ...process.env, ...store.env } });

  beforeAll(async () => {
    store = await cliStore(kind);
    const db = await store.open();
    try {
      await createSeries(db, [{ id: 's1', unit: 'MW', timeZone: 'Europe/Paris' }]);
      await writePoints(db, ['s1,2026-03-29T00:02:00Z,10,ok,', 's1,2026-03-29T00:04:00Z,20,ok,', 's1,2026-03-29T00:07:00Z,40,imputed,locf'].join('\n'));
    } finally {
      await db.close();
    }
  });
  afterAll(() => store?.cleanup());

  it('prints 5-min buckets as CSV with their completeness and p95', async () => {
    const { stdout } = await gridcast('--series', 's1', '--from', '2026-03-29T00:00:00Z', '--to', '2026-03-30T00:00:00Z', '--grain', '5m');
    // Points 2 and 3 min apart: the cadence is 2 min, so a 5-min bucket expects 2 points.
    expect(stdout).toBe(
      [
        'series_id,ts,value,quality,n,expected,partial,p95',
        's1,2026-03-29T00:00:00.000Z,15,ok,2,2,false,19.5',
        's1,2026-03-29T00:05:00.000Z,40,partial,1,2,true,40',
        '',
      ].join('\n'),
    );
  });

  it('prints raw points as JSON with the imputation method', async () => {
    const { stdout } = await gridcast('--series', 's1', '--from', '2026-03-29T00:05:00Z', '--to', '2026-03-29T01:00:00Z', '--grain', 'raw', '--format', 'json');
    expect(JSON.parse(stdout)).toEqual([{ seriesId: 's1', ts: '2026-03-29T00:07:00.000Z', value: 40, quality: 'imputed', method: 'locf' }]);
  });

  it('reports an unknown series with its error code', async () => {
    await expect(gridcast('--series', 'nope', '--from', '2026-03-29T00:00:00Z', '--to', '2026-03-30T00:00:00Z', '--grain', '1h')).rejects.toMatchObject({
      code: 1,
      stderr: expect.stringContaining('SERIES_NOT_FOUND'),
    });
  });
});

// Arguments are checked before any store is opened: one backend-independent run suffices.
it('gridcast query rejects a bad grain with usage and exit code 2', async () => {
  const args = ['--series', 's1', '--from', '2026-03-29T00:00:00Z', '--to', '2026-03-30T00:00:00Z', '--grain', '2h'];
  await expect(run('node', [CLI, 'query', ...args])).rejects.toMatchObject({
    code: 2,
    stderr: expect.stringContaining('--grain must be one of raw, 5m, 1h, 1d'),
  });
});
