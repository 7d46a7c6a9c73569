import { afterAll, describe, expect, it } from 'vitest';
import type { Db } from '../store/db.ts';
import { openReplayScope } from '../store/replay.repository.ts';
import { runForecast } from '../forecast/run/service.ts';
import { runDeps } from '../bin/lib/run-deps.ts';
import { backends, freshDb, storeWithUrl } from './db.ts';
import { championsAsOf, championsFor, championVersionsAsOf, registryRepository } from '../store/registry.repository.ts';
import { newVersion } from './fakes/registry.ts';
import { AS_OF_MARCH, forecastConfig, seedGrid } from './fixtures/runs/grid.ts';

const config = forecastConfig();
const count = async (db: Db, table: string) => (await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${table}`)).rows[0].n;

describe.each(backends)('a replay scope (%s)', (kind) => {
  const cleanup: Array<() => Promise<void>> = [];
  afterAll(async () => {
    for (const c of cleanup.reverse()) await c();
  });

  const store = () => storeWithUrl(kind, cleanup);

  it('reads the store and writes its runs into a scratch schema the live store never sees, dropped at close', async () => {
    const { db, url } = await store();
    await seedGrid(db, { climate: false });
    const scope = await openReplayScope(db, { databaseUrl: url, stamp: `t${process.pid}_${kind}` });
    expect(scope.tables).toEqual(expect.arrayContaining(['forecast_runs', 'forecasts']));
    const run = await runForecast(runDeps(scope.db, config), { horizon: 'day-ahead', asOf: AS_OF_MARCH });
    expect(await count(scope.db, 'forecast_runs')).toBe(1);
    expect(await count(scope.db, 'forecasts')).toBeGreaterThan(100);
    // The replay's run is in its own schema: the store's table has none.
    const schemaOf = await scope.db.query<{ s: string }>(`SELECT table_schema AS s FROM information_schema.tables WHERE table_name = 'forecast_runs' ORDER BY 1`);
    expect(schemaOf.rows.map((r) => r.s)).toContain(scope.schema);
    if (kind === 'pg') expect(await count(db, 'forecast_runs')).toBe(0);
    await scope.close();
    expect(await count(db, 'forecast_runs')).toBe(0);
    const left = await db.query(`SELECT 1 FROM information_schema.schemata WHERE schema_name = $1`, [scope.schema]);
    expect(left.rows).toHaveLength(0);
    // Ids come from the store's sequence: a live run made afterwards never reuses a replayed id.
    const live = await runForecast(runDeps(db, config), { horizon: 'day-ahead', asOf: AS_OF_MARCH });
    expect(live.runId).toBeGreaterThan(run.runId);
  }, 120_000);

  it('keeps the schema when asked', async () => {
    const { db, url } = await store();
    const scope = await openReplayScope(db, { databaseUrl: url, stamp: `k${process.pid}_${kind}` });
    await scope.close({ keep: true });
    const kept = await db.query(`SELECT 1 FROM information_schema.schemata WHERE schema_name = $1`, [scope.schema]);
    expect(kept.rows).toHaveLength(1);
    await db.exec(`DROP SCHEMA ${scope.schema} CASCADE`);
  });
});

describe.each(backends)('champions as of a past time (%s)', (kind) => {
  it('answers the champion each series had at the time, from the audited status changes', async () => {
    const db = await freshDb(kind);
    try {
      const repo = registryRepository(db);
      await repo.transaction(async (tx) => {
        await tx.createModel({ name: 'grid', family: 'load' });
        await tx.insertVersion(newVersion('grid', ['a', 'b']));
        await tx.insertVersion(newVersion('grid', ['a', 'b']));
      });
      const stamp = async () => (await db.query<{ t: Date }>('SELECT clock_timestamp() AS t')).rows[0].t;
      const pause = () => new Promise((r) => setTimeout(r, 30));
      const before = await stamp();
      await pause();
      await repo.transaction((tx) => tx.setStatus('grid@1', 'champion', { actor: 'bob', reason: 'first', action: 'promote' }));
      await pause();
      const first = await stamp();
      await pause();
      await repo.transaction(async (tx) => {
        await tx.setStatus('grid@1', 'retired', { actor: 'carol', reason: 'better', action: 'retire' });
        await tx.setStatus('grid@2', 'champion', { actor: 'carol', reason: 'better', action: 'promote' });
      });
      await pause();
      const second = await stamp();
      const ids = async (at: Date) => Object.fromEntries([...(await championsAsOf(db, ['a', 'b', 'z'], at))].map(([s, v]) => [s, v.id]));
      expect(await ids(before)).toEqual({});
      expect(await ids(first)).toEqual({ a: 'grid@1', b: 'grid@1' });
      expect(await ids(second)).toEqual({ a: 'grid@2', b: 'grid@2' });
      expect(await ids(second)).toEqual(Object.fromEntries([...(await championsFor(db, ['a', 'b', 'z']))].map(([s, v]) => [s, v.id])));
      // The versions a replayed review looks at: the champions of the time.
      const versions = async (at: Date) => (await championVersionsAsOf(db, at)).map((v) => v.id);
      expect([await versions(before), await versions(first), await versions(second)]).toEqual([[], ['grid@1'], ['grid@2']]);
    } finally {
      await db.close();
    }
  });
});
