import mqtt from 'mqtt';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Db } from '../store/db.ts';
import { dbCommitter } from '../ingest/scada/commit.ts';
import { silentLog } from '../core/log.ts';
import { startMqttSubscriber, type MqttSubscriber } from '../ingest/scada/mqtt.ts';
import { compileTopics, routeTopic } from '../ingest/scada/topics.ts';
import { backends, freshDb } from './db.ts';

const BROKER = 'mqtt://127.0.0.1:1883';

async function until(cond: () => boolean | Promise<boolean>, what: string, ms = 10_000) {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe('MQTT topic routing', () => {
  it('maps wildcard captures into the series template', () => {
    const routes = compileTopics({ 'scada/+/p': '{1}', 'site/+/line/+/#': 'line-{2}@{1}' });
    expect(routeTopic(routes, 'scada/sub-12/p')).toBe('sub-12');
    expect(routeTopic(routes, 'site/north/line/7/a/b')).toBe('line-7@north');
    expect(routeTopic(routes, 'scada/sub-12/q')).toBeUndefined();
    expect(routeTopic(routes, 'scada/a/b/p')).toBeUndefined();
  });

  it('rejects invalid filters and templates with a config error', () => {
    expect(() => compileTopics({ 'scada/a+/p': '{1}' })).toThrow(/CONFIG_INVALID|not a valid filter/);
    expect(() => compileTopics({ 'scada/+/p': '{2}' })).toThrow(/has 1 wildcard/);
  });
});

describe.each(backends)('MQTT subscriber (%s)', (kind) => {
  let db: Db;
  let prefix: string;
  let publisher: mqtt.MqttClient;
  const subscribers: MqttSubscriber[] = [];
  beforeAll(async () => {
    db = await freshDb(kind);
  });
  afterAll(() => db.close());
  beforeEach(async () => {
    await db.exec('DELETE FROM measurements');
    prefix = `gridcast-test/${process.pid}-${Date.now()}-${Math.floor(Math.random() * 1e6)}`;
    publisher = await mqtt.connectAsync(BROKER, { protocolVersion: 5 });
  });
  afterEach(async () => {
    for (const s of subscribers.splice(0)) await s.stop();
    await publisher.endAsync();
  });
  const subscribe = async (clientId: string, commit = dbCommitter(db, 'mqtt')) => {
    const s = await startMqttSubscriber({ url: BROKER, topics: { [`${prefix}/+/p`]: '{1}' }, clientId, commit, log: silentLog, flushMs: 50, sessionExpirySec: 60 });
    subscribers.push(s);
    return s;
  };
  const count = async () => (await db.query<{ n: number }>('SELECT count(*)::int AS n FROM measurements')).rows[0].n;

  it('stores valid points as received and counts bad messages without writing them', async () => {
    const sub = await subscribe(`gc-test-${prefix.split('/')[1]}`);
    const t0 = Date.parse('2026-01-05T00:00:00Z');
    await publisher.publishAsync(`${prefix}/sub-1/p`, JSON.stringify({ ts: new Date(t0).toISOString(), value: 12.5 }), { qos: 1 });
    await publisher.publishAsync(`${prefix}/sub-1/p`, JSON.stringify({ ts: t0 + 10_000, value: 13, quality: 'suspect' }), { qos: 1 });
    await publisher.publishAsync(`${prefix}/sub-2/p`, JSON.stringify([{ ts: t0, value: 1 }, { ts: t0 + 10_000, value: 2 }]), { qos: 1 });
    await publisher.publishAsync(`${prefix}/sub-1/p`, 'not json', { qos: 1 });
    await publisher.publishAsync(`${prefix}/sub-1/p`, JSON.stringify({ ts: t0 + 20_000, value: 'high' }), { qos: 1 });
    await publisher.publishAsync(`${prefix}/sub-1/p`, JSON.stringify({ ts: t0 + 30_000, value: 1, quality: 'imputed' }), { qos: 1 });
    await publisher.publishAsync(`${prefix}/sub-3/p`, JSON.stringify({ ts: 'yesterday', value: 1 }), { qos: 1 });
    await until(() => sub.stats().messages === 7 && sub.stats().pending === 0 && sub.stats().flushes > 0, 'all messages handled');
    await until(async () => (await count()) === 4, '4 rows committed');
    expect(sub.stats()).toMatchObject({ messages: 7, invalid: 4, unrouted: 0, committedPoints: 4 });
    const rows = (await db.query<{ series_id: string; ts: Date; value: number; quality: string }>('SELECT series_id, ts, value, quality FROM measurements ORDER BY series_id, ts')).rows;
    expect(rows.map((r) => [r.series_id, r.ts.getTime() - t0, r.value, r.quality])).toEqual([
      ['sub-1', 0, 12.5, 'ok'],
      ['sub-1', 10_000, 13, 'suspect'],
      ['sub-2', 0, 1, 'ok'],
      ['sub-2', 10_000, 2, 'ok'],
    ]);
  });

  it('does not acknowledge what it could not commit: the broker redelivers it to the next start', async () => {
    const clientId = `gc-test-redeliver-${prefix.split('/')[1]}`;
    const failing = await subscribe(clientId, async () => {
      throw new Error('database down');
    });
    const t0 = Date.parse('2026-01-05T00:00:00Z');
    for (let i = 0; i < 5; i++) {
      await publisher.publishAsync(`${prefix}/sub-9/p`, JSON.stringify({ ts: t0 + i * 10_000, value: i }), { qos: 1 });
    }
    await until(() => failing.stats().messages === 5 && failing.stats().failedFlushes > 0, 'messages received and commit failed');
    await failing.stop();
    subscribers.splice(subscribers.indexOf(failing), 1);
    expect(await count()).toBe(0);

    const restarted = await subscribe(clientId);
    await until(async () => (await count()) === 5, 'redelivered points committed');
    expect(restarted.stats().messages).toBe(5);
  });
});
