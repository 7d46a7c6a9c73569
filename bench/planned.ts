import { parseArgs } from 'node:util';
import { replayJobsOf } from '../bin/lib/replay-jobs.ts';
import { ConfigSchema, type Config } from '../core/config.ts';
import { readDefaultGrid } from '../ingest/simulator/default-grid.ts';
import { createSimulator } from '../ingest/simulator/simulator.ts';
import { replayClock, replayJobs } from '../jobs/replay.ts';
import { createAccuracyService } from '../monitoring/accuracy.service.ts';
import type { Db } from '../store/db.ts';
import { insertMeasurements } from '../store/measurements.repository.ts';
import { openReplayScope } from '../store/replay.repository.ts';
import { scoresRepository } from '../store/scores.repository.ts';
import { saveTopology } from '../store/topology.repository.ts';
import { transfersRepository } from '../store/transfers.repository.ts';
import { insertWeatherForecasts, insertWeatherObs } from '../store/weather.repository.ts';
import { openBenchStore } from './scratch-store.ts';

/**
 * A planned transfer on the simulated grid (issue 14 parts 4–5), replayed with `gridcast replay`'s
 * jobs (day-ahead runs under the deadline policy, the rupture monitor, fallback switches) three
 * times over the same data: the switching happens in the measurements every time (SHARE of
 * FROM's load carried by TO over [T_START, T_END); their parent is measured unchanged), and the
 * store knows of it (1) not at all, (2) from a plan issued 3 hours after the switching began (the
 * runs published before did not know it; the monitor reads it), (3) from a plan issued a week before. Prints the monitor's events on
 * the two substations and the day-ahead MAPE of both and of their parent over the transfer, from
 * the scores of the replayed runs. The model is a 4-week profile on 35 days of history (as
 * bench:replay), so the runs cost little and what changes is the plan.
 * Usage: npm run bench:planned -- [--database-url URL]
 */
const { values } = parseArgs({ options: { 'database-url': { type: 'string' } } });
const HISTORY_DAYS = 35;
const H = 3_600_000;
const DAY = 24 * H;
const STEP_SEC = 300;
// Local midnight in Paris (UTC+1); 16 days of residuals before the switching calibrate the monitor.
const FROM = new Date('2025-01-05T23:00:00Z');
const DAYS = 26;
const TO = new Date(FROM.getTime() + DAYS * DAY);
const T_START = new Date(FROM.getTime() + 16 * DAY + 7 * H);
const T_END = new Date(FROM.getTime() + 23 * DAY + 7 * H);
const FROM_NODE = 'ss.la-defense';
const TO_NODE = 'ss.saint-denis';
const PARENT = 'fr.paris';
const SHARE = 0.4;
const MODEL = { kind: 'profile', params: { weeks: 4 } };

/** The simulated grid from HISTORY_DAYS + 1 days before FROM to TO, with the switching in the measurements. */
async function seed(db: Db): Promise<void> {
  const topology = readDefaultGrid();
  await saveTopology(db, topology);
  const sim = createSimulator({ seed: 42, topology });
  for (let day = FROM.getTime() - (HISTORY_DAYS + 1) * DAY; day < TO.getTime(); day += DAY) {
    const batch = sim.generate(new Date(day), new Date(day + DAY), STEP_SEC);
    const moved = new Map<number, number>();
    for (const m of batch.measurements) {
      const t = m.ts.getTime();
      if (m.seriesId === FROM_NODE && t >= T_START.getTime() && t < T_END.getTime()) moved.set(t, SHARE * m.value);
    }
    const measurements = batch.measurements.map((m) => {
      const x = moved.get(m.ts.getTime());
      if (x === undefined) return m;
      if (m.seriesId === FROM_NODE) return { ...m, value: m.value - x };
      if (m.seriesId === TO_NODE) return { ...m, value: m.value + x };
      return m;
    });
    await db.transaction(async (tx) => {
      await insertMeasurements(tx, measurements);
      await insertWeatherObs(tx, batch.weather);
      await insertWeatherForecasts(tx, sim.weatherForecasts(new Date(day), new Date(day + DAY)));
    });
  }
  if (db.kind === 'pg') await db.exec('ANALYZE');
}

interface Outcome {
  seconds: number;
  failedTicks: number;
  events: Map<string, number>;
  mape: Map<string, number>;
}

async function replay(s: { db: Db; url?: string }, config: Config, stamp: string): Promise<Outcome> {
  const scope = await openReplayScope(s.db, { ...(s.url && { databaseUrl: s.url }), stamp: `${stamp}_${process.pid}` });
  try {
    const clock = replayClock(FROM);
    const t = performance.now();
    const ticks = await replayJobs(replayJobsOf(scope.db, config, clock, { horizons: ['day-ahead'], knowledge: 'timestamps' }), { from: FROM, to: TO, timeZone: config.timeZone, clock });
    const seconds = (performance.now() - t) / 1000;
    // One scoring pass at the end gives the scores the score job would have written by then.
    await createAccuracyService({ scores: scoresRepository(scope.db), timeZone: config.timeZone, ...config.accuracy, knownBy: 'timestamps' }).scoreNew(new Date(TO.getTime() - 15 * 60_000));
    const ev = await scope.db.query<{ kind: string; series_id: string; n: number }>(
      `SELECT kind, series_id, count(*)::int AS n FROM events WHERE series_id = ANY($1::text[]) GROUP BY kind, series_id`,
      [[FROM_NODE, TO_NODE, PARENT]],
    );
    const m = await scope.db.query<{ series_id: string; mape: number }>(
      `SELECT series_id, avg(abs(error) / abs(actual)) * 100 AS mape FROM (
         SELECT DISTINCT ON (run_id, series_id, target_ts) series_id, error, actual FROM forecast_scores
         WHERE grain = '1h' AND horizon = 'day-ahead' AND series_id = ANY($1::text[]) AND target_ts >= $2 AND target_ts < $3 AND abs(actual) > 1e-9
         ORDER BY run_id, series_id, target_ts, truth_version DESC) s
       GROUP BY series_id`,
      [[FROM_NODE, TO_NODE, PARENT], T_START, T_END],
    );
    return {
      seconds,
      failedTicks: ticks.filter((k) => k.status === 'failed').length,
      events: new Map(ev.rows.map((r) => [`${r.kind} ${r.series_id}`, r.n])),
      mape: new Map(m.rows.map((r) => [r.series_id, Number(r.mape)])),
    };
  } finally {
    await scope.close();
  }
}

const store = await openBenchStore(values['database-url']);
try {
  const t0 = performance.now();
  await seed(store.db);
  const seedSeconds = (performance.now() - t0) / 1000;
  const config = ConfigSchema.parse({
    forecast: { defaultModel: MODEL, historyDays: HISTORY_DAYS, holidays: 'FR' },
    jobs: { score: { enabled: false }, review: { enabled: false }, drift: { enabled: false } },
  });
  const transfers = transfersRepository(store.db);
  const plan = (issuedAt: Date) => ({
    ref: 'SW-2025-01', source: 'dso', from_node: FROM_NODE, to_node: TO_NODE, start: T_START.toISOString(), end: T_END.toISOString(),
    share: SHARE, issued_at: issuedAt.toISOString(), status: 'planned' as const, reason: 'bench: feeder switched for works',
  });
  const note = (what: string) => process.stderr.write(`${new Date().toISOString()} ${what}\n`);
  note(`seeded in ${seedSeconds.toFixed(0)} s; replay without a plan`);
  const none = await replay(store, config, 'noplan');
  note('replay with the late plan');
  // Issued late: the day-ahead runs published before it forecast no transfer for the first day.
  await transfers.append([plan(new Date(T_START.getTime() + 3 * H))]);
  const late = await replay(store, config, 'late');
  // The same plan issued a week before (its first version from then on).
  await transfers.append([plan(new Date(T_START.getTime() - 7 * DAY))]);
  note('replay with the plan issued before');
  const early = await replay(store, config, 'early');

  console.log(
    `${store.db.kind}: simulated grid seeded in ${seedSeconds.toFixed(0)} s; replay ${FROM.toISOString()} → ${TO.toISOString()} (${DAYS} days, day-ahead); ` +
      `${SHARE * 100} % of ${FROM_NODE} carried by ${TO_NODE} over ${T_START.toISOString()} → ${T_END.toISOString()} (${PARENT} unchanged)`,
  );
  const cases: Array<[string, Outcome]> = [['no plan', none], ['plan issued 3 h after the switching began', late], ['plan issued 7 days before', early]];
  const kinds = ['rupture', 'fallback-on', 'fallback-off', 'planned'];
  const header = ['', ...cases.map(([c]) => c)];
  const rows: string[][] = [
    ...kinds.flatMap((k) => [FROM_NODE, TO_NODE].map((id) => [`${k} events, ${id}`, ...cases.map(([, o]) => String(o.events.get(`${k} ${id}`) ?? 0))])),
    ...[FROM_NODE, TO_NODE, PARENT].map((id) => [`day-ahead MAPE % over the transfer, ${id}`, ...cases.map(([, o]) => (o.mape.has(id) ? o.mape.get(id)!.toFixed(2) : '—'))]),
    ['replay (wall, s)', ...cases.map(([, o]) => o.seconds.toFixed(0))],
    ['failed ticks', ...cases.map(([, o]) => String(o.failedTicks))],
  ];
  console.log(`| ${header.join(' | ')} |\n|${header.map((_, i) => (i === 0 ? '---' : '---:')).join('|')}|`);
  for (const r of rows) console.log(`| ${r.join(' | ')} |`);
} finally {
  await store.done();
}
