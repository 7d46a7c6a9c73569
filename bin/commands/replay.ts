import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { HORIZONS, loadConfig, type Horizon } from '../../core/config.ts';
import { EVENT_KINDS } from '../../core/events.ts';
import { timeInZone } from '../../core/time-input.ts';
import { eventView, type EventView } from '../../api/routes/v1/events.ts';
import { accuracyService, type AccuracyReport } from '../../monitoring/accuracy.service.ts';
import { pooledByHorizon } from '../../monitoring/pooled-accuracy.ts';
import { lifeCycleEvents, replayClock, replayJobs } from '../../jobs/replay.ts';
import { REVIEW_JOB } from '../../jobs/review.job.ts';
import { SCORE_JOB } from '../../jobs/score.job.ts';
import { registryRepository } from '../../store/registry.repository.ts';
import { eventsRepository } from '../../store/events.repository.ts';
import { openStore } from '../../store/open.ts';
import { openReplayScope } from '../../store/replay.repository.ts';
import { stringOptions } from '../lib/args.ts';
import { usageError, usageText } from '../lib/cli.ts';
import { KNOWLEDGE, replayJobsOf } from '../lib/replay-jobs.ts';
import { eventsCsv } from './events.ts';
import { printTable } from './models.ts';

export const summary = 'replay operations over a past period: scheduled runs, scoring, review, detection and the fallback policy as the live system would, events as CSV';

export const usage = usageText(
  ['gridcast replay --from T1 --to T2 [--horizon H[,H…]] [--known-at timestamps|received] [--events-out FILE.csv] [--keep]'],
  `  Steps a clock through [T1, T2) and runs the scheduled jobs of the horizons (default day-ahead) and the
  monitoring jobs at their ticks (score, review, ruptures, drift), on the stored data as known at each tick and
  the champions of that time. What it makes (runs, scores, monitor state, events, retraining proposals) goes to a
  scratch schema dropped at the end (--keep: kept, named on stderr); the live store is not written.
  It prints the ticks per job, the accuracy of the replayed runs per horizon and grain (MAPE, MAE, bias, coverage),
  the events per kind and the retraining proposals raised.
  --known-at: timestamps (default): every stored value timed before a tick's origin, whenever received (an imported
  history); received: only what had been received by the tick, later revisions left out (a store fed live).
  Scoring reads the actuals the same way: an hour settled by the tick, from all its stored data (timestamps) or
  from the data received by the tick (received).
  --events-out: every event as CSV (at,kind,series_id,model_version,detail), retraining proposals included.
  H: ${HORIZONS.join(', ')}
  T: an instant with its offset (2026-12-03T00:00:00Z) or a date (local midnight of the store's time zone)`,
);

const Args = z.object({
  from: z.string({ error: '--from is required' }),
  to: z.string({ error: '--to is required' }),
  horizon: z
    .string()
    .default('day-ahead')
    .transform((s, ctx) => {
      const hs = s.split(',').map((h) => h.trim()).filter(Boolean);
      const bad = hs.filter((h) => !(HORIZONS as readonly string[]).includes(h));
      if (bad.length || hs.length === 0) ctx.addIssue({ code: 'custom', message: `--horizon: ${bad.join(', ') || '(none)'} is not a horizon; use ${HORIZONS.join(', ')}` });
      return hs as Horizon[];
    }),
  'known-at': z.enum(KNOWLEDGE, { error: `--known-at must be ${KNOWLEDGE.join(' or ')}` }).default('timestamps'),
  'events-out': z.string().min(1).optional(),
});

export async function run(args: string[]): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({ args, options: { ...stringOptions(Args), keep: { type: 'boolean' } } }));
  } catch (e) {
    throw usageError((e as Error).message);
  }
  const { keep, ...rest } = values;
  const parsed = Args.safeParse(rest);
  if (!parsed.success) throw usageError(parsed.error.issues.map((i) => i.message).join('; '));
  const a = parsed.data;
  const config = loadConfig();
  const [from, to] = [timeInZone(a.from, config.timeZone, '--from'), timeInZone(a.to, config.timeZone, '--to')];
  if (!(from < to)) throw usageError(`--from (${from.toISOString()}) must be before --to (${to.toISOString()})`);
  const db = await openStore(config);
  try {
    const scope = await openReplayScope(db, { ...(config.databaseUrl && { databaseUrl: config.databaseUrl }) });
    let kept = false;
    try {
      const clock = replayClock(from);
      const jobs = replayJobsOf(scope.db, config, clock, { horizons: a.horizon, knowledge: a['known-at'] });
      const ticks = await replayJobs(jobs, {
        from,
        to,
        timeZone: config.timeZone,
        clock,
        onTick: (t) => process.stderr.write(`${t.at.toISOString()} ${t.job} ${t.status}${t.error ? ` ${t.error.code}: ${t.error.message}` : ''}\n`),
      });
      const log = eventsRepository(scope.db);
      for (const e of lifeCycleEvents(await registryRepository(scope.db).audit({ entity: 'model_version', limit: Number.MAX_SAFE_INTEGER }), from, to)) await log.append(e);
      const events = (await log.list({ from, to, limit: Number.MAX_SAFE_INTEGER })).reverse().map(eventView);
      if (a['events-out']) writeFileSync(a['events-out'], eventsCsv(events));
      const byJob = new Map<string, { ok: number; failed: number }>();
      for (const t of ticks) {
        const c = byJob.get(t.job) ?? { ok: 0, failed: 0 };
        c[t.status === 'succeeded' ? 'ok' : 'failed']++;
        byJob.set(t.job, c);
      }
      console.log(`replayed ${from.toISOString()} → ${to.toISOString()}: ${ticks.length} ticks`);
      printTable(['job', 'succeeded', 'failed'], [...byJob].map(([job, c]) => [job, String(c.ok), String(c.failed)]));
      if (jobs.some((j) => j.name === SCORE_JOB)) printAccuracy(await accuracyService(scope.db, config).read({ from: from.toISOString(), to: to.toISOString(), by: 'series' }));
      else console.log('nothing scored: the score job is disabled (config jobs.score.enabled: false)');
      const kinds = EVENT_KINDS.map((k) => [k, events.filter((e) => e.kind === k).length] as const).filter(([, n]) => n > 0);
      console.log(`${events.length} events${a['events-out'] ? ` written to ${a['events-out']}` : ''}`);
      if (kinds.length) printTable(['kind', 'events'], kinds.map(([k, n]) => [k, String(n)]));
      if (!jobs.some((j) => j.name === REVIEW_JOB)) console.log('no review: the review job is disabled (config jobs.review.enabled: false)');
      else printProposals(events.filter((e) => e.kind === 'retrain-proposal'), byJob.get(REVIEW_JOB)?.ok ?? 0);
      kept = keep === true;
      if (kept) process.stderr.write(`replay schema kept: ${scope.schema} (drop it with DROP SCHEMA ${scope.schema} CASCADE)\n`);
      return ticks.some((t) => t.status === 'failed') ? 1 : 0;
    } finally {
      await scope.close({ keep: kept });
    }
  } finally {
    await db.close();
  }
}

const fixed = (v: number | null, d: number) => (v === null ? '—' : v.toFixed(d));

/** The accuracy of the replayed runs: every series of a horizon pooled, hours and days apart. */
function printAccuracy(report: AccuracyReport): void {
  const pools = pooledByHorizon(report.rows, HORIZONS);
  if (pools.length === 0) {
    console.log('no forecast value scored: no actual settled for the replayed runs within the period');
    return;
  }
  console.log(`accuracy of the replayed runs (latest score of each value, target times in [${report.from.toISOString()}, ${report.to.toISOString()})):`);
  printTable(
    ['horizon', 'grain', 'series', 'values', 'MAPE %', 'MAE', 'bias', 'coverage %'],
    pools.map((p) => [p.horizon, p.grain, String(p.rows), String(p.n), fixed(p.mape, 2), fixed(p.mae, 3), fixed(p.bias, 3), fixed(p.coverage, 1)]),
  );
}

/** One line per retraining proposal the replayed reviews raised. */
function printProposals(proposals: EventView[], reviews: number): void {
  const why = reviews === 0 ? ' (no review ran: the monthly review had no tick that succeeded in the period)' : '';
  console.log(`${proposals.length} retraining proposal${proposals.length === 1 ? '' : 's'}${proposals.length ? ':' : why}`);
  for (const p of proposals) {
    const d = p.detail as { windowMape?: number; backtestMape?: number; ratio?: number; scoredDays?: number };
    const num = (v: unknown, k: number) => (typeof v === 'number' ? v.toFixed(k) : '—');
    console.log(`  ${p.at} ${p.modelVersion}: window MAPE ${num(d.windowMape, 2)} % vs backtest ${num(d.backtestMape, 2)} % (×${num(d.ratio, 2)}) on ${d.scoredDays ?? '—'} scored days`);
  }
}
