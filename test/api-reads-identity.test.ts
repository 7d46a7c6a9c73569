import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { storeAppDeps } from '../bin/lib/app-deps.ts';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { ForecastValue } from '../api/routes/v1/forecasts.ts';
import { testApp } from './api-app.ts';
import { readServices } from '../bin/lib/read-services.ts';
import { runForecast } from '../forecast/run/service.ts';
import { readForecasts } from '../store/forecasts.repository.ts';
import { authAs } from './api-auth.ts';
import { cliStore } from './aggregates-fixtures.ts';
import { backends } from './db.ts';
import { AS_OF_MARCH, forecastConfig, seedGrid } from './fixtures/runs/grid.ts';
import { runDeps } from '../bin/lib/run-deps.ts';

const exec = promisify(execFile);
const CLI = new URL('../bin/gridcast.mjs', import.meta.url).pathname;
const config = forecastConfig();

type ApiValue = ForecastValue;

/**
 * REQUIREMENTS C3: for one stored run, GET /api/v1/forecasts/latest, `gridcast forecast show
 * --latest --format json` and the stored rows carry the same numbers bit for bit; so do
 * GET /api/v1/series/{id}/actuals and `gridcast query --format json`. The CLI runs as a real
 * subprocess on the same store.
 */
describe.each(backends)('the API and the CLI serve identical numbers (%s)', (kind) => {
  let store: Awaited<ReturnType<typeof cliStore>>;
  const gridcast = async (...args: string[]) => JSON.parse((await exec('node', [CLI, ...args], { env: { ...process.env, ...store.env } })).stdout);

  beforeAll(async () => {
    store = await cliStore(kind);
    const db = await store.open();
    try {
      await seedGrid(db, { climate: false });
      await runForecast(runDeps(db, config), { horizon: 'day-ahead', asOf: AS_OF_MARCH });
    } finally {
      await db.close();
    }
  }, 180_000);
  afterAll(() => store?.cleanup());

  it('latest forecast and actuals, bit for bit', async () => {
    // The CLI first: an embedded store takes one process at a time.
    const shown: { run: { id: number; issuedAt: string; inputsHash: string; method: { models: Record<string, string> } }; values: ApiValue[] } = await gridcast(
      'forecast',
      'show',
      '--latest',
      '--horizon',
      'day-ahead',
      '--format',
      'json',
    );
    const asStored: { values: ApiValue[] } = await gridcast('forecast', 'show', '--latest', '--horizon', 'day-ahead', '--allocation', 'none', '--format', 'json');
    const queries = [
      ['grid', '2025-03-27', '2025-03-29', '1h'],
      ['south', '2025-03-20', '2025-03-29', '1d'],
      ['ss2', '2025-03-28T00:00:00Z', '2025-03-28T06:00:00+01:00', 'raw'],
    ];
    const queried: unknown[] = [];
    for (const [series, from, to, grain] of queries) queried.push(await gridcast('query', '--series', series, '--from', from, '--to', to, '--grain', grain, '--format', 'json'));

    const db = await store.open();
    const app = await testApp({ ...storeAppDeps(db), health: { dbKind: db.kind, pingDb: async () => {}, lastIngestAt: () => null, sources: () => [] }, reads: readServices(db, config) });
    try {
      const get = async (url: string) => {
        const res = await app.inject({ method: 'GET', url, headers: { ...(await authAs(db, 'viewer')) } });
        expect(res.statusCode).toBe(200);
        return res.json();
      };
      const api = (allocation = '') => get(`/api/v1/forecasts/latest?horizon=day-ahead${allocation}`);
      const latest = await api();
      // The CLI prints the API's answer for the whole view: the same run, the same values.
      const { nextCursor, ...whole } = latest;
      expect(nextCursor).toBeNull();
      const sortedModels = Object.fromEntries(Object.entries(latest.run.method.models as Record<string, string>).sort(([x], [y]) => (x < y ? -1 : 1)));
      expect(shown).toEqual({ ...whole, run: { ...whole.run, method: { ...whole.run.method, models: sortedModels } } });
      expect(shown.values.length).toBeGreaterThan(100);
      const none = await api('&allocation=none');
      expect(none.values).toEqual(asStored.values);

      // The stored rows, read back through the repository.
      const stored = await readForecasts(db, shown.run.id);
      expect(none.values).toEqual(
        stored.map((r) => ({ seriesId: r.seriesId, grain: r.grain, ts: r.targetTs.toISOString(), mean: r.mean, quantiles: r.quantiles, model: r.model, modelVersion: r.modelVersion, fallbackReason: r.fallbackReason })),
      );
      // Bit for bit: every number as an IEEE 754 double, not only equal within a tolerance.
      const bits = (xs: number[]) => Buffer.from(Float64Array.from(xs).buffer).toString('hex');
      const numbers = (rows: Array<{ mean: number; quantiles: Record<string, number> }>) => rows.flatMap((r) => [r.mean, ...Object.values(r.quantiles)]);
      expect(bits(numbers(none.values))).toBe(bits(numbers(stored)));
      expect(bits(numbers(latest.values))).toBe(bits(numbers(shown.values)));

      for (const [i, [series, from, to, grain]] of queries.entries()) {
        const body = await get(`/api/v1/series/${series}/actuals?start=${encodeURIComponent(from)}&end=${encodeURIComponent(to)}&grain=${grain}`);
        expect((queried[i] as unknown[]).length).toBeGreaterThan(0);
        expect(body.values).toEqual(queried[i]);
      }
    } finally {
      await app.close();
      await db.close();
    }
  }, 120_000);
});
