import { parseArgs } from 'node:util';
import { ConfigSchema } from '../core/config.ts';
import { accuracyService } from '../monitoring/accuracy.service.ts';
import { openBenchStore } from './scratch-store.ts';

/**
 * Cost of the score job: SERIES series with 5-minute measurements over DAYS days, one day-ahead
 * run a day (48 hourly values, P10/P50/P90) and INTRADAY runs a day (24 values). Times the first
 * scoring of the whole lookback (a full pass), an idle re-run (nothing new: what most 15-minute
 * ticks cost), a re-run after one point per series was revised, and the daily full pass a day
 * later (the whole lookback examined again, nothing new to score).
 * Usage: npm run bench:scoring -- [--series 20] [--days 45] [--intraday 24] [--database-url URL]
 */
const { values } = parseArgs({
  options: { series: { type: 'string', default: '20' }, days: { type: 'string', default: '45' }, intraday: { type: 'string', default: '24' }, 'database-url': { type: 'string' } },
});
const [SERIES, DAYS, INTRADAY] = [Number(values.series), Number(values.days), Number(values.intraday)];
const H = 3_600_000;
const END = new Date('2026-03-01T00:00:00Z');
const START = new Date(END.getTime() - DAYS * 24 * H);
const config = ConfigSchema.parse({ timeZone: 'UTC', accuracy: { lookbackDays: DAYS } });

const open = () => openBenchStore(values['database-url']);

const { db, done } = await open();
try {
  const ids = Array.from({ length: SERIES }, (_, i) => `s${i}`);
  await db.query(`INSERT INTO series (id, kind, unit, time_zone) SELECT id, 'load', 'MW', 'UTC' FROM unnest($1::text[]) AS id`, [ids]);
  await db.query(
    `INSERT INTO measurements (series_id, ts, value, quality, received_at)
     SELECT id, ts, 100 + 10 * sin(extract(epoch FROM ts) / 13751), 'ok', ts + INTERVAL '1 minute'
     FROM unnest($1::text[]) AS id, generate_series($2::timestamptz, $3::timestamptz - INTERVAL '5 minutes', INTERVAL '5 minutes') AS ts`,
    [ids, START, END],
  );
  const runs = async (horizon: string, perDay: number, steps: number) =>
    db.query(
      `WITH r AS (
         INSERT INTO forecast_runs (issued_at, origin, horizon, root, window_start, window_end, reconciliation, reconciliation_applied, status, inputs_hash, model_versions, allocation, settings)
         SELECT o, o, $1, 'grid', o, o + $2::int * INTERVAL '1 hour', 'none', 'none', 'succeeded', 'h', '{}', 'average', '{"quantiles": [0.1, 0.5, 0.9]}'
         FROM generate_series($3::timestamptz, $4::timestamptz, $5::float8 * INTERVAL '1 hour') AS o RETURNING id, window_start)
       INSERT INTO forecasts (run_id, series_id, grain, target_ts, mean, q, model, model_version, base_mean)
       SELECT r.id, sid, '1h', r.window_start + k * INTERVAL '1 hour', 101, ARRAY[90, 101, 112]::float8[], 'm', 'grid@1', 101
       FROM r, unnest($6::text[]) AS sid, generate_series(0, $2::int - 1) AS k`,
      [horizon, steps, START, new Date(END.getTime() - steps * H), 24 / perDay, ids],
    );
  await runs('day-ahead', 1, 48);
  if (INTRADAY > 0) await runs('intraday', INTRADAY, 24);
  const { rows } = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM forecasts`);
  const accuracy = accuracyService(db, config, () => END);
  const time = async (what: string, asOf = END) => {
    const t = performance.now();
    const { scored } = await accuracy.scoreNew(asOf);
    return [what, String(scored), ((performance.now() - t) / 1000).toFixed(2)];
  };
  const table = [await time('first scoring of the lookback'), await time('idle tick (nothing new)')];
  await db.query(`UPDATE measurements SET value = value + 1, received_at = $2 WHERE ts = $1`, [new Date(END.getTime() - 5 * 24 * H), END]);
  table.push(await time('after one revised point per series'));
  table.push(await time('daily full pass, a day later', new Date(END.getTime() + 24 * H)));
  console.log(`${db.kind}: ${SERIES} series, ${DAYS} days of 5-min measurements, ${rows[0].n} hourly forecast values (day-ahead daily + ${INTRADAY} intraday runs a day)`);
  const w = [34, 8, 8];
  console.log(['pass', 'scored', 'seconds'].map((h, i) => h.padEnd(w[i])).join(''));
  for (const r of table) console.log(r.map((c, i) => c.padEnd(w[i])).join(''));
} finally {
  await done();
}
