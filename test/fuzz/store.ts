import { forecasterFor } from '../../bin/lib/models.ts';
import { trainDeps } from '../../bin/lib/train-deps.ts';
import { ConfigSchema, type Config } from '../../core/config.ts';
import { trainModel } from '../../forecast/registry/service.ts';
import type { Db } from '../../store/db.ts';
import { eventsRepository } from '../../store/events.repository.ts';
import { seedRegistryGrid } from '../registry-grid.ts';
import { apiKeyService, storeAppDeps } from '../../bin/lib/app-deps.ts';
import { readServices } from '../../bin/lib/read-services.ts';
import { writeServices } from '../../bin/lib/write-services.ts';

const START = '2025-01-06T00:00:00Z';
const DAYS = 14;

/** The configuration of the fuzzed app: a fast default model, so a request that does start a run ends quickly. */
export const fuzzConfig: Config = ConfigSchema.parse({ forecast: { defaultModel: { kind: 'seasonal-naive' }, historyDays: DAYS } });

/** Real values for the path parameters of the mutating routes, so a fuzzed request reaches the service behind its checks. */
export interface FuzzTargets {
  pathValues: (openApiPath: string, param: string) => string;
}

/**
 * Fills a migrated store with what the write routes act on: a small grid (test/fixtures/registry),
 * two weeks of hourly load on its feeders, two trained versions of one model, a warning and an alarm
 * to acknowledge, and a spare API key (the only one a DELETE /apikeys may revoke).
 */
export async function seedFuzzStore(db: Db): Promise<FuzzTargets> {
  await seedRegistryGrid(db, START, DAYS);
  for (let i = 0; i < 2; i++) {
    await trainModel(trainDeps(db, fuzzConfig), { model: 'grid-load', kind: 'seasonal-naive', root: 'grid', historyDays: DAYS, actor: 'fuzz', codeVersion: 'fuzz-0' }, (k, p) => forecasterFor(k, p));
  }
  const events = eventsRepository(db);
  const alarm = (await events.append({ at: new Date('2025-01-19T10:00:00Z'), kind: 'rupture', severity: 'alarm', seriesId: 'feeder.a', modelVersion: 'grid-load@1', detail: { shift: -0.3 } })).id;
  await events.append({ at: new Date('2025-01-19T11:00:00Z'), kind: 'fallback-on', severity: 'warning', seriesId: 'feeder.b', modelVersion: 'grid-load@1' });
  await apiKeyService(db).create({ name: 'fuzz-spare', role: 'viewer' });
  const byParam: Record<string, string> = { name: 'grid-load', version: '1', key: 'fuzz-spare', id: '1' };
  return {
    pathValues: (path, param) => (path.startsWith('/api/v1/events/') && param === 'id' ? String(alarm) : (byParam[param] ?? 'x')),
  };
}

/** The app's dependencies for fuzzing: the store's services as in production, the rate limiter on with a limit never reached. */
export const fuzzAppDeps = (db: Db) => ({
  ...storeAppDeps(db),
  health: { dbKind: db.kind, pingDb: async () => {}, lastIngestAt: () => null, sources: () => [] },
  reads: readServices(db, fuzzConfig),
  writes: writeServices(db, fuzzConfig),
  limits: fuzzConfig.api,
  // Thousands of requests a minute from one key: the limiter stays on, with a limit they never reach.
  rateLimitPerMinute: 1e9,
});
