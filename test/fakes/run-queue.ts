import type { LiveWorker, QueueJobOptions, RunShares, ShareAnswer, ShareRef } from '../../core/run-queue.ts';

/** run_job_shares and run_workers in memory (store/run-jobs.repository.ts), for unit tests of the queue runner. */
export function fakeRunShares(): RunShares & { rows: Map<string, { input: Uint8Array; answer?: { output: Uint8Array | null; error: string | null; worker: string }; collected: boolean }>; live: LiveWorker[] } {
  const rows = new Map<string, { input: Uint8Array; answer?: { output: Uint8Array | null; error: string | null; worker: string }; collected: boolean }>();
  const k = (r: ShareRef) => `${r.token}\0${r.key}`;
  const self = {
    rows,
    live: [] as LiveWorker[],
    async put(token: string, shares: Array<{ key: string; input: Uint8Array }>) {
      for (const s of shares) rows.set(k({ token, key: s.key }), { input: s.input, collected: false });
    },
    async input(ref: ShareRef) {
      const r = rows.get(k(ref));
      return r && !r.answer ? r.input : null;
    },
    async answer(ref: ShareRef, a: { output: Uint8Array } | { error: string }, worker: string) {
      const r = rows.get(k(ref));
      if (!r || r.answer) return false;
      r.answer = { output: 'output' in a ? a.output : null, error: 'error' in a ? a.error : null, worker };
      return true;
    },
    async takeAnswers(token: string) {
      const out: ShareAnswer[] = [];
      for (const [key, r] of rows) {
        if (!key.startsWith(`${token}\0`) || !r.answer || r.collected) continue;
        r.collected = true;
        out.push({ key: key.slice(token.length + 1), ...r.answer });
      }
      return out;
    },
    async drop(token: string) {
      for (const key of [...rows.keys()]) if (key.startsWith(`${token}\0`)) rows.delete(key);
    },
    async liveWorkers() {
      return self.live;
    },
    async workerSeen(w: LiveWorker) {
      if (!self.live.some((x) => x.id === w.id)) self.live.push(w);
    },
    async workerGone(id: string) {
      self.live = self.live.filter((x) => x.id !== id);
    },
    async dropStale() {
      return 0;
    },
  };
  return self;
}

/** The pg-boss queue in memory: what was sent, cancelled, and which jobs a test declares failed. */
export function fakeRunQueue() {
  const sent: Array<{ id: string; ref: ShareRef; opts: QueueJobOptions }> = [];
  const cancelled = new Set<string>();
  const failedIds = new Set<string>();
  let n = 0;
  return {
    sent,
    cancelled,
    failedIds,
    /** What "the workers" do once the jobs are sent; awaited by send. */
    onSend: (() => {}) as (refs: ShareRef[]) => void | Promise<unknown>,
    async send(refs: ShareRef[], opts: QueueJobOptions) {
      const ids = refs.map((ref) => {
        const id = `job-${++n}`;
        sent.push({ id, ref, opts });
        return id;
      });
      await this.onSend(refs);
      return ids;
    },
    async cancel(ids: string[]) {
      for (const id of ids) cancelled.add(id);
    },
    async failed(ids: string[]) {
      return ids.filter((id) => failedIds.has(id));
    },
  };
}
