/**
 * The ports of a distributed forecast run (issue 13): a job queue (pg-boss on PostgreSQL,
 * store/queue.ts) that only schedules, retries and expires jobs, and a share store
 * (store/run-jobs.repository.ts) that holds each job's input and answer as bytes. The run
 * maker (forecast/run/queue.ts) puts shares and jobs; `gridcast worker` processes answer them.
 */

/** What a queued job carries: where its share is. The share itself is in the share store. */
export interface ShareRef {
  token: string;
  key: string;
}

export interface QueueJobOptions {
  /** A job still active after this long is taken back and retried (a killed or hung worker). */
  expireInSeconds: number;
  retryLimit: number;
}

export interface RunJobQueue {
  /** Enqueues one job per share, singleton per (run token, key); resolves with the job ids. */
  send(refs: ShareRef[], opts: QueueJobOptions): Promise<string[]>;
  /** Withdraws jobs the run no longer waits for (deadline passed, run cancelled). */
  cancel(ids: string[]): Promise<void>;
}

export interface ShareAnswer {
  key: string;
  output: Uint8Array | null;
  error: string | null;
  worker: string | null;
}

export interface LiveWorker {
  id: string;
  host: string;
  pid: number;
}

export interface RunShares {
  put(token: string, shares: Array<{ key: string; input: Uint8Array }>): Promise<void>;
  input(ref: ShareRef): Promise<Uint8Array | null>;
  /** Records a worker's answer; false when the share already had one (or was withdrawn). */
  answer(ref: ShareRef, a: { output: Uint8Array } | { error: string }, worker: string): Promise<boolean>;
  /** Answers not yet read by the run, each returned once. */
  takeAnswers(token: string): Promise<ShareAnswer[]>;
  drop(token: string): Promise<void>;
  /** Workers seen within `withinSec`. */
  liveWorkers(withinSec: number): Promise<LiveWorker[]>;
  workerSeen(w: LiveWorker): Promise<void>;
  workerGone(id: string): Promise<void>;
  /** Deletes the shares of runs older than `olderThanSec` (a run maker that died before cleaning up). */
  dropStale(olderThanSec: number): Promise<number>;
}
