import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JobRunsRepository } from '../core/job-runs.ts';
import type { Db } from '../store/db.ts';
import { jobRunsRepository } from '../store/job-runs.repository.ts';
import { backends, freshDb } from './db.ts';
import { fakeJobRuns } from './fakes/job-runs.ts';

// The same contract for the real repository on each backend and for the scheduler unit tests' fake.
describe.each([...backends, 'fake' as const])('job runs repository (%s)', (kind) => {
  let db: Db | undefined;
  let repo: JobRunsRepository;
  beforeAll(async () => {
    if (kind === 'fake') repo = fakeJobRuns();
    else {
      db = await freshDb(kind);
      repo = jobRunsRepository(db);
    }
  });
  afterAll(() => db?.close());

  it('claims a tick once, records its outcome, and reports each job\'s last run', async () => {
    const runs = repo;
    const t1 = new Date('2026-01-12T10:05:00Z');
    const t2 = new Date('2026-01-12T11:05:00Z');
    expect(await runs.lastTick('a')).toBeNull();
    expect(await runs.withClaim('a', t1, 'i1', async () => ({ status: 'failed', attempts: 3, error: 'boom' }))).toEqual({ status: 'failed', attempts: 3, error: 'boom' });
    let called = false;
    expect(await runs.withClaim('a', t1, 'i2', async () => ((called = true), { status: 'succeeded', attempts: 1, error: null }))).toBeNull();
    expect(called).toBe(false);
    expect(await runs.recordMissed('a', [t1, t2], 'i2', 'no run')).toEqual([t2]);
    expect(await runs.recordMissed('a', [t2], 'i1', 'no run')).toEqual([]);
    await runs.withClaim('b', t1, 'i1', async () => ({ status: 'succeeded', attempts: 1, error: null }));
    expect(await runs.lastTick('a')).toEqual(t2);
    const last = await runs.lastRuns();
    expect(last).toMatchObject([
      { job: 'a', scheduledAt: t2, instance: 'i2', status: 'missed', error: 'no run' },
      { job: 'b', scheduledAt: t1, instance: 'i1', status: 'succeeded', attempts: 1, error: null, finishedAt: expect.any(Date), startedAt: expect.any(Date) },
    ]);
  });

  it('an interrupted run withdraws its claim; a throwing run leaves no claim', async () => {
    const runs = repo;
    const t = new Date('2026-01-12T10:05:00Z');
    expect(await runs.withClaim('c', t, 'i1', async () => ({ status: 'interrupted', attempts: 1, error: 'stopped' }))).toMatchObject({ status: 'interrupted' });
    expect(await runs.lastTick('c')).toBeNull();
    if (kind !== 'pglite') {
      await expect(runs.withClaim('d', t, 'i1', async () => { throw new Error('bad'); })).rejects.toThrow('bad');
      expect(await runs.lastTick('d')).toBeNull();
    }
  });

  it('holds the job while a run goes on (on PostgreSQL the claim stays uncommitted until the run ends)', async () => {
    // PGlite has one connection: the scheduler's in-process guard holds a job there.
    if (kind === 'pglite') return;
    const runs = repo;
    const t = new Date('2026-01-12T10:05:00Z');
    let release!: () => void;
    let inside!: () => void;
    const entered = new Promise<void>((r) => (inside = r));
    const first = runs.withClaim('e', t, 'i1', () => new Promise((r) => ((release = () => r({ status: 'succeeded', attempts: 1, error: null })), inside())));
    await entered;
    if (kind === 'pg') expect(await runs.lastTick('e')).toBeNull();
    // Another tick of the same job is refused while the lock is held.
    expect(await runs.withClaim('e', new Date('2026-01-12T11:05:00Z'), 'i2', async () => ({ status: 'succeeded', attempts: 1, error: null }))).toBeNull();
    release();
    await first;
    expect(await runs.lastTick('e')).toEqual(t);
  });
});
