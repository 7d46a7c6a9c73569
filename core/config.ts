import { z } from 'zod';
import { GridcastError } from './errors.ts';

/**
 * Configuration, read once at start from the environment (and an optional JSON file
 * named by GRIDCAST_CONFIG), validated here; nothing else reads process.env.
 */
export const ConfigSchema = z.object({
  /** postgres://... ; absent → embedded PGlite in dataDir. */
  databaseUrl: z.string().url().optional(),
  dataDir: z.string().default('./data'),
  port: z.coerce.number().int().min(0).max(65535).default(8080),
  host: z.string().default('127.0.0.1'),
  logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** Grid time zone used for local-day aggregation and calendars. */
  timeZone: z.string().default('Europe/Paris'),
  /** Run the built-in grid simulator when no live source is configured. */
  simulator: z
    .object({
      enabled: z.boolean().default(true),
      seed: z.number().int().default(42),
      backfillDays: z.number().int().min(0).default(60),
      /** Wall-clock ms between live ticks. */
      tickMs: z.number().int().positive().default(10_000),
    })
    .prefault({}),
  mqtt: z
    .object({
      url: z.string(),
      /** MQTT topic filter → series id template, e.g. { "scada/+/p": "{1}" }. */
      topics: z.record(z.string(), z.string()),
    })
    .optional(),
  httpPoll: z
    .array(z.object({ url: z.string().url(), cron: z.string().default('*/10 * * * * *') }))
    .default([]),
});
export type Config = z.infer<typeof ConfigSchema>;

export function loadConfig(env: NodeJS.ProcessEnv = process.env, file?: Record<string, unknown>): Config {
  const fromEnv: Record<string, unknown> = {
    databaseUrl: env.DATABASE_URL || undefined,
    dataDir: env.GRIDCAST_DATA_DIR || undefined,
    port: env.PORT || undefined,
    host: env.HOST || undefined,
    logLevel: env.LOG_LEVEL || undefined,
    timeZone: env.GRIDCAST_TZ || undefined,
  };
  const merged = { ...(file ?? {}), ...Object.fromEntries(Object.entries(fromEnv).filter(([, v]) => v !== undefined)) };
  const parsed = ConfigSchema.safeParse(merged);
  if (!parsed.success) {
    throw new GridcastError('CONFIG_INVALID', `Invalid configuration: ${z.prettifyError(parsed.error)}`);
  }
  return parsed.data;
}
