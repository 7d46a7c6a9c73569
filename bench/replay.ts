import { parseArgs } from 'node:util';
import { replayJobsOf } from '../bin/lib/replay-jobs.ts';
import { ConfigSchema, type Config } from '../core/config.ts';
import { KNOWLEDGE, type Knowledge } from '../core/knowledge.ts';
import { readDefaultGrid } from '../ingest/simulator/default-grid.ts';
import { createSimulator } from '../ingest/simulator/simulator.ts';
import { replayClock, replayJobs } from '../jobs/replay.ts';
import { createAccuracyService } from '../monitoring/accuracy.service.ts';
import type { Db } from '../store/db.ts';
import { insertMeasurements } from '../store/measurements.repository.ts';
import { openReplayScope } from '../store/replay.repository.ts';
import { scoresRepository } from '../store/scores.repository.ts';
import { saveTopology } from '../store/topology.repository.ts';
import { insertWeatherForecasts, insertWeatherObs } from '../store/weather.repository.ts';
import { openBenchStore } from './scratch-store.ts';

/**
 * Cost of `gridcast replay` over DAYS days of the simulated grid (ingest/simulator/default-grid.yaml,
 * Europe/Paris, 5-minute SCADA and weather, temperature forecasts every 6 h), day-ahead runs, with
 * the monitoring jobs as scheduled, once without the `score` and `review` jobs (what the replay ran
 * before it scored) and once with them. Prints the wall time of each replay and the time spent per
 * job, then what one full scoring pass over the replayed runs costs at the end (the daily pass a
 * replay leaves out). The forecast model is a 4-week profile on 35 days of history (MODEL) so that
 * the runs do not hide what the monitoring costs; the score job's cost does not depend on it.
 * Usage: npm run bench:replay -- [--days 30] [--known-at timestamps|received] [--database-url URL]
 */
const { values } = parseArgs({
  options: { days: { type: 'string', default: '30' }, 'known-at': { type: 'string', default: 'timestamps' }, 'database-url': { type: 'string' } },
});
const DAYS = Number(values.days);
const KNOWN = values['known-at'] as Knowledge;
if (!KNOWLEDGE.includes(KNOWN)) throw new Error(`--known-at must be ${KNOWLEDGE.join(' or ')}`);
const HISTORY_DAYS = 35;
const DAY = 86_400_000;
const STEP_SEC = 300;
// Local midnights of Paris in winter (UTC+1): the replay starts at one and the review of 1 January 06:00 is in it.
const FROM = new Date('2024-12-31T23:00:00Z');
const TO = new Date(FROM.getTime() + DAYS * DAY);
const MODEL = { kind: 'profile', params: { weeks: 4 } };

const open = () => openBenchStore(values['database-url']);

/** The simulated grid from HISTORY_DAYS + 1 days before FROM to TO, written day by day, receipt time a minute after each point (KNOWN = received sees it so). */
async function seed(db: Db): Promise<number> {
  const topology = readDefaultGrid();
  await saveTopology(db, topology);
  const sim = createSimulator({ seed: 42, topology });
  let points = 0;
  for (let day = FROM.getTime() - (HISTORY_DAYS + 1) * DAY; day < TO.getTime(); day += DAY) {
    const batch = sim.generate(new Date(day), new Date(day + DAY), STEP_SEC);
    const csv = batch.measurements.map((m) => `${m.seriesId},${m.ts.toISOString()},${m.value},ok,${new Date(m.ts.getTime() + 60_000).toISOString()}`).join('\n') + '\n';
    await db.transaction(async (tx) => {
      if (KNOWN === 'received') await tx.copyCsv('measurements', ['series_id', 'ts', 'value', 'quality', 'received_at'], csv);
      else await insertMeasurements(tx, batch.measurements);
      await insertWeatherObs(tx, batch.weather);
      await insertWeatherForecasts(tx, sim.weatherForecasts(new Date(day), new Date(day + DAY)));
    });
    points += batch.measurements.length;
  }
  if (db.kind === 'pg') await db.exec('ANALYZE');
  return points;
}

interface Timed {
  seconds: number;
  perJob: Map<string, { ticks: number; seconds: number; failed: number }>;
  scores: number;
  fullPassSeconds: number | null;
}

async function replay(s: { db: Db; url?: string }, config: Config, stamp: string): Promise<Timed> {
  const scope = await openReplayScope(s.db, { ...(s.url && { databaseUrl: s.url }), stamp: `${stamp}_${process.pid}` });
  try {
    const clock = replayClock(FROM);
    const perJob = new Map<string, { ticks: number; seconds: number; failed: number }>();
    const jobs = replayJobsOf(scope.db, config, clock, { horizons: ['day-ahead'], knowledge: KNOWN }).map((j) => ({
      ...j,
      async run(ctx: Parameters<typeof j.run>[0]) {
        const t = performance.now();
        try {
          return await j.run(ctx);
        } finally {
          const c = perJob.get(j.name) ?? { ticks: 0, seconds: 0, failed: 0 };
          c.ticks++;
          c.seconds += (performance.now() - t) / 1000;
          perJob.set(j.name, c);
        }
      },
    }));
    const t = performance.now();
    const ticks = await replayJobs(jobs, { from: FROM, to: TO, timeZone: config.timeZone, clock });
    const seconds = (performance.now() - t) / 1000;
    for (const tick of ticks) if (tick.status === 'failed') perJob.get(tick.job)!.failed++;
    const scores = (await scope.db.query<{ n: number }>('SELECT count(*)::int AS n FROM forecast_scores')).rows[0].n;
    let fullPassSeconds: number | null = null;
    if (scores > 0) {
      // A pass with no progress examines the whole lookback: what each daily full pass would cost at the end.
      await scope.db.query('DELETE FROM score_progress');
      const accuracy = createAccuracyService({ scores: scoresRepository(scope.db), timeZone: config.timeZone, ...config.accuracy, knownBy: KNOWN });
      const f = performance.now();
      await accuracy.scoreNew(new Date(TO.getTime() - 15 * 60_000));
      fullPassSeconds = (performance.now() - f) / 1000;
    }
    return { seconds, perJob, scores, fullPassSeconds };
  } finally {
    await scope.close();
  }
}

const store = await open();
try {
  const t = performance.now();
  const points = await seed(store.db);
  const seedSeconds = (performance.now() - t) / 1000;
  const base = { forecast: { defaultModel: MODEL, historyDays: HISTORY_DAYS, holidays: 'FR' } };
  const before = await replay(store, ConfigSchema.parse({ ...base, jobs: { score: { enabled: false }, review: { enabled: false } } }), 'before');
  const after = await replay(store, ConfigSchema.parse(base), 'after');
  console.log(
    `${store.db.kind}: simulated grid, ${points} measurements (${STEP_SEC / 60}-min) written in ${seedSeconds.toFixed(0)} s; replay ${FROM.toISOString()} → ${TO.toISOString()} (${DAYS} days), day-ahead, --known-at ${KNOWN}`,
  );
  const jobs = [...new Set([...after.perJob.keys(), ...before.perJob.keys()])];
  const cell = (r: Timed, j: string) => {
    const c = r.perJob.get(j);
    return c ? `${c.ticks} ticks${c.failed ? ` (${c.failed} failed)` : ''}, ${c.seconds.toFixed(1)} s` : '—';
  };
  const rows = [
    ['replay (wall)', `${before.seconds.toFixed(1)} s`, `${after.seconds.toFixed(1)} s`],
    ...jobs.map((j) => [j, cell(before, j), cell(after, j)]),
    ['scores written', String(before.scores), String(after.scores)],
    ['one full scoring pass at the end', '—', after.fullPassSeconds === null ? '—' : `${after.fullPassSeconds.toFixed(2)} s`],
  ];
  const w = [0, 1, 2].map((i) => Math.max(...[['', 'without score/review', 'with score/review'], ...rows].map((r) => r[i].length)));
  for (const r of [['', 'without score/review', 'with score/review'], ...rows]) console.log(r.map((c, i) => c.padEnd(w[i])).join('  '));
} finally {
  await store.done();
}
