import { setImmediate } from 'node:timers/promises';
import type { MqttClient } from 'mqtt';
import { GridcastError } from '../../core/errors.ts';
import { checkpointEmbedded, type Db } from '../../store/db.ts';
import { claimBatch, finishBatch } from '../../store/batches.repository.ts';
import { insertMeasurements } from '../../store/measurements.repository.ts';
import { insertWeatherForecasts, insertWeatherObs } from '../../store/weather.repository.ts';
import type { Simulator, SimBatch } from '../simulator/simulator.ts';
import type { IngestBuffer } from './buffer.ts';
import type { Log } from '../../core/log.ts';

// One transaction and one ledger batch per simulated day: at 5-min steps a day of the default
// grid is ~7,000 points, so a stop during the backfill waits a second, not a week's worth.
const CHUNK_MS = 86_400_000;
// Past forecasts only serve runs with a past origin (catch-up, --as-of); writing them for the
// whole history would add ~2 s of start-up per 60 days (≈2,600 rows per simulated day).
const FORECAST_BACKFILL_MS = 28 * 86_400_000;

/**
 * Writes the simulator's history over [now - days, end) at stepSec, end being `now` floored to
 * the step (the live feed starts there), one transaction per simulated day, with the weather
 * forecasts issued in that day over the last 28 days (the last day's up to now, so the latest
 * issue covers the days ahead). Each whole day is a ledger batch keyed by (seed, day, step), so a
 * restart skips the days already written; only the current partial day is written again
 * (idempotently). Stops between days when `signal` aborts (BACKFILL_ABORTED).
 */
export async function backfillSimulated(
  db: Db,
  sim: Simulator,
  opts: { seed: number; days: number; stepSec: number; now: Date; log: Log; signal?: AbortSignal },
): Promise<{ points: number; skippedChunks: number; end: Date }> {
  const end = Math.floor(opts.now.getTime() / (opts.stepSec * 1000)) * opts.stepSec * 1000;
  let points = 0;
  let skippedChunks = 0;
  const first = Math.floor((end - opts.days * 86_400_000) / CHUNK_MS) * CHUNK_MS;
  if (first < end) opts.log.info({ days: opts.days, stepSec: opts.stepSec, from: new Date(first), to: new Date(end) }, 'writing the simulated history');
  for (let day = first; day < end; day += CHUNK_MS) {
    // PGlite answers in the same thread without waiting on I/O: without a turn of the event loop
    // between days, a signal, a timer or an HTTP request would wait for the whole backfill.
    await setImmediate();
    if (opts.signal?.aborted) throw new GridcastError('BACKFILL_ABORTED', `The simulated backfill stopped at ${new Date(day).toISOString()}; a restart continues it.`);
    const to = Math.min(end, day + CHUNK_MS);
    const whole = to === day + CHUNK_MS;
    const key = `simulator:backfill:${opts.seed}:${opts.stepSec}:${new Date(day).toISOString()}${whole ? '' : `:${to}`}`;
    const batch = sim.generate(new Date(day), new Date(to), opts.stepSec);
    // Issues in (end, now] belong to no later chunk and precede the live feed: the last chunk takes them.
    const forecasts = sim.weatherForecasts(new Date(Math.max(day, opts.now.getTime() - FORECAST_BACKFILL_MS)), new Date(to === end ? opts.now.getTime() + 1 : to));
    const written = await db.transaction(async (tx) => {
      const id = await claimBatch(tx, { source: 'simulator', batchKey: key, kind: 'measurements' });
      if (id === null) return null;
      const { written } = await insertMeasurements(tx, batch.measurements, id);
      await insertWeatherObs(tx, batch.weather, id);
      await insertWeatherForecasts(tx, forecasts, id);
      await finishBatch(tx, id, { status: 'committed', rowCount: written, report: { backfill: true, stepSec: opts.stepSec, weatherForecasts: forecasts.length, from: new Date(day).toISOString(), to: new Date(to).toISOString() } });
      return written;
    });
    if (written === null) skippedChunks++;
    else points += written;
    if ((day - first) % (10 * CHUNK_MS) === 0) await checkpointEmbedded(db);
  }
  await checkpointEmbedded(db, { analyze: points > 0 });
  opts.log.info({ days: opts.days, stepSec: opts.stepSec, points, skippedChunks }, 'simulated history written');
  return { points, skippedChunks, end: new Date(end) };
}

export interface LiveFeed {
  stop(): Promise<void>;
  stats(): { ticks: number; points: number; mode: 'mqtt' | 'direct' };
}

/**
 * Live simulated telemetry every tickMs: the points of [last tick, now) at stepSec. With a
 * broker they are published (QoS 1, one message per reading, like field devices) and come back
 * through the MQTT subscriber; without one they go straight into the ingest buffer. Weather
 * observations, and each weather forecast once its issue time has passed, are written directly:
 * they are not SCADA telemetry.
 */
export function startLiveFeed(opts: {
  db: Db;
  sim: Simulator;
  stepSec: number;
  tickMs: number;
  log: Log;
  since: Date;
  target: { mqtt: MqttClient; topicPrefix: string } | { buffer: IngestBuffer };
}): LiveFeed {
  const stepMs = opts.stepSec * 1000;
  let from = Math.floor(opts.since.getTime() / stepMs) * stepMs;
  // Forecasts issued at or before `since` were written by the backfill (again here: idempotent).
  let issuedFrom = opts.since.getTime();
  let ticks = 0;
  let points = 0;
  let running: Promise<void> = Promise.resolve();

  async function tick() {
    const to = Math.floor(Date.now() / stepMs) * stepMs + stepMs;
    if (to <= from) return;
    const batch: SimBatch = opts.sim.generate(new Date(from), new Date(to), opts.stepSec);
    from = to;
    ticks++;
    points += batch.measurements.length;
    if ('mqtt' in opts.target) {
      const { mqtt, topicPrefix } = opts.target;
      await Promise.all(
        batch.measurements.map((m) => mqtt.publishAsync(`${topicPrefix}/${m.seriesId}/p`, JSON.stringify({ ts: m.ts.toISOString(), value: m.value }), { qos: 1 })),
      );
    } else {
      opts.target.buffer.add(batch.measurements);
    }
    if (batch.weather.length) await opts.db.transaction((tx) => insertWeatherObs(tx, batch.weather));
    // Not `to`: the telemetry window ends up to a step ahead of the clock, and a forecast is not issued early.
    const issuedTo = Date.now() + 1;
    const forecasts = opts.sim.weatherForecasts(new Date(issuedFrom), new Date(issuedTo));
    if (forecasts.length) await opts.db.transaction((tx) => insertWeatherForecasts(tx, forecasts));
    issuedFrom = issuedTo;
  }

  const run = () => {
    running = running.then(tick).catch((e: Error) => opts.log.error({ err: e.message }, 'simulated tick failed'));
  };
  run();
  const timer = setInterval(run, opts.tickMs);
  return {
    async stop() {
      clearInterval(timer);
      await running;
    },
    stats: () => ({ ticks, points, mode: 'mqtt' in opts.target ? 'mqtt' : 'direct' }),
  };
}
