import { fileURLToPath } from 'node:url';
import { apiKeyService } from '../../bin/lib/app-deps.ts';
import { forecasterFor } from '../../bin/lib/models.ts';
import { trainDeps } from '../../bin/lib/train-deps.ts';
import { ConfigSchema, type Config } from '../../core/config.ts';
import type { MeasurementInput } from '../../core/series.ts';
import { trainModel } from '../../forecast/registry/service.ts';
import { readTopologyFile } from '../../ingest/topology/read.ts';
import type { Db } from '../../store/db.ts';
import { eventsRepository } from '../../store/events.repository.ts';
import { insertMeasurements } from '../../store/measurements.repository.ts';
import { saveTopology } from '../../store/topology.repository.ts';
import { simulatedLoad } from '../backtest-fixtures.ts';

const TOPOLOGY = fileURLToPath(new URL('../fixtures/registry/grid.yaml', import.meta.url));
const START = '2025-01-06T00:00:00Z';
const DAYS = 14;
const H = 3_600_000;

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
  await saveTopology(db, readTopologyFile(TOPOLOGY));
  const points: MeasurementInput[] = [];
  for (const [id, level] of [['feeder.a', 100], ['feeder.b', 60]] as const) {
    const s = simulatedLoad(id, START, DAYS * 24, level);
    for (let i = 0; i < s.values.length; i++) points.push({ seriesId: id, ts: new Date(s.start.getTime() + i * H), value: s.values[i] });
  }
  await db.transaction((tx) => insertMeasurements(tx, points));
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
