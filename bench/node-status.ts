import { parseArgs } from 'node:util';
import { performance } from 'node:perf_hooks';
import { ConfigSchema } from '../core/config.ts';
import { nodeStatusReader } from '../bin/lib/read-services.ts';
import { openBenchStore } from './scratch-store.ts';

/**
 * Cost of GET /api/v1/node-status (the dashboard's overview) on a large hierarchy: NODES nodes
 * (a root, 100 regions, the rest substations under them), DAYS days of hourly measurements per
 * substation and, for a tenth of them, 10-minute SCADA (hourly buckets stored, the last hour
 * under a dirty mark as a live feed leaves it), the latest day-ahead and intraday runs covering
 * every node with some series on a fallback, yesterday's day-ahead run scored, a week-ahead run,
 * and a few hundred events (ruptures, returns, deadline alarms). Prints the time of each call.
 * Usage: npm run bench:node-status -- [--nodes 10000] [--days 3] [--database-url URL]; PROFILE=1 also times each query.
 */
const { values } = parseArgs({ options: { nodes: { type: 'string', default: '10000' }, days: { type: 'string', default: '3' }, 'database-url': { type: 'string' } } });
const [NODES, DAYS] = [Number(values.nodes), Number(values.days)];
const H = 3_600_000;
const NOW = new Date('2026-03-10T12:30:00Z');
const END = new Date('2026-03-10T12:00:00Z');
const START = new Date(END.getTime() - DAYS * 24 * H);
const config = ConfigSchema.parse({ timeZone: 'UTC' });

const open = () => openBenchStore(values['database-url']);

const time = async <T>(f: () => Promise<T>): Promise<[T, number]> => {
  const t = performance.now();
  const out = await f();
  return [out, (performance.now() - t) / 1000];
};

const { db, done } = await open();
try {
  const regions = Array.from({ length: 100 }, (_, i) => `r${i}`);
  const subs = Array.from({ length: NODES - 101 }, (_, i) => `s${i}`);
  const all = ['grid', ...regions, ...subs];
  const fast = subs.filter((_, i) => i % 10 === 0);
  const [, load] = await time(async () => {
    await db.query(`INSERT INTO series (id, parent_id, kind, unit, time_zone) VALUES ('grid', NULL, 'load', 'MW', 'UTC')`);
    await db.query(`INSERT INTO series (id, parent_id, kind, unit, time_zone) SELECT id, 'grid', 'load', 'MW', 'UTC' FROM unnest($1::text[]) AS id`, [regions]);
    await db.query(`INSERT INTO series (id, parent_id, kind, unit, time_zone) SELECT id, 'r' || (substr(id, 2)::int % 100), 'load', 'MW', 'UTC' FROM unnest($1::text[]) AS id`, [subs]);
    // Hourly substations: one point an hour (no hourly bucket stored); one in 50 silent for the last 5 hours.
    await db.query(
      `INSERT INTO measurements (series_id, ts, value, quality)
       SELECT id, ts, 100, CASE WHEN substr(id, 2)::int % 97 = 0 AND ts > $3::timestamptz - INTERVAL '6 hours' THEN 'imputed' ELSE 'ok' END
       FROM unnest($1::text[]) AS id, generate_series($2::timestamptz, $3::timestamptz - INTERVAL '1 hour', INTERVAL '1 hour') AS ts
       WHERE NOT (substr(id, 2)::int % 50 = 0 AND ts >= $3::timestamptz - INTERVAL '5 hours')`,
      [subs.filter((_, i) => i % 10 !== 0), START, END],
    );
    // 10-minute SCADA: the hourly buckets are stored, except the last hour's, under a dirty mark.
    await db.query(
      `INSERT INTO measurements (series_id, ts, value) SELECT id, ts, 100
       FROM unnest($1::text[]) AS id, generate_series($2::timestamptz, $3::timestamptz - INTERVAL '10 minutes', INTERVAL '10 minutes') AS ts`,
      [fast, START, END],
    );
    await db.query(`INSERT INTO aggregate_grains (series_id, grain) SELECT id, '1h' FROM unnest($1::text[]) AS id`, [fast]);
    await db.query(
      `INSERT INTO measurements_1h (series_id, bucket, n, avg, sum, min, max, p95, quality)
       SELECT id, b, 6, 100, 600, 100, 100, 100, 'ok' FROM unnest($1::text[]) AS id, generate_series($2::timestamptz, $3::timestamptz - INTERVAL '2 hours', INTERVAL '1 hour') AS b`,
      [fast, START, END],
    );
    await db.query(
      `INSERT INTO aggregates_dirty (series_id, grain, bucket, bucket_end, token)
       SELECT id, '1h', $2::timestamptz - INTERVAL '1 hour', $2, nextval('aggregates_dirty_token') FROM unnest($1::text[]) AS id`,
      [fast, END],
    );
    const run = async (horizon: string, origin: Date, start: Date, hours: number, fallbackEvery: number) => {
      const { rows } = await db.query<{ id: number }>(
        `INSERT INTO forecast_runs (issued_at, origin, horizon, root, window_start, window_end, reconciliation, reconciliation_applied, status,
           scheduled_at, deadline, inputs_hash, model_versions, allocation, settings)
         VALUES ($1, $1, $2, 'grid', $3, $3::timestamptz + $4::int * INTERVAL '1 hour', 'ols', 'ols', 'succeeded', $1, $1::timestamptz + INTERVAL '1 hour', 'h',
           (SELECT jsonb_object_agg(id, 'grid@1') FROM unnest($5::text[]) AS id), 'average', '{"quantiles": [0.1, 0.5, 0.9]}') RETURNING id`,
        [origin, horizon, start, hours, all],
      );
      await db.query(
        `INSERT INTO forecasts (run_id, series_id, grain, target_ts, mean, q, model, model_version, fallback_reason, base_mean)
         SELECT $1, id, '1h', $2::timestamptz + k * INTERVAL '1 hour', 100, ARRAY[90, 100, 110]::float8[], 'gam', 'grid@1',
                CASE WHEN o % $5 = 0 THEN 'model-failed' END, 100
         FROM unnest($3::text[]) WITH ORDINALITY AS u(id, o), generate_series(0, $4::int - 1) AS k`,
        [rows[0].id, start, all, hours, fallbackEvery],
      );
      return rows[0].id;
    };
    const yesterday = await run('day-ahead', new Date('2026-03-08T08:00:00Z'), new Date('2026-03-09T00:00:00Z'), 24, 1000);
    await run('day-ahead', new Date('2026-03-09T08:00:00Z'), new Date('2026-03-10T00:00:00Z'), 24, 200);
    await run('intraday', new Date('2026-03-10T11:00:00Z'), new Date('2026-03-10T11:00:00Z'), 7, 500);
    await run('week-ahead', new Date('2026-03-09T08:00:00Z'), new Date('2026-03-10T00:00:00Z'), 168, 700);
    await db.query(
      `INSERT INTO forecast_scores (run_id, series_id, grain, target_ts, truth_version, truth_status, horizon, model_version, issued_at, lead_hours,
         forecast, actual, error, ape, quantile_levels, pinball, inside)
       SELECT $1, id, '1h', $2::timestamptz + k * INTERVAL '1 hour', $2::timestamptz + INTERVAL '1 day', 'measured', 'day-ahead', 'grid@1', $2, k,
              100, 96, 4, 0.04, ARRAY[0.1, 0.5, 0.9], ARRAY[0, 0, 0]::float8[], true
       FROM unnest($3::text[]) AS id, generate_series(0, 23) AS k`,
      [yesterday, new Date('2026-03-09T00:00:00Z'), all],
    );
    // ruptures on substations: a hierarchy too small to have any gets none
    if (subs.length > 0) await db.query(
      `INSERT INTO events (at, kind, severity, series_id, detail)
       SELECT $1::timestamptz - k * INTERVAL '1 hour', CASE WHEN k % 3 = 0 THEN 'fallback-off' ELSE 'rupture' END, 'alarm', 's' || (k * 37 % $2), '{}'::jsonb
       FROM generate_series(1, 300) AS k`,
      [NOW, subs.length],
    );
    await db.query(
      `INSERT INTO events (at, kind, severity, detail) VALUES ($1, 'run-late', 'alarm', '{"horizon": "intraday", "scheduledAt": "2026-03-10T11:00:00.000Z"}'::jsonb)`,
      [new Date('2026-03-10T11:12:00Z')],
    );
    await db.exec('ANALYZE');
  });
  const reader = nodeStatusReader(db, config, { now: () => NOW });
  if (process.env.PROFILE) {
    const { nodeStatusRepository } = await import('../store/node-status.repository.ts');
    const repo = nodeStatusRepository(db);
    const from = new Date(END.getTime() - 24 * H);
    for (const [name, f] of [
      ['dataHealth', () => repo.dataHealth(from, END)],
      ['latestRuns', () => repo.latestRuns(NOW)],
      ['runFallbacks', async () => repo.runFallbacks((await repo.latestRuns(NOW)).flatMap((r) => (r.latest ? [r.latest.id] : [])))],
      ['openRuptures', () => repo.openRuptures(NOW)],
      ['alarms', () => repo.latestDeadlineAlarms(NOW)],
      ['mape', () => repo.dayAheadMape(NOW)],
      ['lastSeen (every substation)', () => repo.lastSeen(subs, END)],
    ] as const) {
      const [, s] = await time(f as () => Promise<unknown>);
      console.log(name, s.toFixed(3));
    }
  }
  console.log(`node-status on ${db.kind}: ${all.length} nodes, ${fast.length} with 10-minute SCADA, ${DAYS} days; loaded in ${load.toFixed(1)} s`);
  console.log('call  seconds  nodes  counts');
  for (let i = 1; i <= 5; i++) {
    const [r, s] = await time(() => reader.overview({}));
    console.log(`${i}     ${s.toFixed(3)}    ${r.nodes.length}  ${JSON.stringify(r.counts)}`);
  }
  const [w, s] = await time(() => reader.overview({ windowHours: 168 }));
  console.log(`windowHours=168: ${s.toFixed(3)} s (${w.nodes.length} nodes)`);
  const [, j] = await time(async () => JSON.stringify(w).length);
  console.log(`answer size ${(JSON.stringify(w).length / 1e6).toFixed(1)} MB (JSON.stringify ${j.toFixed(3)} s)`);
} finally {
  await done();
}
