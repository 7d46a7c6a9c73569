import { readTopologyFile } from '../topology/read.ts';
import type { Topology } from '../../core/topology/schema.ts';
import { readDefaultGrid } from './default-grid.ts';
import { createSimulator, type SimBatch, type Simulator } from './simulator.ts';

/**
 * Small drivers around the pure simulator for `gridcast start`: a history backfill and live
 * ticks. They own the clock and the pacing; where the points go (MQTT, the ingest path) is
 * the caller's `onBatch`.
 */

/** The simulator of a topology file, or of the built-in default grid when no path is given. */
export function simulatorFor(opts: { seed: number; topologyPath?: string }): Simulator {
  const topology: Topology = opts.topologyPath ? readTopologyFile(opts.topologyPath) : readDefaultGrid();
  return createSimulator({ seed: opts.seed, topology });
}

/**
 * Feeds [from, to) to onBatch chunk by chunk, waiting for each (backpressure), so 60 days of
 * history never sit in memory at once. Use a coarse step (300 s, 3600 s) for long spans.
 */
export async function backfill(
  sim: Simulator,
  opts: { from: Date; to: Date; stepSec: number; chunkSec?: number; onBatch: (batch: SimBatch) => Promise<void> },
): Promise<{ measurements: number; weather: number }> {
  let measurements = 0;
  let weather = 0;
  for (const batch of sim.chunks(opts.from, opts.to, opts.stepSec, opts.chunkSec ?? 6 * 3600)) {
    measurements += batch.measurements.length;
    weather += batch.weather.length;
    await opts.onBatch(batch);
  }
  return { measurements, weather };
}

export interface LiveSimulation {
  /** Stops the timer and waits for the batch in flight. */
  stop(): Promise<void>;
}

/**
 * Every tickMs, emits the points of [previous tick, now) on the stepSec grid, starting at
 * `since` (default: now). A tick never overlaps the previous one: a slow onBatch delays the
 * next tick, which then catches up. Errors go to onError and do not stop the ticks.
 */
export function startLive(
  sim: Simulator,
  opts: {
    stepSec: number;
    tickMs: number;
    since?: Date;
    now?: () => Date;
    onBatch: (batch: SimBatch) => Promise<void>;
    onError: (e: unknown) => void;
  },
): LiveSimulation {
  const now = opts.now ?? (() => new Date());
  let cursor = opts.since ?? now();
  let stopped = false;
  let inFlight: Promise<void> = Promise.resolve();
  let timer: NodeJS.Timeout | undefined;
  const tick = async () => {
    const until = now();
    if (until > cursor) {
      try {
        await opts.onBatch(sim.generate(cursor, until, opts.stepSec));
        cursor = until;
      } catch (e) {
        opts.onError(e);
      }
    }
    if (!stopped) timer = setTimeout(() => (inFlight = tick()), opts.tickMs);
  };
  timer = setTimeout(() => (inFlight = tick()), opts.tickMs);
  return {
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await inFlight;
    },
  };
}
