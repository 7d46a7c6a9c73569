import { describe, expect, it } from 'vitest';
import { fakeEvents } from '../../test/fakes/events.ts';
import { appendOutOfRangeEvents, outOfRange, trainingRange } from './out-of-range.ts';

const HOUR = 3_600_000;
const START = Date.UTC(2026, 0, 1);

describe('temperature outside the training range', () => {
  const history = Float64Array.from([5, Number.NaN, 30, 12, -3, 18, 40]);
  it('takes the range over the version’s training window, or the whole history for a model fitted in the run', () => {
    const iso = (h: number) => new Date(START + h * HOUR).toISOString();
    expect(trainingRange(history, START, { start: iso(1), end: iso(4) })).toEqual({ min: 12, max: 30 });
    expect(trainingRange(history, START)).toEqual({ min: -3, max: 40 });
    // A version trained before the run's history began: unknown, not judged against other data.
    expect(trainingRange(history, START, { start: iso(-100), end: iso(-50) })).toBeNull();
    expect(trainingRange(Float64Array.from([Number.NaN]), START)).toBeNull();
  });
  it('flags a step when any path leaves the range, at either end; the bounds themselves are inside', () => {
    const range = { min: 0, max: 30 };
    expect(outOfRange([Float64Array.from([0, 30, 31, -1, 10])], range)).toEqual([false, false, true, true, false]);
    expect(outOfRange([Float64Array.from([10, 10]), Float64Array.from([10, 35])], range)).toEqual([false, true]);
    expect(outOfRange([Float64Array.from([Number.NaN])], range)).toEqual([false]);
  });
  it('appends one event per series of the run, with the training range and the forecast extremes', async () => {
    const events = fakeEvents();
    const at = new Date(START);
    await appendOutOfRangeEvents(events, at, 7, [{ seriesId: 'z1', modelVersion: 'load@1', range: { min: -3, max: 29 }, hours: 9, lowest: 30.1, highest: 36, first: '2026-07-01T10:00:00.000Z' }]);
    expect(events.rows).toHaveLength(1);
    expect(events.rows[0]).toMatchObject({ kind: 'out-of-range', seriesId: 'z1', modelVersion: 'load@1', runId: 7, at, detail: { input: 'temperature', trainingMax: 29, highest: 36, hours: 9 } });
    // A failing log costs a warning, never the stored run.
    const warned: unknown[] = [];
    await appendOutOfRangeEvents({ ...events, append: () => Promise.reject(new Error('down')) }, at, 8, [{ seriesId: 'z1', modelVersion: 'v', range: { min: 0, max: 1 }, hours: 1, lowest: 2, highest: 2, first: '' }], {
      info() {},
      warn: (o) => void warned.push(o),
      error() {},
    });
    expect(warned).toHaveLength(1);
  });
});
