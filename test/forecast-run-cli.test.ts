import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { readForecasts, readRun } from '../store/forecasts.repository.ts';
import { cliStore } from './aggregates-fixtures.ts';
import { backends } from './db.ts';
import { coherenceViolations, seedGrid } from './fixtures/runs/grid.ts';

const exec = promisify(execFile);
const CLI = new URL('../bin/gridcast.mjs', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'gridcast-forecast-cli-'));
const configFile = join(dir, 'config.json');
writeFileSync(configFile, JSON.stringify({ forecast: { defaultModel: { kind: 'seasonal-naive' }, historyDays: 35, reconciliation: 'wls' } }));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const failed = (p: Promise<unknown>) => p.then(() => undefined, (e: { code: number; stdout: string; stderr: string }) => e);

describe('gridcast forecast arguments', () => {
  // Each spawn costs seconds: one bad run and one bad show (the zod schemas list every other reason).
  it.each([
    // A time is read by the time rule once the options are well formed (TS_INVALID: test/query-time.test.ts).
    [['--horizon', 'weekly', '--as-of', 'yesterday'], '--horizon must be one of intraday, day-ahead, week-ahead, mid-term\n', 'usage: gridcast forecast --horizon H'],
    [['show', '--latest'], '--latest needs --horizon', 'usage: gridcast forecast show (RUN_ID'],
  ])('%j → exit 2 with the reason and the usage', async (args, reason, usage) => {
    const e = await failed(exec('node', [CLI, 'forecast', ...args], { env: { ...process.env, GRIDCAST_CONFIG: configFile } }));
    expect(e?.code).toBe(2);
    expect(e?.stderr).toContain(`gridcast: error USAGE: ${reason}`);
    expect(e?.stderr).toContain(`\n${usage}`);
  });
});

describe.each(backends)('gridcast forecast on %s', (kind) => {
  let store: Awaited<ReturnType<typeof cliStore>>;
  const gridcast = (...args: string[]) => exec('node', [CLI, 'forecast', ...args], { env: { ...process.env, ...store.env, GRIDCAST_CONFIG: configFile } });
  beforeAll(async () => {
    store = await cliStore(kind);
    const db = await store.open();
    try {
      await seedGrid(db, { climate: false });
    } finally {
      await db.close();
    }
  });
  afterAll(() => store?.cleanup());

  it('makes a day-ahead run, shows the latest run, reproduces it, and refuses a time without data', async () => {
    const made = await gridcast('--horizon', 'day-ahead', '--as-of', '2025-03-29T10:30:00Z');
    expect(made.stdout).toContain('run 1 stored: day-ahead from 2025-03-29T23:00:00.000Z to 2025-03-30T22:00:00.000Z (origin 2025-03-29T10:00:00.000Z), 7 series, 1 on a fallback');
    expect(made.stdout).toMatch(/^reconciliation: wls \(structural\); bands: joint residuals \(72 paths of 72 residual steps\); inputs [0-9a-f]{64}$/m);
    expect(made.stdout).toMatch(/^ss1 +shallow-history +fit:shallow-history:[0-9a-f]{12}… +model-failed \(seasonal-naive: HISTORY_MISSING\); short-history$/m);
    expect(made.stderr).toContain('warning: 1 series on a labelled fallback');

    const shown = await gridcast('show', '--latest', '--horizon', 'day-ahead', '--series', 'ss3', '--grain', '1d');
    const [head, line, ...more] = shown.stdout.trim().split('\n');
    expect(head).toBe('series_id,grain,ts,mean,p10,p50,p90,model,model_version,fallback_reason,allocated,flags');
    expect(more).toEqual([]);
    const db = await store.open();
    try {
      const run = await readRun(db, 1);
      const view = (await readForecasts(db, 1, { seriesId: 'ss3', grain: '1d', allocation: 'average' }))[0];
      // CSV numbers: 12 significant digits (core/number-format.ts); JSON has them all.
      const csv = [view.mean, view.quantiles['0.1'], view.quantiles['0.5'], view.quantiles['0.9']].map((x) => String(Number(x.toPrecision(12))));
      expect(line.split(',').slice(0, 7)).toEqual(['ss3', '1d', '2025-03-29T23:00:00.000Z', ...csv]);
      expect(line.endsWith(',average:train,')).toBe(true);
      expect(coherenceViolations(await readForecasts(db, 1), run).violations).toEqual([]);
    } finally {
      await db.close();
    }

    const again = await gridcast('reproduce', '1');
    expect(again.stdout).toContain('run 1: identical (168 values; largest difference 0; rows differing 0)');

    const none = await failed(gridcast('--horizon', 'intraday', '--as-of', '2019-01-01T00:00:00Z'));
    expect(none?.code).toBe(1);
    expect(none?.stderr).toContain('gridcast: error RUN_NO_DATA: No series under \'grid\' has data between 2018-11-27T00:00:00.000Z and 2019-01-01T00:00:00.000Z');
  }, 120_000);
});
