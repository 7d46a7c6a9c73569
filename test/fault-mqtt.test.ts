import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLog } from '../core/log.ts';
import { dbCommitter } from '../ingest/scada/commit.ts';
import { startMqttSubscriber } from '../ingest/scada/mqtt.ts';
import { openPg, type Db } from '../store/db.ts';
import { migrate } from '../store/migrate.ts';
import { backends, freshDb } from './db.ts';
import { mosquittoSkipReason, pgFaultSkipReason, startPrivateBroker, startPrivatePg, type PrivateBroker, type PrivatePg } from './fault-servers.ts';

/**
 * Faults of the live MQTT feed (QoS 1, persistent session, a message acknowledged only once its
 * points are committed): the broker restarts, then PostgreSQL restarts and stays down, while a
 * publisher streams points. Every point the publisher got a PUBACK for must be stored, once.
 * Broker and PostgreSQL are private instances of this test (test/fault-servers.ts).
 */
const noBroker = mosquittoSkipReason();
const noPg = pgFaultSkipReason();
if (noBroker) console.warn(`fault-mqtt: skipped: ${noBroker}`);
else if (noPg) console.warn(`fault-mqtt: PostgreSQL restart skipped: ${noPg}`);

const T0 = Date.UTC(2026, 2, 1);
const SERIES = 5;
const point = (i: number) => ({ seriesId: `mq-${i % SERIES}`, ts: T0 + Math.floor(i / SERIES) * 10_000, value: 1000 + i });

async function until(cond: () => boolean | Promise<boolean>, what: string, ms = 30_000) {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * Publishes points [from, to) with QoS 1, at most 100 awaiting their PUBACK, about `paceMs` apart,
 * calling `during(i)` before each; resolves with the indexes the broker acknowledged once every publish settled.
 */
async function publish(pub: mqtt.MqttClient, prefix: string, from: number, to: number, during: (i: number) => void = () => {}, paceMs = 0): Promise<Set<number>> {
  const acked = new Set<number>();
  const pending = new Set<Promise<unknown>>();
  for (let i = from; i < to; i++) {
    during(i);
    if (paceMs > 0 && i % 10 === 0) await new Promise((r) => setTimeout(r, 10 * paceMs));
    const p = point(i);
    const sent = pub.publishAsync(`${prefix}/${p.seriesId}/p`, JSON.stringify({ ts: new Date(p.ts).toISOString(), value: p.value }), { qos: 1 }).then(
      () => void acked.add(i),
      () => {},
    );
    pending.add(sent);
    void sent.finally(() => pending.delete(sent));
    if (pending.size >= 100) await Promise.race(pending);
  }
  await Promise.all(pending);
  return acked;
}

const storedPoints = async (db: Db) =>
  new Map(
    (await db.query<{ series_id: string; ts: Date; value: number }>(`SELECT series_id, ts, value FROM measurements WHERE series_id LIKE 'mq-%'`)).rows.map((r) => [
      `${r.series_id}@${r.ts.getTime()}`,
      r.value,
    ]),
  );
const keyOf = (i: number) => `${point(i).seriesId}@${point(i).ts}`;

/** Every acknowledged point is stored with its value; nothing is stored that was not published; no revision (nothing written twice with another value). */
async function expectAllStored(db: Db, acked: Set<number>, published: number) {
  await until(async () => {
    const s = await storedPoints(db);
    return [...acked].every((i) => s.has(keyOf(i)));
  }, `${acked.size} acknowledged points stored`);
  const s = await storedPoints(db);
  for (const i of acked) expect(s.get(keyOf(i))).toBe(point(i).value);
  const valid = new Set(Array.from({ length: published }, (_, i) => keyOf(i)));
  expect([...s.keys()].filter((k) => !valid.has(k))).toEqual([]);
  const revisions = (await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM measurement_revisions WHERE series_id LIKE 'mq-%'`)).rows[0].n;
  expect(revisions).toBe(0);
}

describe.skipIf(noBroker !== null)('MQTT ingest while the broker restarts (private broker)', () => {
  describe.each(backends)('%s', (kind) => {
    let broker: PrivateBroker;
    let db: Db;
    beforeAll(async () => {
      broker = await startPrivateBroker();
      db = await freshDb(kind);
    });
    afterAll(async () => {
      await db?.close();
      await broker?.destroy();
    });

    it('every point the publisher got a PUBACK for is stored once; the subscriber reconnects to its session', { timeout: 90_000 }, async () => {
      const prefix = `fault-${process.pid}`;
      const sub = await startMqttSubscriber({
        url: broker.url, topics: { [`${prefix}/+/p`]: '{1}' }, clientId: `gc-fault-${kind}-${process.pid}`, commit: dbCommitter(db, 'mqtt'), log: silentLog, flushMs: 50, sessionExpirySec: 300,
      });
      const pub = await mqtt.connectAsync(broker.url, { protocolVersion: 5, clientId: `gc-fault-pub-${kind}-${process.pid}`, clean: false, properties: { sessionExpiryInterval: 300 }, reconnectPeriod: 200 });
      const N = 3000;
      let restarting: Promise<void> | null = null;
      let restartedAt = -1;
      try {
        const acked = await publish(pub, prefix, 0, N, (i) => {
          if (i === 1000) {
            restartedAt = i;
            restarting = broker.restart();
          }
        });
        await restarting;
        expect(restartedAt).toBe(1000);
        // The restart fell in the stream: points before and after it were acknowledged.
        expect([...acked].some((i) => i < 1000) && [...acked].some((i) => i > 1100)).toBe(true);
        expect(acked.size).toBeGreaterThan(N / 2);
        await expectAllStored(db, acked, N);
      } finally {
        await pub.endAsync();
        await sub.stop();
      }
    });
  });
});

describe.skipIf(noBroker !== null || noPg !== null)('MQTT ingest while PostgreSQL restarts (private broker and cluster)', () => {
  let broker: PrivateBroker;
  let pg: PrivatePg;
  let db: Db;
  beforeAll(async () => {
    [broker, pg] = await Promise.all([startPrivateBroker(), startPrivatePg()]);
    db = await openPg(pg.url, 4);
    await migrate(db);
  }, 60_000);
  afterAll(async () => {
    await db?.close();
    await Promise.all([broker?.destroy(), pg?.destroy()]);
  });

  it('restarted: the flushes cut are retried on new connections; down: nothing is acknowledged before its commit, so a new subscriber gets it all', { timeout: 90_000 }, async () => {
    const prefix = `pgfault-${process.pid}`;
    const clientId = `gc-pgfault-${process.pid}`;
    const subscribe = () =>
      startMqttSubscriber({ url: broker.url, topics: { [`${prefix}/+/p`]: '{1}' }, clientId, commit: dbCommitter(db, 'mqtt'), log: silentLog, flushMs: 50, sessionExpirySec: 300 });
    const pub = await mqtt.connectAsync(broker.url, { protocolVersion: 5, clientId: `${clientId}-pub`, clean: false, properties: { sessionExpiryInterval: 300 } });
    const first = await subscribe();
    try {
      // 1. pg_ctl restart -m fast while points stream in: the buffer's failed flushes are retried once the server is back.
      let restarting: Promise<void> | null = null;
      // Paced so that points keep arriving while the server is down.
      const acked = await publish(pub, prefix, 0, 1500, (i) => {
        if (i === 500) restarting = pg.restart('fast');
      }, 1);
      await restarting;
      expect(acked.size).toBe(1500);
      await expectAllStored(db, acked, 1500);
      expect(first.stats().failedFlushes).toBeGreaterThan(0);

      // 2. The server stops and stays down: points arrive and cannot be committed, so none is acknowledged to the broker.
      await pg.stop('immediate');
      const failedBefore = first.stats().failedFlushes;
      const more = await publish(pub, prefix, 1500, 1800);
      expect(more.size).toBe(300);
      await until(() => first.stats().messages >= 1800 && first.stats().failedFlushes > failedBefore, 'the points received and their flush failed');
      // The subscriber gives up (gridcast stopped) while its points are uncommitted.
      await first.stop();
      await pg.start();
      const held = await storedPoints(db);
      expect([...more].filter((i) => held.has(keyOf(i)))).toEqual([]);
    } finally {
      await first.stop().catch(() => {});
    }
    // The next start of the same client id gets the unacknowledged messages again from its session.
    const second = await subscribe();
    try {
      await expectAllStored(db, new Set(Array.from({ length: 1800 }, (_, i) => i)), 1800);
    } finally {
      await second.stop();
      await pub.endAsync();
    }
  });
});
