import mqtt from 'mqtt';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { freshDb } from '../test/db.ts';
import { dbCommitter } from '../ingest/scada/commit.ts';
import { silentLog } from '../core/log.ts';
import { startMqttSubscriber } from '../ingest/scada/mqtt.ts';
import { rangeScreen } from '../ingest/scada/screen.ts';

/**
 * MQTT ingest rate: a publisher sends N points (QoS 1) to the broker; the subscriber commits
 * them through the store's write path and acknowledges each message only after its commit.
 * The rate is points committed per second of wall time, from the first publish to the commit
 * of the last point, checked with a count in the database.
 */
export interface MqttBenchOptions {
  points?: number;
  series?: number;
  /** Points per MQTT message (1 = one message per reading; more = a gateway batching). */
  pointsPerMessage?: number;
  broker?: string;
  backend?: 'pg' | 'pglite';
  /** PostgreSQL to run in (a scratch schema is created and dropped). */
  databaseUrl?: string;
  flushMs?: number;
  maxPoints?: number;
  timeoutMs?: number;
}

export interface MqttBenchResult {
  backend: 'pg' | 'pglite';
  points: number;
  series: number;
  pointsPerMessage: number;
  messages: number;
  published: number;
  committed: number;
  publishSec: number;
  totalSec: number;
  pointsPerSec: number;
  flushes: number;
  invalid: number;
}

export async function runMqttIngestBench(opts: MqttBenchOptions = {}): Promise<MqttBenchResult> {
  const points = opts.points ?? 200_000;
  const series = opts.series ?? 1000;
  const perMessage = opts.pointsPerMessage ?? 1;
  const broker = opts.broker ?? 'mqtt://127.0.0.1:1883';
  const backend = opts.backend ?? 'pg';
  const db = await freshDb(backend, opts.databaseUrl ?? 'postgres://postgres@127.0.0.1:5432/test');
  const run = `${process.pid}-${Date.now()}`;
  const sub = await startMqttSubscriber({
    url: broker,
    topics: { [`bench/${run}/+/p`]: '{1}' },
    clientId: `gridcast-bench-${run}`,
    commit: dbCommitter(db, 'mqtt'),
    log: silentLog,
    screen: rangeScreen(db, { log: silentLog, source: 'mqtt' }),
    flushMs: opts.flushMs ?? 200,
    maxPoints: opts.maxPoints ?? 5000,
    sessionExpirySec: 60,
  });
  const pub = await mqtt.connectAsync(broker, { protocolVersion: 5 });
  try {
    const t0 = performance.now();
    const start = Date.UTC(2026, 0, 1);
    const perSeries = Math.ceil(points / series);
    let published = 0;
    let messages = 0;
    const pending: Promise<unknown>[] = [];
    for (let s = 0; s < series && published < points; s++) {
      for (let k = 0; k < perSeries && published < points; k += perMessage) {
        const n = Math.min(perMessage, perSeries - k, points - published);
        const batch = Array.from({ length: n }, (_, j) => ({ ts: start + (k + j) * 10_000, value: 100 + ((s * 7 + k + j) % 50) }));
        pending.push(pub.publishAsync(`bench/${run}/s${s}/p`, JSON.stringify(n === 1 ? batch[0] : batch), { qos: 1 }));
        published += n;
        messages++;
        // Bounded publisher window: keeps the publisher's memory flat and lets the broker pace it.
        if (pending.length >= 2000) await Promise.all(pending.splice(0));
      }
    }
    await Promise.all(pending);
    const tPub = performance.now();
    const deadline = Date.now() + (opts.timeoutMs ?? 300_000);
    while (sub.stats().committedPoints < published && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    const tEnd = performance.now();
    const committed = (await db.query<{ n: number }>('SELECT count(*)::int AS n FROM measurements')).rows[0].n;
    const st = sub.stats();
    return {
      backend, points, series, pointsPerMessage: perMessage, messages, published, committed,
      publishSec: (tPub - t0) / 1000, totalSec: (tEnd - t0) / 1000, pointsPerSec: committed / ((tEnd - t0) / 1000),
      flushes: st.flushes, invalid: st.invalid,
    };
  } finally {
    await pub.endAsync();
    await sub.stop();
    await db.close();
  }
}

export function formatMqttBench(rows: MqttBenchResult[]): string {
  const head = ['backend', 'points', 'pts/msg', 'messages', 'committed', 'publish s', 'total s', 'points/s', 'flushes'];
  const body = rows.map((r) => [r.backend, r.points, r.pointsPerMessage, r.messages, r.committed, r.publishSec.toFixed(1), r.totalSec.toFixed(1), Math.round(r.pointsPerSec), r.flushes].map(String));
  const w = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padStart(w[i])).join('  ');
  return [line(head), line(w.map((n) => '-'.repeat(n))), ...body.map(line)].join('\n');
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const { values } = parseArgs({
    options: {
      points: { type: 'string', default: '200000' },
      series: { type: 'string', default: '1000' },
      'points-per-message': { type: 'string', default: '1,100' },
      backend: { type: 'string', default: 'pg' },
      'database-url': { type: 'string' },
    },
  });
  const results: MqttBenchResult[] = [];
  for (const backend of values.backend.split(',') as Array<'pg' | 'pglite'>) {
    for (const ppm of values['points-per-message'].split(',').map(Number)) {
      results.push(await runMqttIngestBench({ points: Number(values.points), series: Number(values.series), pointsPerMessage: ppm, backend, databaseUrl: values['database-url'] }));
    }
  }
  console.log(formatMqttBench(results));
}
