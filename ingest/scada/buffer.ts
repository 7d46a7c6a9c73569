import type { Log } from '../../core/log.ts';
import type { MeasurementRow } from './point.ts';
import type { ScreenRows } from './screen.ts';

/**
 * Commits one batch: every row in one transaction, or none. Returns the rows written. A batch
 * key identifies input that must be ingested once (a second commit with it writes nothing).
 */
export type CommitRows = (rows: MeasurementRow[], batchKey?: string) => Promise<number>;

export interface IngestBuffer {
  /** Queues rows; `onCommitted` runs once they (and everything queued before) are committed. */
  add(rows: MeasurementRow[], onCommitted?: () => void): void;
  /** Commits everything queued now; resolves when it is committed (rejects if the commit failed). */
  flush(): Promise<void>;
  /** Flushes what is queued and stops the timer. */
  close(): Promise<void>;
  stats(): IngestStats;
}

export interface IngestStats {
  pending: number;
  committedPoints: number;
  /** Points refused by the screen (out of their physical range), never written. */
  rejectedPoints: number;
  flushes: number;
  failedFlushes: number;
  lastCommitAt: Date | null;
}

/**
 * Collects points from a live source and commits them in small batches (every `flushMs` or
 * `maxPoints`, whichever comes first). Callbacks queued with the rows run in arrival order only
 * after the commit holding those rows, which is how the MQTT subscriber acknowledges a message
 * only once its points are durable. A failed commit keeps the rows (and their callbacks) at the
 * head of the queue and retries after `retryMs`: a database outage delays data, it never drops it.
 * With a `screen`, each batch is checked first: refused points are counted (the screen logs
 * them) and never written, nor retried.
 */
export function createIngestBuffer(opts: {
  commit: CommitRows;
  log: Log;
  source: string;
  screen?: ScreenRows;
  flushMs?: number;
  maxPoints?: number;
  retryMs?: number;
}): IngestBuffer {
  const flushMs = opts.flushMs ?? 200;
  const maxPoints = opts.maxPoints ?? 5000;
  const retryMs = opts.retryMs ?? 1000;
  let rows: MeasurementRow[] = [];
  let callbacks: Array<() => void> = [];
  let timer: NodeJS.Timeout | null = null;
  let running: Promise<void> = Promise.resolve();
  let closed = false;
  const stats: IngestStats = { pending: 0, committedPoints: 0, rejectedPoints: 0, flushes: 0, failedFlushes: 0, lastCommitAt: null };

  const schedule = (ms: number) => {
    if (!timer && !closed) timer = setTimeout(() => void flush().catch(() => {}), ms);
  };

  async function commitOnce(): Promise<void> {
    if (timer) {
      clearTimeout(timer);
      timer = null;
    }
    if (rows.length === 0 && callbacks.length === 0) return;
    let batch = rows;
    const done = callbacks;
    rows = [];
    callbacks = [];
    try {
      if (opts.screen && batch.length > 0) {
        const { accepted, rejected } = await opts.screen(batch);
        batch = accepted;
        stats.rejectedPoints += rejected.length;
      }
      if (batch.length > 0) stats.committedPoints += await opts.commit(batch);
      stats.flushes++;
      stats.lastCommitAt = new Date();
    } catch (e) {
      stats.failedFlushes++;
      rows = batch.concat(rows);
      callbacks = done.concat(callbacks);
      opts.log.error({ source: opts.source, points: batch.length, err: (e as Error).message }, 'ingest flush failed; will retry');
      schedule(retryMs);
      throw e;
    }
    for (const cb of done) cb();
    if (rows.length >= maxPoints) void flush().catch(() => {});
    else if (rows.length > 0 || callbacks.length > 0) schedule(flushMs);
  }

  // At most one flush waits behind the running one: it takes whatever has arrived by the time it starts.
  let queued = false;
  function flush(): Promise<void> {
    if (queued) return running;
    queued = true;
    running = running
      .catch(() => {})
      .then(() => {
        queued = false;
        return commitOnce();
      });
    return running;
  }

  return {
    add(newRows, onCommitted) {
      for (const r of newRows) rows.push(r);
      if (onCommitted) callbacks.push(onCommitted);
      if (rows.length >= maxPoints) void flush().catch(() => {});
      else schedule(flushMs);
    },
    flush,
    async close() {
      try {
        await flush();
      } finally {
        // Closed even when that last commit failed (the store is down): its rows stay unacknowledged, not retried by a stopped source.
        closed = true;
        if (timer) clearTimeout(timer);
        timer = null;
      }
    },
    stats: () => ({ ...stats, pending: rows.length }),
  };
}
