import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EventLog } from '../core/events.ts';
import type { Db } from '../store/db.ts';
import { eventsRepository } from '../store/events.repository.ts';
import { backends, freshDb } from './db.ts';
import { fakeEvents } from './fakes/events.ts';

const t = (iso: string) => new Date(iso);

// The same contract for the store's event log on each backend and for the unit tests' fake.
describe.each([...backends, 'fake' as const])('event log (%s)', (kind) => {
  let db: Db | undefined;
  let log: EventLog;
  beforeAll(async () => {
    if (kind === 'fake') log = fakeEvents();
    else {
      db = await freshDb(kind);
      log = eventsRepository(db);
    }
  });
  afterAll(() => db?.close());

  it('appends events with defaults and lists them newest first, filtered and paged', async () => {
    const first = await log.append({ at: t('2026-03-01T10:00:00Z'), kind: 'rupture', seriesId: 'a', modelVersion: 'grid@1', detail: { statistic: 7.5, threshold: 5 } });
    expect(first).toMatchObject({ at: t('2026-03-01T10:00:00Z'), kind: 'rupture', severity: 'info', seriesId: 'a', modelVersion: 'grid@1', runId: null, detail: { statistic: 7.5, threshold: 5 }, recordedAt: expect.any(Date) });
    const second = await log.append({ at: t('2026-03-01T12:00:00Z'), kind: 'fallback-on', severity: 'warning', seriesId: 'a', runId: 12 });
    expect(second).toMatchObject({ detail: {}, modelVersion: null, runId: 12, severity: 'warning' });
    expect(second.id).toBeGreaterThan(first.id);
    // Appended later but happened earlier (a replay, a late detector): ordered by `at`.
    const early = await log.append({ at: t('2026-02-28T00:00:00Z'), kind: 'retrain-proposal', modelVersion: 'grid@1', detail: { windowMape: 0.12, nested: { rule: 'x' } } });
    const ids = (q: Parameters<EventLog['list']>[0]) => log.list(q).then((r) => r.map((e) => e.id));
    expect(await ids({})).toEqual([second.id, first.id, early.id]);
    expect(await ids({ kinds: ['rupture', 'retrain-proposal'] })).toEqual([first.id, early.id]);
    expect(await ids({ seriesId: 'a' })).toEqual([second.id, first.id]);
    expect(await ids({ seriesId: 'b' })).toEqual([]);
    expect(await ids({ modelVersion: 'grid@1' })).toEqual([first.id, early.id]);
    // Half-open [from, to).
    expect(await ids({ from: t('2026-03-01T10:00:00Z'), to: t('2026-03-01T12:00:00Z') })).toEqual([first.id]);
    expect(await ids({ limit: 1 })).toEqual([second.id]);
    expect(await ids({ beforeId: early.id })).toEqual([second.id, first.id]);
    expect((await log.list({ kinds: ['retrain-proposal'] }))[0].detail).toEqual({ windowMape: 0.12, nested: { rule: 'x' } });
  });

  it.skipIf(kind === 'fake')('refuses to change or delete an event, and any other kind', async () => {
    await expect(db!.query(`UPDATE events SET detail = '{}'::jsonb`)).rejects.toThrow(/append-only: UPDATE refused/);
    await expect(db!.query(`DELETE FROM events`)).rejects.toThrow(/append-only: DELETE refused/);
    await expect(db!.query(`TRUNCATE events`)).rejects.toThrow(/append-only: TRUNCATE refused/);
    await expect(log.append({ at: new Date(), kind: 'nonsense' as never })).rejects.toThrow(/check constraint/);
    expect((await log.list()).length).toBe(3);
  });

  it.skipIf(kind === 'fake')('counts every kind, zero included', async () => {
    const counts = await eventsRepository(db!).countsByKind();
    expect(counts.find((c) => c.kind === 'rupture')?.events).toBe(1);
    expect(counts.find((c) => c.kind === 'rollback')?.events).toBe(0);
    expect(counts.reduce((s, c) => s + c.events, 0)).toBe(3);
  });
});
