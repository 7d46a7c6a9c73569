import { createHash } from 'node:crypto';
import { hostname } from 'node:os';
import { parseArgs } from 'node:util';
import mqtt, { type MqttClient } from 'mqtt';
import { HORIZONS, loadConfig, readConfigFile, type Config } from '../../core/config.ts';
import { finishPendingAggregates, openStore } from '../../store/open.ts';
import { usageError, usageText } from '../lib/cli.ts';
import { assertPortFree } from '../lib/port.ts';
import { listSeries } from '../../store/series.repository.ts';
import { pingStore, type Db } from '../../store/db.ts';
import { GRAIN_SECONDS } from '../../core/grain.ts';
import { buildApp } from '../../api/app.ts';
import { listen } from '../../api/server.ts';
import { storeAppDeps } from '../lib/app-deps.ts';
import { ensureAdminKey } from '../lib/bootstrap-key.ts';
import { createIngestBuffer, type IngestBuffer } from '../../ingest/scada/buffer.ts';
import { dbCommitter } from '../../ingest/scada/commit.ts';
import { rangeScreen } from '../../ingest/scada/screen.ts';
import { logDestination, silentLog, type Log } from '../../core/log.ts';
import { startMqttSubscriber, type MqttSubscriber } from '../../ingest/scada/mqtt.ts';
import { backfillSimulated, startLiveFeed, type LiveFeed } from '../../ingest/scada/sim-feed.ts';
import { readDefaultGrid } from '../../ingest/simulator/default-grid.ts';
import { readTopologyFile } from '../../ingest/topology/read.ts';
import { createSimulator } from '../../ingest/simulator/simulator.ts';
import { loadStoredTopology, saveTopology } from '../../store/topology.repository.ts';
import { configuredJobs, type ConfiguredJobs } from '../../jobs/registry.ts';
import { eventsRepository } from '../../store/events.repository.ts';
import { forecastJobName } from '../../jobs/forecast.job.ts';
import { createScheduler, type Scheduler } from '../../jobs/scheduler.ts';
import { jobRunsRepository } from '../../store/job-runs.repository.ts';
import { localTick } from '../../jobs/ticks.ts';
import { readServices } from '../lib/read-services.ts';
import { writeServices } from '../lib/write-services.ts';
import { announceStoreUrl } from '../../store/store-lock.ts';
import { loopbackUrl } from '../lib/through-server.ts';
import { runDeps } from '../lib/run-deps.ts';

export const summary = 'run gridcast: store, REST API, ingestion (MQTT, HTTP poll, or the simulated grid) and scheduled jobs';

export const usage = usageText(['gridcast start [--config file.json|file.yaml]'], '  env: GRIDCAST_CONFIG, DATABASE_URL, GRIDCAST_DATA_DIR, PORT, HOST, LOG_LEVEL, LOG_FORMAT (see the README)');

const SIM_STEP_SEC = 10;
// The simulated history is written at the live feed's finest aggregate grain, so history and live
// telemetry read as one series at every grain a query or a model uses.
const SIM_HISTORY_STEP_SEC = GRAIN_SECONDS['5m'];
// A stop must be done within 5 s: past this, gridcast exits anyway (PGlite recovers like after a crash).
const SHUTDOWN_LIMIT_MS = 4500;

export async function run(args: string[]): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({ args, options: { config: { type: 'string' } } }));
  } catch (e) {
    throw usageError((e as Error).message);
  }
  const config = values.config ? loadConfig(process.env, readConfigFile(values.config)) : loadConfig();
  // Before the store is opened: a busy port must not cost a migration or a backfill.
  await assertPortFree(config.host, config.port);
  // Pending aggregates are stored below, all of them, once the log exists.
  const db = await openStore(config, { pendingAggregatesBudgetMs: 0, log: silentLog });
  const state = { lastIngestAt: null as Date | null };
  const parts: { subscriber?: MqttSubscriber; polls?: ConfiguredJobs['polls']; feed?: LiveFeed; buffer?: IngestBuffer; simPublisher?: MqttClient } = {};

  const destination = logDestination(config.logFormat);
  // Filled once the jobs are configured and the scheduler runs (below); /api/v1/jobs reads them.
  const scheduled: { jobs: ConfiguredJobs['jobs']; scheduler?: Scheduler } = { jobs: [] };
  const storeDeps = storeAppDeps(db);
  const app = await buildApp({
    ...storeDeps,
    writes: writeServices(db, config),
    reads: readServices(db, config, { jobs: () => scheduled.jobs, nextTicks: () => scheduled.scheduler?.nextTicks() ?? null }),
    limits: config.api,
    logger: { level: config.logLevel, ...(destination ? { stream: destination } : {}) },
    health: {
      dbKind: db.kind,
      pingDb: () => pingStore(db),
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
  // Each part is stopped even when an earlier one fails; the store is closed last.
  const stopPart = async (part: string, fn: () => Promise<unknown> | undefined) => {
    try {
      await fn();
    } catch (e) {
      log.error({ part, err: (e as Error).message }, 'stopping a part failed');
    }
  };
  let closing: Promise<void> | undefined;
  const shutdown = () =>
    (closing ??= (async () => {
      await stopPart('api', () => app.close());
      await stopPart('jobs', () => scheduler?.stop());
      await stopPart('simulator', () => parts.feed?.stop());
      await stopPart('simulator publisher', () => parts.simPublisher?.endAsync());
      await stopPart('mqtt', () => parts.subscriber?.stop());
      await stopPart('ingest buffer', () => parts.buffer?.close());
      await stopPart('store', () => db.close());
    })());

  // A signal during the start-up (the backfill takes a minute on a first start) stops it between steps.
  const abort = new AbortController();
  let startup: Promise<void> = Promise.resolve();
  const signals = ['SIGINT', 'SIGTERM'] as const;
  let onSignal: (signal: NodeJS.Signals) => void = () => {};
  const stopped = new Promise<number>((resolve) => {
    onSignal = (signal) => {
      if (abort.signal.aborted) return void log.info({ signal }, 'already stopping');
      abort.abort();
      const t0 = performance.now();
      log.info({ signal }, 'stopping');
      setTimeout(() => {
        log.error({ signal, limitSec: SHUTDOWN_LIMIT_MS / 1000 }, 'gridcast stopped: shutdown unfinished at the limit, exiting now');
        process.exit(1);
      }, SHUTDOWN_LIMIT_MS).unref();
      void startup
        .catch(() => {})
        .then(shutdown)
        .then(() => {
          log.info({ signal, seconds: Math.round(performance.now() - t0) / 1000 }, 'gridcast stopped');
          resolve(0);
        });
    };
    for (const s of signals) process.on(s, onSignal);
  });

  startup = (async () => {
    // Built first, so a bad `jobs` entry stops the start before any backfill.
    let liveSince: Date | undefined;
    const { jobs, polls } = configuredJobs({
      db, config, log, run: runDeps(db, config, log), events: eventsRepository(db), liveSince: () => liveSince, pollCommit: config.httpPoll.length > 0 ? dbCommitter(db, 'http', log) : undefined,
    });
    parts.polls = polls;
    scheduled.jobs = jobs;
    await finishPendingAggregates(db, Infinity, log, abort.signal);
    if (abort.signal.aborted) return;
    if ((await listSeries(db)).length === 0) {
      const file = config.simulator.topology;
      const { added } = await saveTopology(db, file ? readTopologyFile(file) : readDefaultGrid());
      log.info({ series: added.length, topology: file ?? 'default grid' }, 'store had no topology: loaded the simulated grid');
    }
    await ensureAdminKey(storeDeps.apiKeys, config.dataDir, log);
    const { url, port } = await listen(app, { host: config.host, port: config.port });
    log.info({ url, db: db.kind }, 'gridcast listening');
    // Read commands that find the embedded store locked read through this server (bin/lib/through-server.ts).
    if (!config.databaseUrl) announceStoreUrl(config.dataDir, loopbackUrl(config.host, port));

    if (config.mqtt) {
      const { url: mqttUrl, topics, clientId, flushMs, maxPoints } = config.mqtt;
      parts.subscriber = await startMqttSubscriber({
        url: mqttUrl, topics, clientId: clientId ?? `gridcast-${hostname()}`, commit: dbCommitter(db, 'mqtt', log), log, flushMs, maxPoints,
        screen: rangeScreen(db, { log, source: 'mqtt' }),
      });
    }
    if (!config.mqtt && config.httpPoll.length === 0 && config.simulator.enabled) {
      liveSince = await startSimulator(db, config, log, parts, state, abort.signal);
    }
    if (abort.signal.aborted) return;
    // HTTP endpoints are polled by the scheduler: one instance polls each tick.
    scheduler = createScheduler({ runs: jobRunsRepository(db), jobs, log, instance: `${hostname()}:${process.pid}`, timeZone: config.timeZone });
    await scheduler.start();
    scheduled.scheduler = scheduler;
    const local = (d: Date | null) => (d ? localTick(d, config.timeZone) : null);
    const next = new Map(scheduler.nextTicks().map((t) => [t.job, local(t.at)]));
    log.info({ jobs: jobs.map((j) => ({ name: j.name, cron: j.cron, deadlineSec: j.deadlineMs / 1000, next: next.get(j.name) })), timeZone: config.timeZone }, 'jobs scheduled');
    const forecasts = jobs.filter((j) => HORIZONS.some((h) => forecastJobName(h) === j.name));
    if (forecasts.length > 0) log.info(Object.fromEntries(forecasts.map((j) => [j.name, next.get(j.name)])), 'next scheduled forecast runs');
  })();
  try {
    await startup;
  } catch (e) {
    if (!abort.signal.aborted) {
      for (const s of signals) process.off(s, onSignal);
      await shutdown();
      throw e;
    }
  }
  const code = await stopped;
  for (const s of signals) process.off(s, onSignal);
  // Whatever still holds the event loop (a broker reconnect timer, a stuck socket) does not keep a stopped gridcast alive.
  setTimeout(() => process.exit(code), 1000).unref();
  return code;
}

async function startSimulator(
  db: Db,
  config: Config,
  log: Log,
  parts: { subscriber?: MqttSubscriber; feed?: LiveFeed; buffer?: IngestBuffer; simPublisher?: MqttClient },
  state: { lastIngestAt: Date | null },
  signal: AbortSignal,
): Promise<Date> {
  const sim = createSimulator({ seed: config.simulator.seed, topology: await loadStoredTopology(db, config.timeZone) });
  const broker = config.simulator.mqttUrl;
  const t0 = Date.now();
  const days = config.simulator.backfillDays;
  const { end } = await backfillSimulated(db, sim, { seed: config.simulator.seed, days, stepSec: SIM_HISTORY_STEP_SEC, now: new Date(), log, signal });
  state.lastIngestAt = new Date();
  log.info({ seconds: (Date.now() - t0) / 1000, liveFrom: end }, 'backfill done');

  // The live feed starts where the history ends: no gap, no overlap.
  // Topics and client id are tied to this store, so two instances on one broker do not mix their grids.
  const tag = createHash('sha256').update(config.databaseUrl ?? config.dataDir).digest('hex').slice(0, 10);
  const topicPrefix = `gridcast/sim/${tag}`;
  try {
    parts.subscriber = await startMqttSubscriber({
      url: broker, topics: { [`${topicPrefix}/+/p`]: '{1}' }, clientId: `gridcast-sim-${tag}`, commit: dbCommitter(db, 'mqtt', log), log, connectTimeoutMs: 2000,
      screen: rangeScreen(db, { log, source: 'mqtt' }),
    });
    parts.simPublisher = await mqtt.connectAsync(broker, { protocolVersion: 5, clientId: `gridcast-sim-pub-${tag}`, connectTimeout: 2000 });
    parts.feed = startLiveFeed({ db, sim, stepSec: SIM_STEP_SEC, tickMs: config.simulator.tickMs, log, since: end, target: { mqtt: parts.simPublisher, topicPrefix } });
    log.info({ broker, topicPrefix }, 'simulated telemetry goes through MQTT');
  } catch (e) {
    await parts.subscriber?.stop().catch(() => {});
    parts.subscriber = undefined;
    log.warn({ broker, err: (e as Error).message }, 'no MQTT broker: simulated telemetry is written directly');
    parts.buffer = createIngestBuffer({ commit: dbCommitter(db, 'simulator', log), log, source: 'simulator', screen: rangeScreen(db, { log, source: 'simulator' }) });
    parts.feed = startLiveFeed({ db, sim, stepSec: SIM_STEP_SEC, tickMs: config.simulator.tickMs, log, since: end, target: { buffer: parts.buffer } });
  }
  return end;
}

function latest(dates: Array<Date | null>): Date | null {
  return dates.reduce<Date | null>((a, d) => (d && (!a || d > a) ? d : a), null);
}
