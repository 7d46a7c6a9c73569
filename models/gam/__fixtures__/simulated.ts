import { localClock } from '../../../core/calendar.ts';
import type { Series } from '../../../core/types.ts';

/** Seeded standard normals (Park–Miller + Box–Muller): every run sees the same data. */
export function normals(seed: number): () => number {
  let s = seed;
  const u = () => (s = (s * 16807) % 2147483647) / 2147483647;
  return () => Math.sqrt(-2 * Math.log(u())) * Math.cos(2 * Math.PI * u());
}

/**
 * Hourly load driven by calendar and temperature: a daily double hump, lower weekends, heating below
 * 15 °C that follows the temperature of the last days (thermal inertia), plus noise. Temperature has
 * an annual and a daily cycle and weather noise. Starts Monday 2024-01-01 00:00 UTC; the daily
 * shape follows the local clock of `timeZone` (so it moves by an hour in UTC across DST).
 */
export function simulatedLoadWithWeather(days: number, seed = 7, timeZone = 'UTC'): { series: Series; temperature: Float64Array } {
  const n = days * 24;
  const g = normals(seed);
  const temperature = new Float64Array(n);
  const values = new Float64Array(n);
  let weather = 0;
  let slow = 10;
  const clock = localClock(Date.parse('2024-01-01T00:00:00Z'), 3600, n, timeZone);
  for (let t = 0; t < n; t++) {
    const hour = clock.hour[t];
    const day = Math.floor(t / 24);
    weather = 0.98 * weather + 0.6 * g();
    temperature[t] = 10 - 8 * Math.cos((2 * Math.PI * day) / 365) + 4 * Math.sin((2 * Math.PI * (hour - 9)) / 24) + weather;
    slow += (1 - 2 ** (-1 / 72)) * (temperature[t] - slow);
    const shape = 100 + 20 * Math.exp(-((hour - 9) ** 2) / 8) + 30 * Math.exp(-((hour - 19) ** 2) / 6);
    const weekend = day % 7 >= 5 ? 0.8 : 1;
    values[t] = shape * weekend + 3 * Math.max(0, 15 - slow) + 2 * g();
  }
  return { series: { id: 'feeder-1', start: new Date('2024-01-01T00:00:00Z'), stepSec: 3600, values, timeZone }, temperature };
}
