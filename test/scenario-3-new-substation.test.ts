import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigSchema } from '../core/config.ts';
import type { MeasurementInput } from '../core/series.ts';
import { validateTopology } from '../core/topology/validate.ts';
import { readDefaultGrid } from '../ingest/simulator/default-grid.ts';
import { createSimulator } from '../ingest/simulator/simulator.ts';
import { runForecast } from '../forecast/run/service.ts';
import { runDeps } from '../bin/lib/run-deps.ts';
import { fallbackSwitchesOf } from '../jobs/registry.ts';
import type { Db } from '../store/db.ts';
import { eventsRepository } from '../store/events.repository.ts';
import { runSeriesLabels } from '../store/forecasts.repository.ts';
import { insertMeasurements } from '../store/measurements.repository.ts';
import { saveTopology } from '../store/topology.repository.ts';
import { backends, freshDb } from './db.ts';

/**
 * Scenario 3: a new substation with 3 days of history gets a labelled shallow-history forecast,
 * and moves to the full model once it has enough history. The event log shows both switches
 * (fallback-on with the reason, fallback-off), from the day-ahead runs as the scheduler makes them.
 */
const H = 3_600_000;
const DAY = 24 * H;
const START = Date.parse('2025-03-01T00:00:00Z');
const CONNECTED = Date.parse('2025-04-20T00:00:00Z');
const END = Date.parse('2025-05-10T00:00:00Z');

describe.each(backends)('scenario 3: a new substation moves from a labelled fallback to its model (%s)', (kind) => {
  let db: Db;
  beforeAll(async () => {
    db = await freshDb(kind);
    await saveTopology(
      db,
      validateTopology({
        timeZone: 'UTC',
        nodes: [
          { id: 'top', kind: 'load', unit: 'MW' },
          { id: 'old', parent: 'top', kind: 'load', unit: 'MW' },
          { id: 'new', parent: 'top', kind: 'load', unit: 'MW' },
        ],
      }),
    );
    const sim = createSimulator({ seed: 3, topology: readDefaultGrid(), faults: false });
    const from = { old: 'ss.lille-1', new: 'ss.dunkerque' } as const;
    const points: MeasurementInput[] = sim
      .generate(new Date(START), new Date(END), 3600)
      .measurements.flatMap((m) =>
        (Object.entries(from) as Array<[string, string]>).filter(([id, src]) => src === m.seriesId && (id === 'old' || m.ts.getTime() >= CONNECTED)).map(([id]) => ({ seriesId: id, ts: m.ts, value: m.value })),
      );
    await db.transaction((tx) => insertMeasurements(tx, points));
  }, 60_000);
  afterAll(() => db?.close());

  it('is served by the labelled shallow-history fallback at 3 days, then by its model, each switch an event', async () => {
    const config = ConfigSchema.parse({ timeZone: 'UTC', forecast: { defaultModel: { kind: 'seasonal-naive' }, historyDays: 28, reconciliation: 'bottom-up' } });
    const deps = runDeps(db, config);
    const events = eventsRepository(db);
    const afterRun = fallbackSwitchesOf(db, events);
    const served: Array<{ day: number; runId: number; model: string; reason: string | null }> = [];
    for (let t = CONNECTED + 3 * DAY + 9 * H; t < CONNECTED + 10 * DAY; t += DAY) {
      const run = await runForecast(deps, { horizon: 'day-ahead', asOf: new Date(t) });
      await afterRun(run.runId);
      const label = (await runSeriesLabels(db, run.runId)).find((l) => l.seriesId === 'new')!;
      served.push({ day: Math.floor((t - CONNECTED) / DAY), runId: run.runId, model: label.model, reason: label.fallbackReason });
      expect((await runSeriesLabels(db, run.runId)).find((l) => l.seriesId === 'old')!.fallbackReason).toBeNull();
    }
    // Three days of history: the shallow-history fallback, labelled with why.
    expect(served[0]).toMatchObject({ day: 3, model: 'shallow-history', reason: expect.stringContaining('short-history') });
    // Once a week of history is there, its model; never back on the fallback afterwards.
    const moved = served.findIndex((s) => s.reason === null);
    expect(moved).toBeGreaterThan(0);
    expect(served[moved]).toMatchObject({ model: 'seasonal-naive' });
    expect(served[moved].day).toBeLessThanOrEqual(8);
    expect(served.slice(moved).every((s) => s.reason === null)).toBe(true);

    const log = (await events.list({ seriesId: 'new' })).reverse();
    // Each at the run that made the switch (at its issue time).
    expect(log.map((e) => [e.kind, e.runId])).toEqual([
      ['fallback-on', served[0].runId],
      ['fallback-off', served[moved].runId],
    ]);
    expect(log[0]).toMatchObject({ modelVersion: expect.stringMatching(/^fit:shallow-history:/), detail: { horizon: 'day-ahead', model: 'shallow-history', reason: expect.stringContaining('short-history') } });
    expect(log[1]).toMatchObject({ modelVersion: expect.stringMatching(/^fit:seasonal-naive:/), detail: { model: 'seasonal-naive', previousFallback: 'shallow-history' } });
    expect(await events.list({ seriesId: 'old' })).toEqual([]);
  }, 240_000);
});
