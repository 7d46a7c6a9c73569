import { createHash } from 'node:crypto';
import { z } from 'zod';
import type { CommitRows } from './buffer.ts';
import type { Log } from '../../core/log.ts';
import { HttpPollBody } from './point.ts';
import type { ScreenRows } from './screen.ts';

export interface HttpPollTarget {
  url: string;
  cron: string;
}

export interface PollResult {
  url: string;
  ok: boolean;
  points: number;
  written: number;
  /** Points refused by the screen (out of their physical range), never written. */
  rejected: number;
  error?: string;
}

/**
 * Fetches one endpoint and commits its points in one transaction. Timeouts, HTTP errors and
 * invalid bodies are returned as a failed result (and logged), never thrown: the next tick
 * simply tries again. With a `screen`, points out of their physical range are refused (and
 * counted in the result); the others are written.
 */
export async function pollOnce(target: { url: string }, commit: CommitRows, log: Log, timeoutMs = 5000, screen?: ScreenRows): Promise<PollResult> {
  const fail = (error: string): PollResult => {
    log.error({ url: target.url, err: error }, 'HTTP poll failed');
    return { url: target.url, ok: false, points: 0, written: 0, rejected: 0, error };
  };
  let body: unknown;
  let text: string;
  const signal = AbortSignal.timeout(timeoutMs);
  try {
    const res = await fetch(target.url, { signal, headers: { accept: 'application/json' } });
    if (!res.ok) return fail(`HTTP ${res.status} ${res.statusText}`);
    text = await res.text();
  } catch (e) {
    return fail(signal.aborted ? `no answer within ${timeoutMs} ms` : (e as Error).message);
  }
  try {
    body = JSON.parse(text);
  } catch {
    return fail('invalid body: not JSON');
  }
  const parsed = HttpPollBody.safeParse(body);
  if (!parsed.success) return fail(`invalid body: ${z.prettifyError(parsed.error)}`);
  const rows = parsed.data.map((p) => ({ seriesId: p.seriesId, ts: p.ts, value: p.value, quality: p.quality ?? 'ok' }));
  try {
    const { accepted, rejected } = screen ? await screen(rows) : { accepted: rows, rejected: [] };
    // The same body polled twice (an endpoint that has not moved on) is one batch.
    const batchKey = `http:${createHash('sha256').update(target.url).update('\0').update(text).digest('hex')}`;
    const written = accepted.length ? await commit(accepted, batchKey) : 0;
    return { url: target.url, ok: true, points: rows.length, written, rejected: rejected.length };
  } catch (e) {
    return fail(`write failed: ${(e as Error).message}`);
  }
}
