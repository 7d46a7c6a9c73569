import { DateTime } from 'luxon';
import { describe, expect, it } from 'vitest';
import { toDaily } from './temporal.ts';

const PARIS = 'Europe/Paris';
const local = (iso: string) => DateTime.fromISO(iso, { zone: PARIS }).toMillis();
const ramp = (k: number) => Float64Array.from({ length: k }, (_, i) => i + 1);
const sum = (a: ArrayLike<number>, from: number, to: number) => Array.from(a).slice(from, to).reduce((s, v) => s + v, 0);

describe('toDaily (Europe/Paris)', () => {
  it('averages power over the 23-hour spring-forward day and flags the partial last day', () => {
    const v = ramp(72);
    const d = toDaily(v, local('2024-03-30T00:00'), 3600, PARIS, 'MW');
    expect(d.dayStartMs).toEqual([local('2024-03-30'), local('2024-03-31'), local('2024-04-01'), local('2024-04-02')]);
    expect(d.steps).toEqual([24, 23, 24, 1]);
    expect(d.complete).toEqual([true, true, true, false]);
    expect([...d.values]).toEqual([sum(v, 0, 24) / 24, sum(v, 24, 47) / 23, sum(v, 47, 71) / 24, 72]);
  });

  it('sums energy over the 25-hour fall-back day', () => {
    const v = ramp(73);
    const d = toDaily(v, local('2024-10-26T00:00'), 3600, PARIS, 'MWh');
    expect(d.steps).toEqual([24, 25, 24]);
    expect(d.complete).toEqual([true, true, true]);
    expect([...d.values]).toEqual([sum(v, 0, 24), sum(v, 24, 49), sum(v, 49, 73)]);
    // The daily energy is exactly what the hours add up to (C2).
    expect(d.values.reduce((s, x) => s + x, 0)).toBe(sum(v, 0, 73));
  });

  it('a forecast starting mid-day gives an incomplete first day; 15-minute steps count 92 on the short day', () => {
    const d = toDaily(new Float64Array(4 * 23 + 4 * 18).fill(2), local('2024-03-30T06:00'), 900, PARIS, 'kWh');
    expect(d.steps).toEqual([72, 92]);
    expect(d.complete).toEqual([false, true]);
    expect([...d.values]).toEqual([144, 184]);
  });

  it('treats units other than …Wh as averages and rejects unusable steps and zones', () => {
    expect([...toDaily(Float64Array.of(1, 3), local('2024-01-01T00:00'), 43200, PARIS, 'kW').values]).toEqual([2]);
    expect([...toDaily(Float64Array.of(1, 3), local('2024-01-01T00:00'), 43200, PARIS, ' kwh ').values]).toEqual([4]);
    expect(() => toDaily(ramp(3), 0, 7000, PARIS, 'MW')).toThrow(expect.objectContaining({ code: 'TEMPORAL_STEP' }));
    expect(() => toDaily(ramp(3), 0, 3600, 'Mars/Olympus', 'MW')).toThrow(expect.objectContaining({ code: 'TEMPORAL_ZONE' }));
  });
});
