import { parseArgs } from 'node:util';
import { replayJobsOf } from '../bin/lib/replay-jobs.ts';
import { ConfigSchema, type Config } from '../core/config.ts';
import { readDefaultGrid } from '../ingest/simulator/default-grid.ts';
import { createSimulator, type SimBatch } from '../ingest/simulator/simulator.ts';
import { replayClock, replayJobs } from '../jobs/replay.ts';
import { createAccuracyService } from '../monitoring/accuracy.service.ts';
import type { Db } from '../store/db.ts';
import { insertMeasurements } from '../store/measurements.repository.ts';
import { openReplayScope } from '../store/replay.repository.ts';
import { scoresRepository } from '../store/scores.repository.ts';
import { saveTopology } from '../store/topology.repository.ts';
import { transfersRepository } from '../store/transfers.repository.ts';
import { scheduleRepository } from '../store/schedules.repository.ts';
import { ingestSchedules, scheduleJsonBatch } from '../ingest/schedules/schedules.service.ts';
import type { Topology } from '../core/topology/schema.ts';
import { insertWeatherForecasts, insertWeatherObs } from '../store/weather.repository.ts';
import { openBenchStore } from './scratch-store.ts';

/**
 * Planned changes on the simulated grid (issue 14 parts 4–5), replayed with `gridcast replay`'s
 * jobs (day-ahead runs under the deadline policy, the rupture monitor, fallback switches) three
 * times over the same data: the change happens in the measurements every time, and the store
 * knows of its plan not at all, from a plan issued 3 hours after the change began (the runs
 * published before did not know it; the monitor reads it), or from a plan issued days before.
 * Prints the monitor's events on the nodes concerned and their day-ahead MAPE over the change,
 * from the scores of the replayed runs. The model is a 4-week profile on 35 days of history (as
 * bench:replay), so the runs cost little and what changes is the plan. Two cases:
 * - `transfer`: SHARE of FROM_NODE's load carried by TO_NODE over [T_START, T_END) (their parent
 *   measured unchanged), a planned transfer issued 3 h after or 7 days before;
 * - `outage`: a steel plant added under PARENT stops for 3 days (its load falls to the auxiliaries'),
 *   a schedule of its consumption over the outage issued 3 h after or 5 days before.
 * Usage: npm run bench:planned -- [--case transfer|outage|both] [--database-url URL]
 */
const { values } = parseArgs({ options: { 'database-url': { type: 'string' }, case: { type: 'string', default: 'both' } } });
if (!['transfer', 'outage', 'both'].includes(values.case!)) throw new Error(`--case ${values.case}: give transfer, outage or both`);
const HISTORY_DAYS = 35;
const H = 3_600_000;
const DAY = 24 * H;
const STEP_SEC = 300;
// Local midnight in Paris (UTC+1); 16 days of residuals before the change calibrate the monitor.
const FROM = new Date('2025-01-05T23:00:00Z');
const DAYS = 26;
const TO = new Date(FROM.getTime() + DAYS * DAY);
const T_START = new Date(FROM.getTime() + 16 * DAY + 7 * H);
const T_END = new Date(FROM.getTime() + 23 * DAY + 7 * H);
const FROM_NODE = 'ss.la-defense';
const TO_NODE = 'ss.saint-denis';
const PARENT = 'fr.paris';
const SHARE = 0.4;
// The outage: Wednesday 22 January 06:00 to Saturday 25 January 06:00 (Paris), 7 days of replay after it.
const PLANT = 'plant.steel';
const NATION = 'fr';
const O_START = new Date(FROM.getTime() + 16 * DAY + 6 * H);
const O_END = new Date(O_START.getTime() + 3 * DAY);
/** The plant's load during the outage: the auxiliaries, 4 % of what it would have drawn. */
const AUX_SHARE = 0.04;
/** What the plant's schedule says it draws over the outage, MW. */
const AUX_MW = 5;
const MODEL = { kind: 'profile', params: { weeks: 4 } };

type Measurement = SimBatch['measurements'][number];

/** The simulated grid from HISTORY_DAYS + 1 days before FROM to TO, with `change` applied to each day's measurements. */
async function seed(db: Db, topology: Topology, change: (ms: Measurement[]) => Measurement[]): Promise<void> {
  await saveTopology(db, topology);
  const sim = createSimulator({ seed: 42, topology });
  for (let day = FROM.getTime() - (HISTORY_DAYS + 1) * DAY; day < TO.getTime(); day += DAY) {
    const batch = sim.generate(new Date(day), new Date(day + DAY), STEP_SEC);
    await db.transaction(async (tx) => {
      await insertMeasurements(tx, change(batch.measurements));
      await insertWeatherObs(tx, batch.weather);
      await insertWeatherForecasts(tx, sim.weatherForecasts(new Date(day), new Date(day + DAY)));
    });
  }
  if (db.kind === 'pg') await db.exec('ANALYZE');
}

/** The switching in the measurements: SHARE of FROM_NODE's load moved to TO_NODE over the transfer. */
function switched(ms: Measurement[]): Measurement[] {
  const moved = new Map<number, number>();
  for (const m of ms) {
    const t = m.ts.getTime();
    if (m.seriesId === FROM_NODE && t >= T_START.getTime() && t < T_END.getTime()) moved.set(t, SHARE * m.value);
  }
  return ms.map((m) => {
    const x = moved.get(m.ts.getTime());
    if (x === undefined) return m;
    if (m.seriesId === FROM_NODE) return { ...m, value: m.value - x };
    if (m.seriesId === TO_NODE) return { ...m, value: m.value + x };
    return m;
  });
}

/** The default grid with a steel plant of its own under PARENT: 150 MW at its working-hours plateau, little thermal load. */
function withPlant(): Topology {
  const t = readDefaultGrid();
  const paris = t.nodes.find((n) => n.id === PARENT)!;
  const at = t.nodes.findIndex((n) => n.id === 'ss.roissy') + 1;
  const plant = { id: PLANT, name: 'Steel plant', parent: PARENT, kind: 'load' as const, unit: 'MW', timeZone: paris.timeZone, attrs: { sim: { base: 150, industrial: 0.9 } } };
  return { ...t, nodes: [...t.nodes.slice(0, at), plant, ...t.nodes.slice(at)] };
}

/** The outage in the measurements: the plant draws its auxiliaries only. */
const stopped = (ms: Measurement[]): Measurement[] =>
  ms.map((m) => (m.seriesId === PLANT && m.ts.getTime() >= O_START.getTime() && m.ts.getTime() < O_END.getTime() ? { ...m, value: AUX_SHARE * m.value } : m));

interface Outcome {
  seconds: number;
  failedTicks: number;
  events: Map<string, number>;
  mape: Map<string, number>;
  mae: Map<string, number>;
  /** The rupture and planned events: when, on what, the change they date. */
  list: string[];
}

async function replay(s: { db: Db; url?: string }, config: Config, stamp: string, ids: string[], over: [Date, Date]): Promise<Outcome> {
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
      [ids],
    );
    const list = await scope.db.query<{ at: Date; kind: string; series_id: string; detail: Record<string, unknown> }>(
      `SELECT at, kind, series_id, detail FROM events WHERE series_id = ANY($1::text[]) AND kind IN ('rupture', 'planned') ORDER BY at, series_id`,
      [ids],
    );
    const m = await scope.db.query<{ series_id: string; mape: number; mae: number }>(
      `SELECT series_id, avg(abs(error) / abs(actual)) * 100 AS mape, avg(abs(error)) AS mae FROM (
         SELECT DISTINCT ON (run_id, series_id, target_ts) series_id, error, actual FROM forecast_scores
         WHERE grain = '1h' AND horizon = 'day-ahead' AND series_id = ANY($1::text[]) AND target_ts >= $2 AND target_ts < $3 AND abs(actual) > 1e-9
         ORDER BY run_id, series_id, target_ts, truth_version DESC) s
       GROUP BY series_id`,
      [ids, over[0], over[1]],
    );
    return {
      seconds,
      failedTicks: ticks.filter((k) => k.status === 'failed').length,
      events: new Map(ev.rows.map((r) => [`${r.kind} ${r.series_id}`, r.n])),
      mape: new Map(m.rows.map((r) => [r.series_id, Number(r.mape)])),
      mae: new Map(m.rows.map((r) => [r.series_id, Number(r.mae)])),
      list: list.rows.map((r) => {
        const d = r.detail;
        const change = (d.ruptureAt ?? d.changeAt) as string;
        const shift = typeof d.shift === 'number' ? ` shift ${(d.shift * 100).toFixed(0)} %` : '';
        return `${r.kind} ${r.series_id} at ${new Date(r.at).toISOString()} (change ${change}, ${d.side}${shift}${d.edge ? `, ${d.edge} of ${(d.plan as { ref: string }).ref}` : ''})`;
      }),
    };
  } finally {
    await scope.close();
  }
}

const note = (what: string) => process.stderr.write(`${new Date().toISOString()} ${what}\n`);
const config = ConfigSchema.parse({
  forecast: { defaultModel: MODEL, historyDays: HISTORY_DAYS, holidays: 'FR' },
  jobs: { score: { enabled: false }, review: { enabled: false }, drift: { enabled: false } },
});
const KINDS = ['rupture', 'fallback-on', 'fallback-off', 'planned'];

function printTable(cases: Array<[string, Outcome]>, eventIds: string[], accuracyIds: string[], over: string, withMae: boolean): void {
  const header = ['', ...cases.map(([c]) => c)];
  const rows: string[][] = [
    ...KINDS.flatMap((k) => eventIds.map((id) => [`${k} events, ${id}`, ...cases.map(([, o]) => String(o.events.get(`${k} ${id}`) ?? 0))])),
    ...accuracyIds.map((id) => [`day-ahead MAPE % over the ${over}, ${id}`, ...cases.map(([, o]) => (o.mape.has(id) ? o.mape.get(id)!.toFixed(2) : '—'))]),
    ...(withMae ? accuracyIds.map((id) => [`day-ahead MAE MW over the ${over}, ${id}`, ...cases.map(([, o]) => (o.mae.has(id) ? o.mae.get(id)!.toFixed(1) : '—'))]) : []),
    ['replay (wall, s)', ...cases.map(([, o]) => o.seconds.toFixed(0))],
    ['failed ticks', ...cases.map(([, o]) => String(o.failedTicks))],
  ];
  console.log(`| ${header.join(' | ')} |\n|${header.map((_, i) => (i === 0 ? '---' : '---:')).join('|')}|`);
  for (const r of rows) console.log(`| ${r.join(' | ')} |`);
}

async function transferCase(): Promise<void> {
  const store = await openBenchStore(values['database-url']);
  try {
    const t0 = performance.now();
    await seed(store.db, readDefaultGrid(), switched);
    const seedSeconds = (performance.now() - t0) / 1000;
    const transfers = transfersRepository(store.db);
    const plan = (issuedAt: Date) => ({
      ref: 'SW-2025-01', source: 'dso', from_node: FROM_NODE, to_node: TO_NODE, start: T_START.toISOString(), end: T_END.toISOString(),
      share: SHARE, issued_at: issuedAt.toISOString(), status: 'planned' as const, reason: 'bench: feeder switched for works',
    });
    const ids = [FROM_NODE, TO_NODE, PARENT];
    note(`seeded in ${seedSeconds.toFixed(0)} s; replay without a plan`);
    const none = await replay(store, config, 'noplan', ids, [T_START, T_END]);
    note('replay with the late plan');
    // Issued late: the day-ahead runs published before it forecast no transfer for the first day.
    await transfers.append([plan(new Date(T_START.getTime() + 3 * H))]);
    const late = await replay(store, config, 'late', ids, [T_START, T_END]);
    // The same plan issued a week before (its first version from then on).
    await transfers.append([plan(new Date(T_START.getTime() - 7 * DAY))]);
    note('replay with the plan issued before');
    const early = await replay(store, config, 'early', ids, [T_START, T_END]);
    console.log(
      `${store.db.kind}: simulated grid seeded in ${seedSeconds.toFixed(0)} s; replay ${FROM.toISOString()} → ${TO.toISOString()} (${DAYS} days, day-ahead); ` +
        `${SHARE * 100} % of ${FROM_NODE} carried by ${TO_NODE} over ${T_START.toISOString()} → ${T_END.toISOString()} (${PARENT} unchanged)`,
    );
    printTable([['no plan', none], ['plan issued 3 h after the switching began', late], ['plan issued 7 days before', early]], [FROM_NODE, TO_NODE], ids, 'transfer', false);
  } finally {
    await store.done();
  }
}

async function outageCase(): Promise<void> {
  const store = await openBenchStore(values['database-url']);
  try {
    const t0 = performance.now();
    await seed(store.db, withPlant(), stopped);
    const seedSeconds = (performance.now() - t0) / 1000;
    const schedules = scheduleRepository(store.db);
    // Through the service the API and `gridcast ingest schedules` use.
    const issue = (issuedAt: Date) =>
      ingestSchedules(
        schedules,
        scheduleJsonBatch(`outage schedule issued ${issuedAt.toISOString()}`, [
          { series_id: PLANT, interval_start: O_START.toISOString(), interval_end: O_END.toISOString(), value: AUX_MW, unit: 'MW', issued_at: issuedAt.toISOString(), source: 'steel-plant', reason: 'bench: maintenance stop' },
        ]),
      );
    const ids = [PLANT, PARENT, NATION];
    note(`seeded in ${seedSeconds.toFixed(0)} s; replay without a schedule`);
    const none = await replay(store, config, 'nosched', ids, [O_START, O_END]);
    note('replay with the late schedule');
    await issue(new Date(O_START.getTime() + 3 * H));
    const late = await replay(store, config, 'latesched', ids, [O_START, O_END]);
    await issue(new Date(O_START.getTime() - 5 * DAY));
    note('replay with the schedule issued before');
    const early = await replay(store, config, 'earlysched', ids, [O_START, O_END]);
    console.log(
      `${store.db.kind}: simulated grid with ${PLANT} under ${PARENT} seeded in ${seedSeconds.toFixed(0)} s; replay ${FROM.toISOString()} → ${TO.toISOString()} (${DAYS} days, day-ahead); ` +
        `${PLANT} at ${AUX_SHARE * 100} % of its load over ${O_START.toISOString()} → ${O_END.toISOString()} (schedule: ${AUX_MW} MW)`,
    );
    const cases: Array<[string, Outcome]> = [['no schedule', none], ['schedule issued 3 h after the outage began', late], ['schedule issued 5 days before', early]];
    printTable(cases, ids, ids, 'outage', true);
    for (const [name, o] of cases) for (const l of o.list) console.log(`${name}: ${l}`);
  } finally {
    await store.done();
  }
}

if (values.case !== 'outage') await transferCase();
if (values.case !== 'transfer') await outageCase();
