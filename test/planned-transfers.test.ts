import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TransferInput, TransferStore } from '../core/planned.ts';
import type { ForecastRow } from '../core/forecast-run.ts';
import { validateTopology } from '../core/topology/validate.ts';
import { runForecast } from '../forecast/run/service.ts';
import { PLANNED_TRANSFER } from '../forecast/run/pipeline.ts';
import { ingestTransfers, transferRowsFromCsv } from '../ingest/planned/transfers.service.ts';
import { transferIngestDeps } from '../bin/lib/write-services.ts';
import { runDeps } from '../bin/lib/run-deps.ts';
import type { Db } from '../store/db.ts';
import { readForecasts, readRun } from '../store/forecasts.repository.ts';
import { runMeta } from '../api/routes/v1/runs.ts';
import { saveTopology } from '../store/topology.repository.ts';
import { transfersRepository } from '../store/transfers.repository.ts';
import { backends, freshDb } from './db.ts';
import { fakeTransfers } from './fakes/transfers.ts';
import { forecastConfig } from './fixtures/runs/grid.ts';
import { inlineGroups } from '../forecast/run/workers.ts';
import type { MeasurementInput } from '../core/series.ts';
import { insertMeasurements } from '../store/measurements.repository.ts';

const t = (over: Partial<TransferInput>): TransferInput => ({
  ref: 'SW-1',
  source: 'dso',
  from_node: 'ss1',
  to_node: 'ss2',
  start: '2026-03-10T06:00:00Z',
  end: '2026-03-20T18:00:00Z',
  share: 0.4,
  issued_at: '2026-03-01T09:00:00Z',
  status: 'planned',
  ...over,
});
const codeOf = (p: Promise<unknown>) => p.then(() => 'resolved', (e: { code?: string }) => e.code ?? String(e));

/** grid over north (two substations) and ss3; 15 days of hourly measurements of each before AS_OF (north and grid are roll-ups). */
async function seedSubstations(db: Db) {
  await saveTopology(db, validateTopology({ timeZone: 'Europe/Paris', nodes: [{ id: 'grid', kind: 'load', unit: 'MW' }, { id: 'north', parent: 'grid', kind: 'load', unit: 'MW' }, { id: 'ss1', parent: 'north', kind: 'load', unit: 'MW' }, { id: 'ss2', parent: 'north', kind: 'load', unit: 'MW' }, { id: 'ss3', parent: 'grid', kind: 'load', unit: 'MW' }] }));
  const end = Math.floor(AS_OF.getTime() / H) * H;
  const points: MeasurementInput[] = [];
  for (let t = end - 15 * 24 * H; t < end; t += H) {
    const ts = new Date(t);
    points.push({ seriesId: 'ss1', ts, value: 12 + 3 * Math.sin(t / H / 3.8) }, { seriesId: 'ss2', ts, value: 30 + 8 * Math.sin((2 * Math.PI * t) / (24 * H)) }, { seriesId: 'ss3', ts, value: 20 + 4 * Math.cos(t / H / 5.1) });
  }
  await db.transaction((tx) => insertMeasurements(tx, points));
}
/** The run's ports over the store, fitting in-process (no worker threads: small series). */
const deps = (db: Db, config: ReturnType<typeof forecastConfig>) => ({ ...runDeps(db, config), workers: inlineGroups });
const H = 3_600_000;
const AS_OF = new Date('2025-03-19T10:00:00Z');

// The same contract for the store's planned transfers on each backend and for the unit tests' fake;
// on each backend, a run with a transfer on the same store.
describe.each([...backends, 'fake' as const])('planned transfers (%s)', (kind) => {
  let db: Db | undefined;
  let store: TransferStore;
  beforeAll(async () => {
    if (kind === 'fake') store = fakeTransfers();
    else {
      db = await freshDb(kind);
      await seedSubstations(db);
      store = transfersRepository(db);
    }
  });
  afterAll(() => db?.close());

  it('keeps every version, reads the one in force at a time, and leaves cancelled plans out', async () => {
    const first = await store.append([t({}), t({ ref: 'SW-2', from_node: 'ss3', to_node: 'ss2', share: 1, reason: 'transformer works' })]);
    expect(first.added.map((v) => [v.ref, v.version])).toEqual([['SW-1', 1], ['SW-2', 1]]);
    // Sent again: unchanged; a different content at the same issue time is refused.
    expect((await store.append([t({})])).unchanged).toBe(1);
    expect(await codeOf(store.append([t({ share: 0.5 })]))).toBe('TRANSFER_VERSION_CONFLICT');
    const revised = await store.append([t({ issued_at: '2026-03-05T09:00:00Z', end: '2026-03-15T18:00:00Z' }), t({ ref: 'SW-2', from_node: 'ss3', to_node: 'ss2', share: 1, issued_at: '2026-03-06T00:00:00Z', status: 'cancelled' })]);
    expect(revised.added.map((v) => [v.ref, v.version, v.status])).toEqual([['SW-1', 2, 'planned'], ['SW-2', 2, 'cancelled']]);
    const at = (iso: string, q: { from?: string; to?: string; seriesIds?: string[] } = {}) =>
      store.inForce({ knownAt: new Date(iso), from: new Date(q.from ?? '2026-01-01T00:00:00Z'), to: new Date(q.to ?? '2027-01-01T00:00:00Z'), ...(q.seriesIds && { seriesIds: q.seriesIds }) });
    expect(await at('2026-02-28T00:00:00Z')).toEqual([]);
    const early = await at('2026-03-02T00:00:00Z');
    expect(early.map((v) => [v.ref, v.version, v.end.toISOString()])).toEqual([['SW-1', 1, '2026-03-20T18:00:00.000Z'], ['SW-2', 1, '2026-03-20T18:00:00.000Z']]);
    expect(early[1]).toMatchObject({ fromNode: 'ss3', toNode: 'ss2', share: 1, reason: 'transformer works', status: 'planned' });
    expect((await at('2026-03-07T00:00:00Z')).map((v) => [v.ref, v.version, v.end.toISOString()])).toEqual([['SW-1', 2, '2026-03-15T18:00:00.000Z']]);
    // Only plans touching the series and overlapping [from, to).
    expect(await at('2026-03-02T00:00:00Z', { seriesIds: ['ss3'] })).toHaveLength(1);
    expect(await at('2026-03-02T00:00:00Z', { seriesIds: ['grid'] })).toEqual([]);
    expect(await at('2026-03-07T00:00:00Z', { from: '2026-03-15T18:00:00Z' })).toEqual([]);
    expect((await store.versions({ ref: 'SW-1' })).map((v) => v.version)).toEqual([2, 1]);
    expect((await store.versions({ seriesId: 'ss3' })).map((v) => v.version)).toEqual([2, 1]);
  });

  it.skipIf(kind === 'fake')('is append-only, and refuses nodes the topology does not hold (nothing stored)', async () => {
    await expect(db!.query(`UPDATE planned_transfers SET share = 0.1`)).rejects.toThrow(/append-only/);
    const csv = 'ref,source,from_node,to_node,start,end,share,issued_at\nSW-3,dso,ss1,nowhere,2026-04-01T00:00:00Z,2026-04-02T00:00:00Z,0.2,2026-03-20T00:00:00Z\nSW-4,dso,ss1,ss2,2026-04-01T00:00:00Z,2026-03-02T00:00:00Z,1.5,2026-03-20T00:00:00Z\n';
    const e = await ingestTransfers(transferIngestDeps(db!), transferRowsFromCsv(csv)).catch((x: { code: string; details: { issues: unknown[] } }) => x);
    expect(e).toMatchObject({ code: 'TRANSFER_REJECTED' });
    const issues = (e as { details: { issues: Array<{ line: number; code: string; message: string }> } }).details.issues;
    expect(issues.map((i) => [i.line, i.code])).toEqual([[3, 'TRANSFER_INVALID'], [2, 'UNKNOWN_SERIES']]);
    expect(issues[0].message).toMatch(/share.*end must be after start|end must be after start|share/);
    expect(await store.versions({ ref: 'SW-3' })).toEqual([]);
  });

  it.skipIf(kind === 'fake')('moves the share of ss2 onto ss1 over the transfer, their parent unchanged, for the mean and each quantile', async () => {
    const config = forecastConfig({ reconciliation: 'mint-shrink', historyDays: 14 });
    const before = await runForecast(deps(db!, config), { horizon: 'day-ahead', asOf: AS_OF });
    const window = { start: Date.parse('2025-03-19T23:00:00Z') };
    const csv = `ref,source,from_node,to_node,start,end,share,issued_at,reason\nSW-5,dso,ss2,ss1,${new Date(window.start + 5 * 3_600_000).toISOString()},${new Date(window.start + 15 * 3_600_000).toISOString()},0.5,2025-03-20T00:00:00Z,feeder F12 works\n`;
    const r = await ingestTransfers(transferIngestDeps(db!), transferRowsFromCsv(csv));
    expect(r.added).toHaveLength(1);
    const after = await runForecast(deps(db!, config), { horizon: 'day-ahead', asOf: AS_OF });
    // Labelled in the run record (and GET /api/v1/runs/{id}).
    expect(runMeta(await readRun(db!, after.runId)).transfers).toEqual([{ source: 'dso', ref: 'SW-5', version: 1, fromNode: 'ss2', toNode: 'ss1', start: new Date(window.start + 5 * 3_600_000).toISOString(), end: new Date(window.start + 15 * 3_600_000).toISOString(), share: 0.5 }]);
    expect(runMeta(await readRun(db!, before.runId)).transfers).toBeUndefined();
    const rows = async (runId: number, id: string) => (await readForecasts(db!, runId, { seriesId: id, grain: '1h' })) as ForecastRow[];
    const [s2a, s2b, s1a, s1b] = [await rows(before.runId, 'ss2'), await rows(after.runId, 'ss2'), await rows(before.runId, 'ss1'), await rows(after.runId, 'ss1')];
    expect(s2b).toHaveLength(24);
    for (let k = 0; k < 24; k++) {
      const on = k >= 5 && k < 15;
      for (const key of ['mean', '0.1', '0.5', '0.9'] as const) {
        const v = (x: ForecastRow) => (key === 'mean' ? x.mean : x.quantiles[key]);
        const moved = on ? 0.5 * v(s2a[k]) : 0;
        expect(v(s2b[k])).toBeCloseTo(v(s2a[k]) - moved, 6);
        expect(v(s1b[k])).toBeCloseTo(v(s1a[k]) + moved, 6);
      }
      expect(s1b[k].flags.includes(PLANNED_TRANSFER)).toBe(on);
    }
    for (const id of ['north', 'grid', 'ss3']) {
      const [x, y] = [await rows(before.runId, id), await rows(after.runId, id)];
      y.forEach((row, k) => {
        expect(row.mean).toBeCloseTo(x[k].mean, 6);
        expect(row.flags).toEqual(x[k].flags);
      });
    }
  });
});
