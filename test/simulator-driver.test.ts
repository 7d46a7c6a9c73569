import { describe, expect, it } from 'vitest';
import { backfill, simulatorFor, startLive } from '../ingest/simulator/driver.ts';
import type { SimBatch } from '../ingest/simulator/simulator.ts';

const sim = simulatorFor({ seed: 5 });

describe('simulator drivers', () => {
  it('backfills a span chunk by chunk with the same points as one generate', async () => {
    const from = new Date('2026-03-01T00:00:00Z');
    const to = new Date('2026-03-02T00:00:00Z');
    const seen: SimBatch[] = [];
    const counts = await backfill(sim, { from, to, stepSec: 300, chunkSec: 3 * 3600, onBatch: async (b) => void seen.push(b) });
    expect(seen).toHaveLength(8);
    const whole = sim.generate(from, to, 300);
    expect(seen.flatMap((b) => b.measurements)).toEqual(whole.measurements);
    expect(counts).toEqual({ measurements: whole.measurements.length, weather: whole.weather.length });
  });

  it('emits live ticks that tile time without overlap, and retries an interval whose delivery failed', async () => {
    const base = Date.parse('2026-03-01T12:00:00Z');
    const clock = [30, 60, 90, 120].map((s) => new Date(base + s * 1000));
    let i = 0;
    const spans: Array<[number, number]> = [];
    const errors: unknown[] = [];
    let failOnce = true;
    await new Promise<void>((resolve) => {
      const live = startLive(sim, {
        stepSec: 10,
        tickMs: 1,
        since: new Date(base),
        now: () => clock[Math.min(i++, clock.length - 1)],
        onBatch: async (b) => {
          if (failOnce && spans.length === 1) {
            failOnce = false;
            throw new Error('broker down');
          }
          const ts = b.measurements.map((m) => m.ts.getTime());
          spans.push([Math.min(...ts), Math.max(...ts)]);
          if (spans.length === 3) void live.stop().then(resolve);
        },
        onError: (e) => errors.push(e),
      });
    });
    expect(errors).toHaveLength(1);
    // [0, 30) s, then the failed [30, 60) s is retried as [30, 90) s, then [90, 120) s.
    expect(spans.map(([a, b]) => [(a - base) / 1000, (b - base) / 1000])).toEqual([
      [0, 20],
      [30, 80],
      [90, 110],
    ]);
  });
});
