import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliStore } from './aggregates-fixtures.ts';
import { backends } from './db.ts';
import { HISTORY_DAYS, seedGrid } from './fixtures/runs/grid.ts';

const exec = promisify(execFile);
const CLI = new URL('../bin/gridcast.mjs', import.meta.url).pathname;

/**
 * `gridcast replay` runs the live system's scheduled jobs over a past period in a scratch schema:
 * the day-ahead runs at their ticks as known then, the events as CSV, and nothing written to the
 * live tables.
 */
describe.each(backends)('gridcast replay (%s)', (kind) => {
  let store: Awaited<ReturnType<typeof cliStore>>;
  const dir = mkdtempSync(join(tmpdir(), 'gridcast-replay-'));
  const configFile = join(dir, 'gridcast.json');
  writeFileSync(configFile, JSON.stringify({ simulator: { enabled: false }, forecast: { defaultModel: { kind: 'seasonal-naive' }, historyDays: HISTORY_DAYS, holidays: 'FR' } }));
  const gridcast = (...args: string[]) =>
    exec('node', [CLI, ...args], { env: { ...process.env, ...store.env, GRIDCAST_CONFIG: configFile, LOG_LEVEL: 'warn' } }).then((r) => ({ code: 0, ...r }), (e: { code: number; stdout: string; stderr: string }) => e);

  beforeAll(async () => {
    store = await cliStore(kind);
    const db = await store.open();
    try {
      await seedGrid(db, { climate: false });
    } finally {
      await db.close();
    }
  }, 180_000);
  afterAll(async () => {
    await store?.cleanup();
    rmSync(dir, { recursive: true, force: true });
  });

  it('runs the day-ahead job at each tick of the period and writes the events as CSV, leaving the store unchanged', async () => {
    const out = join(dir, 'events.csv');
    const r = await gridcast('replay', '--from', '2025-03-27', '--to', '2025-03-29T10:00:00Z', '--events-out', out);
    expect(r.stderr).toMatch(/2025-03-27T08:00:00.000Z forecast-day-ahead succeeded/);
    // The day-ahead runs, and the monitoring: scoring every 15 minutes, the daily drift job (06:30 local), the hourly
    // rupture monitor (:20); the monthly review has no tick in the period.
    expect(r.stdout).toMatch(/^replayed 2025-03-26T23:00:00.000Z → 2025-03-29T10:00:00.000Z: 301 ticks$/m);
    expect(r.stdout).toMatch(/^forecast-day-ahead +3 +0$/m);
    expect(r.stdout).toMatch(/^score +236 +0$/m);
    expect(r.stdout).toMatch(/^drift +3 +0$/m);
    expect(r.stdout).toMatch(/^ruptures +59 +0$/m);
    // The accuracy of the runs of 27 and 28 March (7 nodes): the hours settled in the period, and the local day of 28 March.
    expect(r.stdout).toMatch(/^day-ahead +1h +7 +238 +\d+\.\d\d /m);
    expect(r.stdout).toMatch(/^day-ahead +1d +7 +7 +\d+\.\d\d /m);
    expect(r.stdout).toMatch(/^0 retraining proposals \(no review ran: the monthly review had no tick that succeeded in the period\)$/m);
    const csv = readFileSync(out, 'utf8').trimEnd().split('\n');
    expect(csv[0]).toBe('at,kind,series_id,model_version,detail');
    // The new substation ss1 (3 days of history at the last tick) is on a fallback from the first run.
    expect(csv.slice(1).some((l) => /^2025-03-27T08:00:00.000Z,fallback-on,ss1,/.test(l))).toBe(true);
    // The live store has no run: the replay wrote into its own schema.
    const shown = await gridcast('forecast', 'show', '--latest', '--horizon', 'day-ahead');
    expect(shown.stderr).toContain('RUN_NOT_FOUND');
  }, 240_000);

  it('refuses an empty period and an unknown horizon with a usage error', async () => {
    const empty = await gridcast('replay', '--from', '2025-03-29', '--to', '2025-03-28');
    expect([empty.code, empty.stderr]).toEqual([2, expect.stringContaining('--from (2025-03-28T23:00:00.000Z) must be before --to')]);
    const bad = await gridcast('replay', '--from', '2025-03-28', '--to', '2025-03-29', '--horizon', 'hourly');
    expect([bad.code, bad.stderr]).toEqual([2, expect.stringContaining('--horizon: hourly is not a horizon')]);
  }, 60_000);
});
