import { setTimeout as sleep } from 'node:timers/promises';
import { isConnectionLost } from './errors.ts';

/** How work cut by a lost store connection is tried again: `attempts` in all, waits doubling from `firstDelayMs` up to `maxDelayMs`. */
export interface Backoff {
  attempts: number;
  firstDelayMs: number;
  maxDelayMs: number;
}

/**
 * A PostgreSQL restart (pg_ctl restart, a crash and its recovery, a failover) usually takes a few
 * seconds: waits of 0.5, 1, 2, 4, 8, 8, 8 s give the server about 30 s to come back.
 */
export const RECONNECT_BACKOFF: Backoff = { attempts: 8, firstDelayMs: 500, maxDelayMs: 8000 };

/** The wait before attempt `attempt + 1` (attempt counts from 1). */
export const backoffDelay = (b: Backoff, attempt: number): number => Math.min(b.maxDelayMs, b.firstDelayMs * 2 ** (attempt - 1));

/**
 * Runs `fn` (a whole transaction: it must be safe to run again after a rollback) and runs it again
 * when it fails with a lost store connection (DB_CONNECTION_LOST), after the backoff's wait, at most
 * `backoff.attempts` times in all; any other failure, the last lost connection, or an abort is thrown.
 * `onRetry` hears each retry before its wait (to log it).
 */
export async function retryOnConnectionLoss<T>(
  fn: (attempt: number) => Promise<T>,
  opts: { backoff?: Backoff; signal?: AbortSignal; onRetry?: (e: Error, attempt: number, delayMs: number) => void } = {},
): Promise<T> {
  const b = opts.backoff ?? RECONNECT_BACKOFF;
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn(attempt);
    } catch (e) {
      if (!isConnectionLost(e) || attempt >= b.attempts || opts.signal?.aborted) throw e;
      const delay = backoffDelay(b, attempt);
      opts.onRetry?.(e, attempt, delay);
      await sleep(delay, undefined, opts.signal ? { signal: opts.signal } : {}).catch(() => {
        throw e;
      });
    }
  }
}
