import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { GridcastError } from './errors.ts';
import { ruptureSettingsSchema } from './rupture-settings.ts';
import { checkTextFile } from './text-file.ts';

/** Spatial reconciliation methods (forecast/reconcile implements them). */
export const RECONCILIATION_METHODS = ['bottom-up', 'top-down', 'ols', 'wls', 'wls-var', 'mint-shrink'] as const;
export type ReconciliationMethod = (typeof RECONCILIATION_METHODS)[number];

/**
 * How reconciled quantiles are made (forecast/reconcile/probabilistic.ts): `joint-residuals`
 * reconciles sample paths (bands calibrated at every level, aggregate quantiles are not sums of
 * their children's); `comonotonic` sums bottom quantiles (every quantile adds up, wide at the top).
 */
export const BAND_METHODS = ['joint-residuals', 'comonotonic'] as const;
export type BandMethod = (typeof BAND_METHODS)[number];

/** Forecast horizons (B1); each has its own run cadence and deadline. */
export const HORIZONS = ['intraday', 'day-ahead', 'week-ahead', 'mid-term'] as const;
export type Horizon = (typeof HORIZONS)[number];

/** Requests per minute per API key: far above a control room's polling, low enough to stop a runaway script. */
export const DEFAULT_RATE_LIMIT_PER_MINUTE = 600;

/** The REST API (api/): limits applied to every client and connection (api/app.ts; README "Hostile input and load"). */
export const ApiLimitsSchema = z
  .object({
    /** Requests per minute per API key (per client IP for requests without a key); over it → 429 with Retry-After. */
    rateLimitPerMinute: z.number().int().positive().default(DEFAULT_RATE_LIMIT_PER_MINUTE),
    /** Largest request body (an ingested CSV or JSON batch); larger ones are refused with 413, nothing written. */
    bodyLimitBytes: z.number().int().positive().default(32 * 1024 * 1024),
    /** Largest body of the other write routes (runs, registry changes, keys, acknowledgements): a few fields, never a batch. */
    commandBodyLimitBytes: z.number().int().positive().default(64 * 1024),
    /**
     * A client must have sent its request line and headers this long after connecting (or after its
     * previous answer): a client that trickles its headers (slowloris) is answered 408 and closed.
     */
    headersTimeoutMs: z.number().int().positive().default(10_000),
    /** A client must have sent its whole request (headers and body) this long after connecting: a body at the 32 MiB ingest limit needs 0.27 MB/s. */
    requestTimeoutMs: z.number().int().positive().default(120_000),
    /** An idle kept-alive connection is closed after this. */
    keepAliveTimeoutMs: z.number().int().positive().default(5_000),
    /**
     * A socket with no traffic either way for this long is destroyed (a client that stops reading its
     * answer); longer than the slowest synchronous route (POST /runs of a mid-term run).
     */
    socketIdleTimeoutMs: z.number().int().positive().default(600_000),
    /** Open connections at most; a connection over it is closed at once, without an answer. */
    maxConnections: z.number().int().positive().default(1024),
  })
  .refine((a) => a.headersTimeoutMs <= a.requestTimeoutMs, { message: 'api.headersTimeoutMs must not exceed api.requestTimeoutMs', path: ['headersTimeoutMs'] })
  .prefault({});
export type ApiLimits = z.infer<typeof ApiLimitsSchema>;

/**
 * Configuration, read once at start from the environment (and an optional JSON file
 * named by GRIDCAST_CONFIG), validated here; nothing else reads process.env.
 */
export const ConfigSchema = z.object({
  /** postgres://... ; absent → embedded PGlite in dataDir. */
  databaseUrl: z.string().url().optional(),
  dataDir: z.string().default('./data'),
  /** The API key read commands use through a running server (GRIDCAST_API_KEY); default the store's admin.key. */
  apiKey: z.string().min(1).optional(),
  port: z.coerce.number().int().min(0).max(65535).default(8080),
  host: z.string().default('127.0.0.1'),
  logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** `gridcast start` log lines: JSON, readable text, or auto (text on a terminal, JSON otherwise). */
  logFormat: z.enum(['auto', 'json', 'pretty']).default('auto'),
  /** Grid time zone used for local-day aggregation and calendars. */
  timeZone: z.string().default('Europe/Paris'),
  /** The REST API (api/): limits applied to every client. */
  api: ApiLimitsSchema,
  /** Run the built-in grid simulator when no live source is configured. */
  simulator: z
    .object({
      enabled: z.boolean().default(true),
      seed: z.number().int().default(42),
      backfillDays: z.number().int().min(0).default(120),
      /** Wall-clock ms between live ticks. */
      tickMs: z.number().int().positive().default(10_000),
      /** Topology file to simulate; the built-in default grid otherwise. */
      topology: z.string().optional(),
      /** Broker the simulated telemetry goes through; written directly when it is unreachable. */
      mqttUrl: z.string().default('mqtt://127.0.0.1:1883'),
    })
    .prefault({}),
  mqtt: z
    .object({
      url: z.string(),
      /** MQTT topic filter → series id template, e.g. { "scada/+/p": "{1}" }. */
      topics: z.record(z.string(), z.string()),
      /** Persistent-session id: unacknowledged messages wait on the broker under it. One per instance. */
      clientId: z.string().optional(),
      flushMs: z.number().int().positive().default(200),
      maxPoints: z.number().int().positive().default(5000),
    })
    .optional(),
  httpPoll: z
    .array(z.object({ url: z.string().url(), cron: z.string().default('*/10 * * * * *') }))
    .default([]),
  imputation: z
    .object({
      /** Gaps up to this length repeat the last value. */
      locfMaxSec: z.number().int().positive().default(300),
      profileWeeks: z.number().int().positive().default(4),
      profileSlotSec: z.number().int().positive().default(900),
      /** A sensor silent for longer than this is left as a gap. */
      maxGapSec: z.number().int().positive().default(86_400),
      windowSec: z.number().int().positive().default(3600),
      cron: z.string().default('0 * * * * *'),
    })
    .prefault({}),
  /** Forecast runs (C1–C3): what they forecast and how they reconcile. */
  forecast: z
    .object({
      /** Root of the hierarchy the runs cover (default: the topology's sole hierarchy). */
      root: z.string().optional(),
      /** Spatial reconciliation applied to every run unless the run names another. */
      reconciliation: z.enum(RECONCILIATION_METHODS).default('mint-shrink'),
      /** How reconciled quantiles are made; `comonotonic` where every quantile must add up (C1 read literally). */
      bands: z.enum(BAND_METHODS).default('joint-residuals'),
      /** Model fitted for a series that has no champion in the registry. */
      defaultModel: z.object({ kind: z.string(), params: z.record(z.string(), z.unknown()).default({}) }).prefault({ kind: 'auto' }),
      /** Country whose public holidays the calendar knows (date-holidays code, e.g. FR, US). */
      holidays: z.string().regex(/^[A-Z]{2}$/).optional(),
      /** History loaded before the origin to fit or condition a model. */
      historyDays: z.number().int().positive().default(3 * 365),
      quantiles: z.array(z.number().gt(0).lt(1)).min(1).default([0.1, 0.5, 0.9]),
      /** Moving loads at substation level in stored views: average shares or the full load. */
      movingLoadAllocation: z.enum(['average', 'worst-case']).default('average'),
    })
    .prefault({}),
  /**
   * Distributed runs (issue 13, PostgreSQL only): a run's per-series jobs go on a pg-boss queue
   * that `gridcast worker` processes answer, on any machine reaching the database.
   */
  queue: z
    .object({
      /** 'auto': a run queues its jobs when a worker was seen within workerStaleSec, else uses its own threads; 'off': always its own threads. */
      mode: z.enum(['auto', 'off']).default('auto'),
      /** Schema of pg-boss's tables (created by pg-boss). */
      schema: z.string().regex(/^[a-z_][a-z0-9_]{0,62}$/, 'a lower-case SQL identifier').default('gridcast_queue'),
      /** A job still active after this long (its worker died or hung) is retried by another worker. */
      jobTimeoutSec: z.number().int().positive().default(600),
      retryLimit: z.number().int().min(0).default(2),
      /** How long a run without a deadline of its own (a CLI run) waits for its jobs. */
      runTimeoutSec: z.number().int().positive().default(3600),
      /** Workers write a heartbeat this often; one silent for workerStaleSec has left the pool. */
      heartbeatSec: z.number().positive().default(5),
      workerStaleSec: z.number().positive().default(120),
      /** How often a worker asks for a job when the queue was empty. */
      pollSec: z.number().min(0.5).default(0.5),
      /** Jobs a worker takes per fetch (run one after the other): their total time must stay under jobTimeoutSec. */
      batchSize: z.number().int().positive().default(4),
      /** How often pg-boss's maintenance (on the workers) takes back expired jobs. */
      maintenanceSec: z.number().int().positive().default(10),
    })
    .prefault({}),
  /** Known schedules (A12): files dropped in `watchDir` are ingested by the `schedules-watch` job (done/ and rejected/ beside them). */
  schedules: z
    .object({
      watchDir: z.string().optional(),
      cron: z.string().default('*/30 * * * * *'),
    })
    .prefault({}),
  /** Accuracy tracking (D2): the `score` job scores stored forecast values once their actuals exist. */
  accuracy: z
    .object({
      /** How far back the score job looks for forecast values to score or re-score: late validated metering must land inside it. */
      lookbackDays: z.number().int().positive().default(45),
      /**
       * An hour is scored once it ended this long ago: telemetry of its last minutes still in
       * flight would otherwise give a partial actual, then a second score when it lands.
       */
      settleMinutes: z.number().int().min(0).default(30),
      /** An actual below this fraction of the series' level (mean |forecast| of the run) is near zero: scored by MAE, not MAPE. */
      nearZeroFraction: z.number().min(0).max(1).default(0.05),
    })
    .prefault({}),
  /** Degradation review (D4, E4): the monthly `review` job proposes retraining a champion; it never retrains. */
  review: z
    .object({
      /** The window the champion's recent MAPE is measured over. */
      windowDays: z.number().int().positive().default(30),
      /** Degraded when the window MAPE exceeds factor × the version's backtest MAPE. */
      factor: z.number().gt(1).default(1.5),
      /** Days of the window with scored values needed before a proposal: fewer is not "sustained". */
      minScoredDays: z.number().int().positive().default(20),
    })
    .prefault({}),
  /**
   * Input drift (D3): the recent window compared with a season-matched reference from the
   * champion's training window (monitoring/drift.service.ts). A numeric feature drifts when its
   * effect (standardised difference of daily means) reaches the threshold calibrated on the
   * training data for `alarmsPerYear` false alarm episodes per series-year, and W1 in reference
   * standard deviations reaches the business threshold `wasserstein` (and, for the load level,
   * the shift reaches `minLoadShift` of the level); the calendar mix when its
   * Holm-corrected chi-square p-value is below `alpha` and its PSI at or above `psi`.
   */
  drift: z
    .object({
      windowDays: z.number().int().min(7).default(14),
      alpha: z.number().gt(0).lt(1).default(0.05),
      psi: z.number().positive().default(0.2),
      wasserstein: z.number().positive().default(0.5),
      /** False alarm episodes per series-year the calibrated thresholds allow (all features together). */
      alarmsPerYear: z.number().positive().default(1),
      /**
       * The load level drifts only by at least this share of the reference's mean load (a business
       * threshold, as the rupture monitor's `minRelativeShift`).
       */
      minLoadShift: z.number().positive().default(0.1),
      /** Fewer season-matched training days than this: the feature is reported, not tested. */
      minReferenceDays: z.number().int().min(7).default(28),
    })
    .prefault({}),
  /** The rupture monitor (D3): core/rupture-settings.ts has each setting and its default. */
  rupture: ruptureSettingsSchema.prefault({}),
  /**
   * Deadline policy of the scheduled forecast runs (D6; monitoring/deadline.service.ts). Each
   * horizon's job deadline is `jobs.forecast-<horizon>.deadlineSec`; here: when its inputs are
   * checked and how much time the fallback is given. Per-horizon defaults in DEADLINE_DEFAULTS.
   */
  deadlines: z
    .object({
      /** A weather station whose latest temperature forecast was issued longer ago than this is late (the simulated service issues every 6 h); one that never had one is not watched. */
      weatherMaxAgeSec: z.number().int().positive().default(12 * 3600),
      /** A monitored series whose latest measured raw value is older than this is stale (one never measured is not watched). */
      scadaMaxAgeSec: z.number().int().positive().default(30 * 60),
      /** Series whose SCADA freshness is checked; default: every measured leaf of the topology (not weather stations). */
      scadaSeries: z.array(z.string()).optional(),
      /**
       * Late inputs the run waits for until the early warning, then replaces by the fallback. Others
       * are a warning only: the model runs on what there is (a stale SCADA feed leaves the history a
       * few hours short, which the models bridge).
       */
      waitFor: z.array(z.enum(['weather-forecast', 'scada'])).default(['weather-forecast']),
      /** How often late inputs are looked at again while the run waits for them. */
      pollSec: z.number().int().positive().default(60),
      /** The fast model published when the run cannot make its deadline. */
      fallbackModel: z.object({ kind: z.string(), params: z.record(z.string(), z.unknown()).default({}) }).prefault({ kind: 'seasonal-naive', params: { period: 'week' } }),
      /** History the fallback model is fitted on (short: it must be quick to load). */
      fallbackHistoryDays: z.number().int().positive().default(35),
      /** Per horizon: inputs are checked again `warnLeadSec` before the deadline; the run's budget ends `safetyMarginSec` before it. */
      horizons: z
        .partialRecord(
          z.enum(HORIZONS),
          z.strictObject({ warnLeadSec: z.number().int().nonnegative().optional(), safetyMarginSec: z.number().int().positive().optional() }),
        )
        .default({}),
    })
    .prefault({}),
  /**
   * Champion / challenger (D5): the paired test a shadow version must pass to be promoted
   * (monitoring/promotion.ts), and who signs off.
   */
  promotion: z
    .object({
      /** 'better': the challenger's squared-error loss is significantly lower; 'non-inferior': not higher than the champion's by more than `margin`. */
      rule: z.enum(['better', 'non-inferior']).default('better'),
      /** One-sided level of the Diebold–Mariano test. */
      alpha: z.number().gt(0).lt(1).default(0.05),
      /** Non-inferior: the challenger's mean squared error may exceed the champion's by this fraction. */
      margin: z.number().min(0).lt(1).default(0.05),
      /** Fewer paired errors than this never pass. */
      minPairs: z.number().int().positive().default(72),
      /** The admin who signs off must not be the proposer (then the CLI, one person, cannot promote over a champion). */
      twoPerson: z.boolean().default(false),
      /** A shadow run still computing after this long is cut off (shadow-failed). */
      shadowTimeoutSec: z.number().positive().default(600),
    })
    .prefault({}),
  /**
   * Scheduled jobs (E2, D6) by name: `aggregates-flush`, `scada-imputation`, `forecast-<horizon>`
   * and `http-poll:<url>` per polled endpoint (jobs/registry.ts has the defaults). `cron` is
   * node-cron syntax in `timeZone` (5 fields, or 6 with seconds first); a run not finished
   * `deadlineSec` after its tick is recorded late; `enabled: false` removes the job.
   */
  jobs: z
    .record(
      z.string(),
      z.strictObject({
        cron: z.string().optional(),
        deadlineSec: z.number().int().positive().optional(),
        enabled: z.boolean().default(true),
      }),
    )
    .default({}),
});
export type Config = z.infer<typeof ConfigSchema>;

/** Reads a JSON or YAML config file (the `--config` flag or GRIDCAST_CONFIG). */
export function readConfigFile(path: string): Record<string, unknown> {
  checkTextFile(path, 'config file', { gzip: false });
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new GridcastError('FILE_UNREADABLE', `Cannot read the config file ${path}: ${(e as Error).message}`, { path });
  }
  const yaml = /\.ya?ml$/i.test(path);
  try {
    const v: unknown = yaml ? parseYaml(text) : JSON.parse(text);
    if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new Error('the top level must be an object');
    return v as Record<string, unknown>;
  } catch (e) {
    throw new GridcastError('CONFIG_INVALID', `Config file ${path} is not valid ${yaml ? 'YAML' : 'JSON'}: ${(e as Error).message}`, { path });
  }
}

/** Environment variables override the file; `file` defaults to the one named by GRIDCAST_CONFIG. */
export function loadConfig(
  env: NodeJS.ProcessEnv = process.env,
  file: Record<string, unknown> | undefined = env.GRIDCAST_CONFIG ? readConfigFile(env.GRIDCAST_CONFIG) : undefined,
): Config {
  const fromEnv: Record<string, unknown> = {
    databaseUrl: env.DATABASE_URL || undefined,
    dataDir: env.GRIDCAST_DATA_DIR || undefined,
    apiKey: env.GRIDCAST_API_KEY || undefined,
    port: env.PORT || undefined,
    host: env.HOST || undefined,
    logLevel: env.LOG_LEVEL || undefined,
    logFormat: env.LOG_FORMAT || undefined,
    timeZone: env.GRIDCAST_TZ || undefined,
  };
  const merged = { ...(file ?? {}), ...Object.fromEntries(Object.entries(fromEnv).filter(([, v]) => v !== undefined)) };
  const parsed = ConfigSchema.safeParse(merged);
  if (!parsed.success) {
    throw new GridcastError('CONFIG_INVALID', `Invalid configuration: ${z.prettifyError(parsed.error)}`);
  }
  return parsed.data;
}
