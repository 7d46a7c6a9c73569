import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './net.ts';
import { afterEach, describe, expect, it } from 'vitest';
import { openPglite, type Db } from '../store/db.ts';
import { backends, freshDb } from './db.ts';


interface Health {
  status: string;
  db: { kind: string; ok: boolean };
  lastIngestAt: string | null;
  sources: Array<{ name: string; [k: string]: unknown }>;
}

describe.each(backends)('gridcast start (%s)', (kind) => {
  let child: ChildProcess | undefined;
  let dir: string;
  let pgDb: Db | undefined;
  afterEach(async () => {
    if (child && child.exitCode === null) child.kill('SIGKILL');
    await pgDb?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('serves /health, backfills the simulated grid at 5-min steps up to the live feed, ingests live ticks and stops cleanly on SIGTERM', async () => {
    dir = mkdtempSync(join(tmpdir(), 'gridcast-start-'));
    const configFile = join(dir, 'gridcast.json');
    writeFileSync(configFile, JSON.stringify({ simulator: { backfillDays: 2, tickMs: 1000 }, forecast: { defaultModel: { kind: 'seasonal-naive' } } }));
    const port = await freePort();
    const env: NodeJS.ProcessEnv = { ...process.env, PORT: String(port), GRIDCAST_DATA_DIR: join(dir, 'data'), LOG_LEVEL: 'warn' };
    delete env.DATABASE_URL;
    if (kind === 'pg') {
      pgDb = await freshDb('pg');
      const schema = (await pgDb.query<{ s: string }>('SELECT current_schema() AS s')).rows[0].s;
      const url = new URL(process.env.TEST_DATABASE_URL!);
      url.searchParams.set('options', `-c search_path=${schema}`);
      env.DATABASE_URL = url.toString();
    }
    let output = '';
    child = spawn(process.execPath, ['bin/gridcast.mjs', 'start', '--config', configFile], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout!.on('data', (d) => (output += d));
    child.stderr!.on('data', (d) => (output += d));
    const exited = new Promise<number | null>((resolve) => child!.once('exit', (code) => resolve(code)));

    let health: Health | undefined;
    // Two live ticks at least: a single one may fall on a 5-minute boundary, where it cannot be told from the backfill.
    let firstCommitted: number | undefined;
    const end = Date.now() + 90_000;
    while (Date.now() < end && child.exitCode === null) {
      try {
        const res = await fetch(`http://127.0.0.1:${port}/health`);
        health = (await res.json()) as Health;
        const live = health.sources.find((s) => s.name === 'mqtt' || s.name === 'direct');
        const committed = Number(live?.committedPoints ?? 0);
        if (committed > 0 && firstCommitted === undefined) firstCommitted = committed;
        if (firstCommitted !== undefined && committed > firstCommitted) break;
      } catch {
        // not listening yet
      }
      await new Promise((r) => setTimeout(r, 250));
    }
    expect(child.exitCode, output).toBeNull();
    expect(health).toMatchObject({ status: 'ok', db: { kind, ok: true }, lastIngestAt: expect.any(String) });
    const live = health!.sources.find((s) => s.name === 'mqtt' || s.name === 'direct');
    expect(live, JSON.stringify(health)).toBeDefined();
    expect(Number(live!.committedPoints)).toBeGreaterThan(0);

    // A store without an admin key gets one, in a file only this user reads; everything but /health needs it.
    const keyFile = join(dir, 'data', 'admin.key');
    expect(statSync(keyFile).mode & 0o777).toBe(0o600);
    const key = readFileSync(keyFile, 'utf8').trim();
    expect(output).not.toContain(key);
    expect((await fetch(`http://127.0.0.1:${port}/metrics`)).status).toBe(401);
    const metrics = await fetch(`http://127.0.0.1:${port}/metrics`, { headers: { authorization: `Bearer ${key}` } });
    expect(metrics.status).toBe(200);
    expect(await metrics.text()).toContain(`gridcast_store_info{kind="${kind}"} 1`);

    child.kill('SIGTERM');
    expect(await exited, output).toBe(0);

    // The data is in the store: two days of history at 5-min steps, then 10-s live points, with no
    // 5-minute bucket empty in between (the simulator's sensor gaps are per series).
    const db = kind === 'pg' ? pgDb! : await openPglite(join(dir, 'data'));
    try {
      const r = await db.query<{ n: number; series: number; first: Date; last: Date; live: number; empty: number }>(
        `WITH b AS (SELECT DISTINCT date_bin('5 minutes', ts, '2000-01-01Z') AS b FROM measurements)
         SELECT count(*)::int AS n, count(DISTINCT series_id)::int AS series, min(ts) AS first, max(ts) AS last,
                count(*) FILTER (WHERE extract(epoch FROM ts)::bigint % 300 <> 0)::int AS live,
                (SELECT count(*)::int FROM generate_series((SELECT min(b) FROM b), (SELECT max(b) FROM b), INTERVAL '5 minutes') AS g
                 WHERE g NOT IN (SELECT b FROM b)) AS empty
         FROM measurements`,
      );
      const s = r.rows[0];
      expect(s.series).toBeGreaterThan(10);
      expect(Date.now() - s.first.getTime()).toBeGreaterThan(2 * 86_400_000 - 300_000);
      expect(Date.now() - s.last.getTime()).toBeLessThan(120_000);
      expect(s.live).toBeGreaterThan(0);
      expect(s.empty).toBe(0);
      const topo = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM series');
      expect(topo.rows[0].n).toBeGreaterThan(s.series - 1);
    } finally {
      if (kind === 'pglite') await db.close();
    }
  }, 120_000);
});
