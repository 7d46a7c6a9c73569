import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLog } from '../core/log.ts';
import { createScheduler } from '../jobs/scheduler.ts';
import { jobLockKey, jobRunsRepository } from '../store/job-runs.repository.ts';
import { openPg, type Db } from '../store/db.ts';
import { ADVISORY_LOCK } from '../store/locks.ts';
import { insertMeasurements } from '../store/measurements.repository.ts';
import { createSeries } from './aggregates-fixtures.ts';
import { freshDb } from './db.ts';

describe('advisory lock registry', () => {
  it('gives every purpose its own key', () => {
    const values = Object.values(ADVISORY_LOCK);
    expect(new Set(values).size).toBe(values.length);
  });
});

const ALPHABET = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
const FNV_PRIME = 0x01000193;
const FNV_PRIME_INVERSE = (() => {
  // Newton's iteration for the inverse of an odd number modulo 2^32.
  let x = FNV_PRIME;
  for (let i = 0; i < 5; i++) x = Math.imul(x, 2 - Math.imul(FNV_PRIME, x));
  return x;
})();

/**
 * A job name whose lock key is `target`: meet in the middle over jobLockKey's FNV-1a, three
 * characters forward after a fixed prefix, four backward from the target.
 */
function jobNameWithKey(target: number, prefix = 'job-'): string {
  const forward = new Map<number, string>();
  const base = jobLockKey(prefix);
  for (const a of ALPHABET)
    for (const b of ALPHABET)
      for (const c of ALPHABET) {
        let h = base;
        for (const ch of a + b + c) h = Math.imul(h ^ ch.charCodeAt(0), FNV_PRIME);
        forward.set(h | 0, a + b + c);
      }
  const back = (h: number, ch: string) => (Math.imul(h, FNV_PRIME_INVERSE) ^ ch.charCodeAt(0)) | 0;
  for (const d of ALPHABET)
    for (const e of ALPHABET)
      for (const f of ALPHABET)
        for (const g of ALPHABET) {
          const mid = back(back(back(back(target, g), f), e), d);
          const head = forward.get(mid);
          if (head !== undefined) return `${prefix}${head}${d}${e}${f}${g}`;
        }
  throw new Error(`no job name found for key ${target}`);
}

// Advisory locks only contend between sessions, so this needs the real PostgreSQL.
describe.skipIf(!process.env.TEST_DATABASE_URL)('advisory locks on PostgreSQL', () => {
  let db: Db;
  let other: Db;
  beforeAll(async () => {
    db = await freshDb('pg');
    const schema = (await db.query<{ s: string }>('SELECT current_schema() AS s')).rows[0].s;
    const url = new URL(process.env.TEST_DATABASE_URL!);
    url.searchParams.set('options', `-c search_path=${schema}`);
    other = await openPg(url.toString(), 2);
    await createSeries(db, [{ id: 'ss.lille-1', unit: 'MW' }]);
  });
  afterAll(async () => {
    await other?.close();
    await db?.close();
  });

  it('a running job never blocks the ingest of a series whose lock key equals the job name hash', async () => {
    const seriesKey = (await db.query<{ k: number }>(`SELECT hashtext('ss.lille-1') AS k`)).rows[0].k;
    const name = jobNameWithKey(seriesKey);
    expect(jobLockKey(name)).toBe(seriesKey);

    let release!: () => void;
    let started!: () => void;
    const running = new Promise<void>((r) => (started = r));
    const scheduler = createScheduler({
      runs: jobRunsRepository(db),
      log: silentLog,
      instance: 'a',
      jobs: [{ name, cron: '0 0 0 1 1 *', deadlineMs: 600_000, run: () => new Promise<void>((r) => ((release = r), started())) }],
    });
    const tick = new Date(Math.floor(Date.now() / 1000) * 1000);
    const outcome = scheduler.runTick(name, tick);
    await running;
    try {
      // The job holds its lock for the whole run; the ingest takes its series' lock meanwhile.
      const written = await other.transaction(async (tx) => {
        await tx.query(`SET LOCAL lock_timeout = '5s'`);
        return insertMeasurements(tx, [{ seriesId: 'ss.lille-1', ts: new Date('2026-01-01T00:00:00Z'), value: 1 }]);
      });
      expect(written).toMatchObject({ written: 1 });
    } finally {
      release();
      expect(await outcome).toBe('succeeded');
      await scheduler.stop();
    }
  });
});
