import { setImmediate } from 'node:timers/promises';
import type { Config } from '../core/config.ts';
import { cliLog, type Log } from '../core/log.ts';
import { flushAggregates, pendingAggregateMarks } from './aggregates.ts';
import { openDb, type Db } from './db.ts';
import { migrate } from './migrate.ts';

/** What a one-shot command spends at most, when it opens the store, on aggregates an earlier process left to store. */
export const PENDING_AGGREGATES_BUDGET_MS = 2000;

/**
 * Opens the configured store (PostgreSQL if databaseUrl, else PGlite in dataDir), migrates it,
 * and stores pending aggregates for up to `pendingAggregatesBudgetMs` (see finishPendingAggregates).
 */
export async function openStore(
  config: Pick<Config, 'databaseUrl' | 'dataDir'>,
  opts: { pendingAggregatesBudgetMs?: number; log?: Log } = {},
): Promise<Db> {
  const log = opts.log ?? cliLog;
  const db = await openDb({ databaseUrl: config.databaseUrl, dataDir: config.dataDir, log });
  try {
    await migrate(db);
    await finishPendingAggregates(db, opts.pendingAggregatesBudgetMs ?? PENDING_AGGREGATES_BUDGET_MS, log);
  } catch (e) {
    await db.close().catch(() => {});
    throw e;
  }
  return db;
}

/**
 * Stores the aggregates that writes committed with only a dirty mark (a bulk import killed
 * between its commit and its flush, live flushes between two aggregates-flush ticks): queries
 * are exact without them, but compute every marked bucket from the raw points, so they slow
 * down while marks stay. Works in growing batches until none is left or `budgetMs` has passed
 * (a batch under way is finished), so a short command is delayed by about the budget at most;
 * what is left waits for the next command, or for `gridcast start`, which finishes everything.
 * Stops early when `signal` aborts. Says what it did when that took noticeable time or left marks behind.
 */
export async function finishPendingAggregates(db: Db, budgetMs: number, log: Log, signal?: AbortSignal): Promise<{ marks: number; left: number; ms: number }> {
  const t0 = performance.now();
  let marks = 0;
  let limit = 16;
  while (performance.now() - t0 < budgetMs && !signal?.aborted) {
    // A turn of the event loop between batches (PGlite never waits on I/O), so a signal is heard.
    await setImmediate();
    const t = performance.now();
    const n = await flushAggregates(db, limit);
    if (n === 0) break;
    marks += n;
    // Batches that finish quickly grow, so thousands of small live marks do not take a transaction each.
    if (performance.now() - t < budgetMs / 8) limit = Math.min(limit * 2, 5000);
  }
  const ms = Math.round(performance.now() - t0);
  const left = marks > 0 || budgetMs <= 0 ? await pendingAggregateMarks(db) : 0;
  if (left > 0) {
    log.warn(
      { stored: marks, left, seconds: ms / 1000 },
      `${left} aggregate marks still pending (queries stay exact, only slower); the next command or 'gridcast start' stores them`,
    );
  } else if (marks > 0 && ms >= 1000) {
    log.info({ stored: marks, seconds: ms / 1000 }, 'stored the aggregates an earlier write left pending');
  }
  return { marks, left, ms };
}
