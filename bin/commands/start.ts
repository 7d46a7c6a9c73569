import { createHash } from 'node:crypto';
import { hostname } from 'node:os';
import { parseArgs } from 'node:util';
import mqtt, { type MqttClient } from 'mqtt';
import { loadConfig, readConfigFile, type Config } from '../../core/config.ts';
import { finishPendingAggregates, openStore } from '../../store/open.ts';
import { listSeries } from '../../store/series.repository.ts';
import type { Db } from '../../store/db.ts';
import { buildApp } from '../../api/app.ts';
import { listen } from '../../api/server.ts';
import { createIngestBuffer, type IngestBuffer } from '../../ingest/scada/buffer.ts';
import { dbCommitter } from '../../ingest/scada/commit.ts';
import { silentLog, type Log } from '../../core/log.ts';
import { startMqttSubscriber, type MqttSubscriber } from '../../ingest/scada/mqtt.ts';
import { backfillSimulated, startLiveFeed, type LiveFeed } from '../../ingest/scada/sim-feed.ts';
import { readDefaultGrid } from '../../ingest/simulator/default-grid.ts';
import { readTopologyFile } from '../../ingest/topology/read.ts';
import { createSimulator } from '../../ingest/simulator/simulator.ts';
import { loadStoredTopology, saveTopology } from '../../store/topology.repository.ts';
import { configuredJobs, type ConfiguredJobs } from '../../jobs/registry.ts';
import { createScheduler, type Scheduler } from '../../jobs/scheduler.ts';

export const summary = 'run gridcast: store, REST API, ingestion (MQTT, HTTP poll, or the simulated grid) and scheduled jobs';

const USAGE = 'usage: gridcast start [--config file.json|file.yaml]   (env: GRIDCAST_CONFIG, DATABASE_URL, GRIDCAST_DATA_DIR, PORT, HOST, LOG_LEVEL)';

const SIM_STEP_SEC = 10;
// The history is written at a whole number of quarter hours chosen to keep it near this many
// points, so start-up takes seconds, not minutes, whatever backfillDays is.
const BACKFILL_POINTS = 100_000;

export async function run(args: string[]): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({ args, options: { config: { type: 'string' } } }));
  } catch (e) {
    console.error(`${(e as Error).message}\n${USAGE}`);
    return 2;
  }
  const config = values.config ? loadConfig(process.env, readConfigFile(values.config)) : loadConfig();
  // Pending aggregates are stored below, all of them, once the log exists.
  const db = await openStore(config, { pendingAggregatesBudgetMs: 0, log: silentLog });
  const state = { lastIngestAt: null as Date | null };
  const parts: { subscriber?: MqttSubscriber; polls?: ConfiguredJobs['polls']; feed?: LiveFeed; buffer?: IngestBuffer; simPublisher?: MqttClient } = {};

  const app = await buildApp({
    logger: { level: config.logLevel },
    health: {
      dbKind: db.kind,
      pingDb: async () => {
        await db.query('SELECT 1');
      },
      lastIngestAt: () => latest([state.lastIngestAt, parts.subscriber?.stats().lastCommitAt ?? null, parts.buffer?.stats().lastCommitAt ?? null]),
      sources: () => [
        ...(parts.subscriber ? [{ name: 'mqtt', ...parts.subscriber.stats() }] : []),
        ...(parts.polls ? [{ name: 'http-poll', polls: parts.polls.lastResults() }] : []),
        ...(parts.feed ? [{ name: 'simulator', ...parts.feed.stats() }] : []),
        ...(parts.buffer ? [{ name: 'direct', ...parts.buffer.stats() }] : []),
      ],
    },
  });
  const log: Log = app.log;

  let scheduler: Scheduler | undefined;
  const shutdown = async () => {
    log.info({}, 'shutting down');
    await app.close();
    await scheduler?.stop();
    await parts.feed?.stop();
    await parts.simPublisher?.endAsync();
    await parts.subscriber?.stop();
    await parts.buffer?.close().catch(() => {});
    await db.close();
  };
  const stopped = new Promise<void>((resolve) => {
    const onSignal = (sig: string) => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      log.info({ signal: sig }, 'signal received');
      shutdown().then(resolve, (e: Error) => {
        log.error({ err: e.message }, 'shutdown failed');
        resolve();
      });
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });

  let liveSince: Date | undefined;
  try {
    // Built first, so a bad `jobs` entry stops the start before any backfill.
    const { jobs, polls } = configuredJobs({
      db, config, log, liveSince: () => liveSince, pollCommit: config.httpPoll.length > 0 ? dbCommitter(db, 'http') : undefined,
    });
    parts.polls = polls;
    await finishPendingAggregates(db, Infinity, log);
    if ((await listSeries(db)).length === 0) {
      const file = config.simulator.topology;
      const { inserted } = await saveTopology(db, file ? readTopologyFile(file) : readDefaultGrid());
      log.info({ series: inserted, topology: file ?? 'default grid' }, 'store had no topology: loaded the simulated grid');
    }
    const { url } = await listen(app, { host: config.host, port: config.port });
    log.info({ url, db: db.kind }, 'gridcast listening');

    if (config.mqtt) {
      const { url: mqttUrl, topics, clientId, flushMs, maxPoints } = config.mqtt;
      parts.subscriber = await startMqttSubscriber({
        url: mqttUrl, topics, clientId: clientId ?? `gridcast-${hostname()}`, commit: dbCommitter(db, 'mqtt'), log, flushMs, maxPoints,
      });
    }
    if (!config.mqtt && config.httpPoll.length === 0 && config.simulator.enabled) {
      // The simulated history is coarse on purpose: only the live 10-s telemetry is imputed.
      liveSince = await startSimulator(db, config, log, parts, state);
    }
    // HTTP endpoints are polled by the scheduler: one instance polls each tick.
    scheduler = createScheduler({ db, jobs, log, instance: `${hostname()}:${process.pid}`, timeZone: config.timeZone });
    await scheduler.start();
    log.info({ jobs: jobs.map((j) => ({ name: j.name, cron: j.cron, deadlineSec: j.deadlineMs / 1000 })), timeZone: config.timeZone }, 'jobs scheduled');
  } catch (e) {
    await shutdown().catch(() => {});
    throw e;
  }
  await stopped;
  return 0;
}

async function startSimulator(
  db: Db,
  config: Config,
  log: Log,
  parts: { subscriber?: MqttSubscriber; feed?: LiveFeed; buffer?: IngestBuffer; simPublisher?: MqttClient },
  state: { lastIngestAt: Date | null },
): Promise<Date> {
  const sim = createSimulator({ seed: config.simulator.seed, topology: await loadStoredTopology(db, config.timeZone) });
  const broker = config.simulator.mqttUrl;
  const now = new Date();
  const t0 = Date.now();
  const days = config.simulator.backfillDays;
  const stepSec = 900 * Math.max(1, Math.ceil((days * 86_400 * sim.seriesIds.length) / BACKFILL_POINTS / 900));
  await backfillSimulated(db, sim, { seed: config.simulator.seed, days, stepSec, now, log });
  state.lastIngestAt = new Date();
  log.info({ seconds: (Date.now() - t0) / 1000 }, 'backfill done');

  // Topics and client id are tied to this store, so two instances on one broker do not mix their grids.
  const tag = createHash('sha256').update(config.databaseUrl ?? config.dataDir).digest('hex').slice(0, 10);
  const topicPrefix = `gridcast/sim/${tag}`;
  try {
    parts.subscriber = await startMqttSubscriber({
      url: broker, topics: { [`${topicPrefix}/+/p`]: '{1}' }, clientId: `gridcast-sim-${tag}`, commit: dbCommitter(db, 'mqtt'), log, connectTimeoutMs: 2000,
    });
    parts.simPublisher = await mqtt.connectAsync(broker, { protocolVersion: 5, clientId: `gridcast-sim-pub-${tag}`, connectTimeout: 2000 });
    parts.feed = startLiveFeed({ db, sim, stepSec: SIM_STEP_SEC, tickMs: config.simulator.tickMs, log, since: now, target: { mqtt: parts.simPublisher, topicPrefix } });
    log.info({ broker, topicPrefix }, 'simulated telemetry goes through MQTT');
  } catch (e) {
    await parts.subscriber?.stop().catch(() => {});
    parts.subscriber = undefined;
    log.warn({ broker, err: (e as Error).message }, 'no MQTT broker: simulated telemetry is written directly');
    parts.buffer = createIngestBuffer({ commit: dbCommitter(db, 'simulator'), log, source: 'simulator' });
    parts.feed = startLiveFeed({ db, sim, stepSec: SIM_STEP_SEC, tickMs: config.simulator.tickMs, log, since: now, target: { buffer: parts.buffer } });
  }
  return now;
}

function latest(dates: Array<Date | null>): Date | null {
  return dates.reduce<Date | null>((a, d) => (d && (!a || d > a) ? d : a), null);
}
