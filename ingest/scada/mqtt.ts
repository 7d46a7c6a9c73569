import mqtt, { type MqttClient, type Packet } from 'mqtt';
import { z } from 'zod';
import { GridcastError } from '../../core/errors.ts';
import { createIngestBuffer, type CommitRows, type IngestStats } from './buffer.ts';
import type { Log } from '../../core/log.ts';
import { MqttPayload, type MeasurementRow } from './point.ts';
import type { ScreenRows } from './screen.ts';
import { compileTopics, routeTopic } from './topics.ts';

export interface MqttSubscriberOptions {
  url: string;
  /** Topic filter → series id template (see compileTopics). */
  topics: Record<string, string>;
  /** Fixed per deployment: the broker keeps this client's session (and unacknowledged messages) across restarts. */
  clientId: string;
  commit: CommitRows;
  log: Log;
  /** Checks each batch before it is written (the physical ranges); refused points are counted and logged. */
  screen?: ScreenRows;
  flushMs?: number;
  maxPoints?: number;
  /** How long the broker keeps the session while gridcast is down (s). */
  sessionExpirySec?: number;
  connectTimeoutMs?: number;
}

export interface MqttStats extends IngestStats {
  messages: number;
  invalid: number;
  unrouted: number;
}

export interface MqttSubscriber {
  stats(): MqttStats;
  /** Commits what was received, acknowledges it, and disconnects (the session stays on the broker). */
  stop(): Promise<void>;
}

type SendPacket = (packet: Packet, cb?: (err?: Error) => void, ...rest: unknown[]) => void;

/**
 * Subscribes to the configured topics with QoS 1 on a persistent MQTT 5 session and writes
 * every valid point through the ingest buffer.
 *
 * "Acknowledged" means committed: the PUBACK of a message is sent only after the transaction
 * holding its points has committed. Until then the broker owns the message and redelivers it
 * to the next connection of this client id (crash, restart, lost connection); the repeated
 * points are absorbed by the idempotent insert. mqtt.js sends the PUBACK as soon as a message
 * is handled and handles one message at a time, so holding that callback would allow one
 * message per transaction; instead the PUBACK packets themselves are held back and released
 * after the commit, in arrival order (MQTT requires ordered PUBACKs). The broker's in-flight
 * window (our receiveMaximum) bounds how many messages can wait, which is also the
 * back-pressure when the database is slow.
 */
export async function startMqttSubscriber(opts: MqttSubscriberOptions): Promise<MqttSubscriber> {
  const routes = compileTopics(opts.topics);
  const counts = { messages: 0, invalid: 0, unrouted: 0 };
  const buffer = createIngestBuffer({
    commit: opts.commit, log: opts.log, source: 'mqtt', screen: opts.screen, flushMs: opts.flushMs, maxPoints: opts.maxPoints,
  });
  const client: MqttClient = mqtt.connect(opts.url, {
    clientId: opts.clientId,
    clean: false,
    protocolVersion: 5,
    properties: { sessionExpiryInterval: opts.sessionExpirySec ?? 86_400, receiveMaximum: 65_535 },
    reconnectPeriod: 1000,
    connectTimeout: opts.connectTimeoutMs ?? 5000,
  });

  // A PUBACK belongs to the connection that received the message: after a reconnect the
  // broker redelivers unacknowledged messages under new ids, so stale PUBACKs are dropped.
  let connection = 0;
  client.on('close', () => connection++);
  const internals = client as unknown as { _sendPacket: SendPacket };
  const send = internals._sendPacket.bind(client);
  internals._sendPacket = (packet, cb, ...rest) => {
    if (packet.cmd !== 'puback') return send(packet, cb, ...rest);
    const owner = connection;
    buffer.add([], () => {
      if (owner === connection && client.connected) send(packet);
    });
    cb?.();
  };

  client.on('message', (topic, payload) => {
    counts.messages++;
    const seriesId = routeTopic(routes, topic);
    if (!seriesId) {
      counts.unrouted++;
      return;
    }
    const rows = parsePayload(seriesId, payload);
    if (typeof rows === 'string') {
      counts.invalid++;
      // Logged with the reason but without flooding: a misconfigured device sends every 10 s.
      if (counts.invalid <= 10 || counts.invalid % 1000 === 0) {
        opts.log.warn({ topic, reason: rows, invalidSoFar: counts.invalid }, 'rejected MQTT message');
      }
      return;
    }
    buffer.add(rows);
  });
  await new Promise<void>((resolve, reject) => {
    const onError = (e: Error) => {
      client.end(true);
      reject(new GridcastError('MQTT_UNREACHABLE', `Cannot connect to the MQTT broker at ${opts.url}: ${e.message}. Check mqtt.url or start the broker.`));
    };
    client.once('error', onError);
    const timer = setTimeout(() => onError(new Error('connect timeout')), opts.connectTimeoutMs ?? 5000);
    client.once('connect', () => {
      clearTimeout(timer);
      client.off('error', onError);
      resolve();
    });
  });
  // Errors once connected (the broker going away, reconnects failing); a failed first connection is the thrown MQTT_UNREACHABLE.
  client.on('error', (e) => opts.log.error({ err: e.message, url: opts.url }, 'MQTT error'));
  await client.subscribeAsync(Object.fromEntries(routes.map((r) => [r.filter, { qos: 1 as const }])));
  opts.log.info({ url: opts.url, topics: Object.keys(opts.topics) }, 'MQTT subscriber started');

  return {
    stats: () => ({ ...buffer.stats(), ...counts }),
    async stop() {
      try {
        await buffer.close();
      } catch {
        opts.log.warn({ pending: buffer.stats().pending }, 'MQTT points not committed at stop: left unacknowledged on the broker for the next start');
      }
      await client.endAsync();
    },
  };
}

/** The rows of one message, or why it was rejected. */
export function parsePayload(seriesId: string, payload: Buffer): MeasurementRow[] | string {
  let json: unknown;
  try {
    json = JSON.parse(payload.toString('utf8'));
  } catch {
    return 'payload is not JSON';
  }
  const parsed = MqttPayload.safeParse(json);
  if (!parsed.success) return z.prettifyError(parsed.error);
  const points = Array.isArray(parsed.data) ? parsed.data : [parsed.data];
  return points.map((p) => ({ seriesId, ts: p.ts, value: p.value, quality: p.quality ?? 'ok' }));
}
