import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { loadConfig } from '../../core/config.ts';
import { GridcastError } from '../../core/errors.ts';
import { cliLog } from '../../core/log.ts';
import { answerShare } from '../../forecast/run/queue.ts';
import { resolveArtifacts } from '../../forecast/run/series.ts';
import { inlineGroups } from '../../forecast/run/workers.ts';
import { openStore } from '../../store/open.ts';
import { runSharesRepository } from '../../store/run-jobs.repository.ts';
import { runStoreRepository } from '../../store/run-store.repository.ts';
import { openRunQueue } from '../../store/run-queue.repository.ts';
import { usageError, usageText } from '../lib/cli.ts';

export const summary = 'join the pool that runs the per-series jobs of forecast runs (PostgreSQL; any machine reaching it)';

export const usage = usageText(
  ['gridcast worker [--id NAME]'],
  `  Takes jobs from the pg-boss queue (schema queue.schema) of the database at DATABASE_URL,
  queue.batchSize per fetch, and runs them one at a time: a group of series of a run (history,
  covariates, champion) to condition or fit and predict; a champion's artifact is read from the
  registry of that database. Start as many as the machine has cores, on as many machines as
  needed. A run queues its jobs only while a worker has been seen within queue.workerStaleSec.
  SIGTERM or SIGINT: stops taking jobs, finishes the one under way, leaves the pool, exits 0.
  A killed worker's job is retried by another worker after queue.jobTimeoutSec.
  Prints one line per job on stdout: 'job RUN:KEY start' and 'job RUN:KEY answered|gone|late MS ms'.`,
);

const Args = z.strictObject({ id: z.string().min(1).max(200).optional() });

/** A stop finishes the job under way; past this, the worker leaves anyway (the job is retried elsewhere). */
const STOP_LIMIT_MS = 60_000;

export async function run(args: string[]): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({ args, options: { id: { type: 'string' } }, strict: true }));
  } catch (e) {
    throw usageError((e as Error).message);
  }
  const a = Args.safeParse(values);
  if (!a.success) throw usageError(a.error.issues.map((i) => i.message).join('; '));
  const config = loadConfig();
  if (!config.databaseUrl) {
    throw new GridcastError('QUEUE_NEEDS_POSTGRES', 'gridcast worker needs DATABASE_URL (PostgreSQL): on the embedded PGlite store a run makes its jobs in its own process.');
  }
  const q = config.queue;
  const db = await openStore(config, { pendingAggregatesBudgetMs: 0 });
  const shares = runSharesRepository(db);
  // A queued job names its champion's version; the artifact is read here, from the registry.
  const registry = runStoreRepository(db);
  const me = { id: a.data.id ?? `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`, host: hostname(), pid: process.pid };
  const stats = { jobs: 0, computeMs: 0, computeCpuMs: 0, handlerMs: 0 };
  let queue: Awaited<ReturnType<typeof openRunQueue>> | undefined;
  let heartbeat: NodeJS.Timeout | undefined;
  // The beat in flight when the worker stops: awaited before it leaves the pool, or its upsert
  // could land after the delete and keep a stopped worker listed as live.
  let beat: Promise<void> | undefined;
  try {
    queue = await openRunQueue(db, { schema: q.schema, supervise: true, maintenanceSec: q.maintenanceSec, onError: (e) => cliLog.warn({ err: e.message }, 'queue error') });
    await shares.dropStale(86_400);
    await shares.workerSeen(me);
    heartbeat = setInterval(() => {
      // One beat at a time: a tick while the last is still in flight has nothing to add.
      beat ??= shares
        .workerSeen(me)
        .catch((e: Error) => cliLog.warn({ err: e.message }, 'heartbeat failed'))
        .finally(() => (beat = undefined));
    }, q.heartbeatSec * 1000);
    const stopped = new Promise<NodeJS.Signals>((resolve) => {
      for (const s of ['SIGTERM', 'SIGINT'] as const) process.once(s, () => resolve(s));
    });
    await queue.work({ pollSec: q.pollSec, batchSize: q.batchSize }, async (ref) => {
      const t0 = performance.now();
      console.log(`job ${ref.token}:${ref.key} start`);
      let computeMs = 0;
      let computeCpuMs = 0;
      const outcome = await answerShare(shares, ref, me.id, async (job) => {
        // Reading the champions is the job's handling, not its model: timed apart.
        const ready = { ...job, groups: await resolveArtifacts(job.groups, registry) };
        const c0 = performance.now();
        const cpu0 = process.cpuUsage();
        try {
          return await inlineGroups(ready);
        } finally {
          computeMs = performance.now() - c0;
          const cpu = process.cpuUsage(cpu0);
          computeCpuMs = (cpu.user + cpu.system) / 1000;
        }
      });
      const ms = performance.now() - t0;
      stats.jobs++;
      stats.computeMs += computeMs;
      stats.computeCpuMs += computeCpuMs;
      stats.handlerMs += ms;
      console.log(`job ${ref.token}:${ref.key} ${outcome} ${Math.round(ms)} ms`);
    });
    const ready = process.cpuUsage();
    // The CPU spent starting (loading the code), so a bench can tell it from the jobs' CPU.
    console.log(`worker ${me.id} ready (queue schema ${q.schema}) cpu_ms=${Math.round((ready.user + ready.system) / 1000)}`);
    const signal = await stopped;
    console.log(`worker ${me.id} stopping on ${signal}: finishing the job under way`);
  } finally {
    clearInterval(heartbeat);
    await queue?.stop(STOP_LIMIT_MS);
    await beat;
    await shares.workerGone(me.id).catch((e: Error) => cliLog.warn({ err: e.message }, `could not leave the pool: others see worker ${me.id} until workerStaleSec passes`));
    await db.close();
  }
  const cpu = process.cpuUsage();
  console.log(`worker ${me.id} stopped: jobs=${stats.jobs} compute_ms=${Math.round(stats.computeMs)} compute_cpu_ms=${Math.round(stats.computeCpuMs)} handler_ms=${Math.round(stats.handlerMs)} cpu_ms=${Math.round((cpu.user + cpu.system) / 1000)}`);
  return 0;
}
