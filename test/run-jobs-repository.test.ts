import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../store/db.ts';
import { runSharesRepository } from '../store/run-jobs.repository.ts';
import { backends, freshDb } from './db.ts';

const TOKEN = '6f1c2a4e-0000-4000-8000-000000000001';

describe.each(backends)('run job shares and the worker pool (%s)', (kind) => {
  let db: Db;
  beforeAll(async () => {
    db = await freshDb(kind);
  });
  afterAll(() => db?.close());

  it('keeps inputs as bytes, takes the first answer of a share only, hands each answer to the run once, and drops the run', async () => {
    const shares = runSharesRepository(db);
    const input = new Uint8Array([0, 1, 2, 255, 128]);
    await shares.put(TOKEN, [
      { key: 'a', input },
      { key: 'b', input: new Uint8Array([7]) },
    ]);
    expect([...(await shares.input({ token: TOKEN, key: 'a' }))!]).toEqual([...input]);
    expect(await shares.takeAnswers(TOKEN)).toEqual([]);
    expect(await shares.answer({ token: TOKEN, key: 'a' }, { output: new Uint8Array([9, 9]) }, 'w1')).toBe(true);
    // A job retried after its worker was presumed dead answers too late: the first answer stands.
    expect(await shares.answer({ token: TOKEN, key: 'a' }, { output: new Uint8Array([1]) }, 'w2')).toBe(false);
    // An answered share is gone for workers: a retried job skips it.
    expect(await shares.input({ token: TOKEN, key: 'a' })).toBeNull();
    expect(await shares.answer({ token: TOKEN, key: 'b' }, { error: 'boom' }, 'w2')).toBe(true);
    const got = (await shares.takeAnswers(TOKEN)).sort((x, y) => (x.key < y.key ? -1 : 1));
    expect(got.map((g) => ({ ...g, output: g.output && [...g.output] }))).toEqual([
      { key: 'a', output: [9, 9], error: null, worker: 'w1' },
      { key: 'b', output: null, error: 'boom', worker: 'w2' },
    ]);
    expect(await shares.takeAnswers(TOKEN)).toEqual([]);
    await shares.drop(TOKEN);
    expect(await shares.input({ token: TOKEN, key: 'b' })).toBeNull();
    expect(await shares.answer({ token: TOKEN, key: 'b' }, { error: 'x' }, 'w3')).toBe(false);
  });

  it('sees a worker while it beats and not once it left', async () => {
    const shares = runSharesRepository(db);
    await shares.workerSeen({ id: 'host-1:42:ab', host: 'host-1', pid: 42 });
    await shares.workerSeen({ id: 'host-1:42:ab', host: 'host-1', pid: 42 });
    expect(await shares.liveWorkers(60)).toEqual([{ id: 'host-1:42:ab', host: 'host-1', pid: 42 }]);
    await db.query(`UPDATE run_workers SET seen_at = now() - interval '2 minutes'`);
    expect(await shares.liveWorkers(60)).toEqual([]);
    await shares.workerSeen({ id: 'host-1:42:ab', host: 'host-1', pid: 42 });
    expect(await shares.liveWorkers(60)).toHaveLength(1);
    await shares.workerGone('host-1:42:ab');
    expect(await shares.liveWorkers(60)).toEqual([]);
  });
});
