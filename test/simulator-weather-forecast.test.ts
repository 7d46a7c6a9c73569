import { describe, expect, it } from 'vitest';
import { readDefaultGrid } from '../ingest/simulator/default-grid.ts';
import { createSimulator } from '../ingest/simulator/simulator.ts';
import { createWeatherForecaster, errorSd, FORECAST_HOURS, issueTimes } from '../ingest/simulator/weather-forecast.ts';

const HOUR = 3_600_000;
const station = { id: 'ws.test', latitude: 48.8, longitude: 2.3 };
// A flat truth makes each forecast value its error.
const flat = () => 10;

function sd(xs: number[]): number {
  const m = xs.reduce((a, b) => a + b, 0) / xs.length;
  return Math.sqrt(xs.reduce((a, b) => a + (b - m) ** 2, 0) / (xs.length - 1));
}

describe('simulated weather forecasts', () => {
  it('issues at 00, 06, 12 and 18 UTC, half-open on [from, to)', () => {
    const from = Date.parse('2026-03-01T00:00:00Z');
    const times = issueTimes(from, from + 2 * 24 * HOUR);
    expect(times.map((t) => new Date(t).toISOString().slice(11, 16))).toEqual(['00:00', '06:00', '12:00', '18:00', '00:00', '06:00', '12:00', '18:00']);
    expect(issueTimes(from + 1, from + 6 * HOUR)).toEqual([]);
    expect(issueTimes(from + 1, from + 6 * HOUR + 1)).toEqual([from + 6 * HOUR]);
  });

  it('is a pure function of seed, station and issue time', () => {
    const issued = Date.parse('2026-01-10T06:00:00Z');
    const a = createWeatherForecaster(3, flat)(station, issued);
    expect(createWeatherForecaster(3, flat)(station, issued)).toEqual(a);
    expect(createWeatherForecaster(4, flat)(station, issued)).not.toEqual(a);
    expect(createWeatherForecaster(3, flat)({ ...station, id: 'ws.other' }, issued)).not.toEqual(a);
    expect(createWeatherForecaster(3, flat)(station, issued + 6 * HOUR)).not.toEqual(a);
    expect(a).toHaveLength(FORECAST_HOURS);
    expect(a.map((p) => p.targetMs)).toEqual(Array.from({ length: FORECAST_HOURS }, (_, h) => issued + h * HOUR));
  });

  it('has an error that grows with lead: about 1 °C at 24 h and 3 °C at 168 h', () => {
    const forecast = createWeatherForecaster(11, flat);
    const errors = new Map<number, number[]>([[0, []], [24, []], [72, []], [168, []]]);
    for (const issued of issueTimes(Date.parse('2025-01-01T00:00:00Z'), Date.parse('2025-05-11T00:00:00Z'))) {
      for (const id of ['a', 'b', 'c']) {
        const f = forecast({ ...station, id }, issued);
        for (const [lead, xs] of errors) xs.push(f[lead].value - 10);
      }
    }
    expect(errors.get(24)!.length).toBe(1560);
    expect(errors.get(0)!.every((e) => e === 0)).toBe(true);
    const s = (lead: number) => sd(errors.get(lead)!);
    for (const lead of [24, 72, 168]) {
      expect(s(lead) / errorSd(lead)).toBeGreaterThan(0.9);
      expect(s(lead) / errorSd(lead)).toBeLessThan(1.1);
    }
    expect(s(24)).toBeLessThan(s(72));
    expect(s(72)).toBeLessThan(s(168));
    expect(errorSd(24)).toBeCloseTo(1, 1);
    expect(errorSd(168)).toBeCloseTo(3, 1);
  });

  it('forecasts the simulator own temperature: exact at lead 0, issued before every target', () => {
    const sim = createSimulator({ seed: 9, topology: readDefaultGrid(), faults: false });
    const from = new Date('2026-02-01T03:00:00Z');
    const to = new Date('2026-02-02T03:00:00Z');
    const rows = sim.weatherForecasts(from, to);
    expect(rows).toHaveLength(4 * sim.stationIds.length * FORECAST_HOURS);
    expect(new Set(rows.map((r) => r.stationId))).toEqual(new Set(sim.stationIds));
    expect(rows.every((r) => r.issuedAt >= from && r.issuedAt < to && r.issuedAt <= r.targetTs && r.variable === 'temperature')).toBe(true);
    const issued = new Date('2026-02-01T06:00:00Z');
    const obs = sim.generate(issued, new Date(issued.getTime() + 1000), 600).weather.filter((w) => w.variable === 'temperature');
    for (const o of obs) {
      const f = rows.find((r) => r.stationId === o.stationId && r.issuedAt.getTime() === issued.getTime() && r.targetTs.getTime() === issued.getTime());
      expect(f?.value).toBe(o.value);
    }
    expect(obs).toHaveLength(sim.stationIds.length);
  });
});
