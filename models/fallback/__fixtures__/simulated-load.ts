import type { Series } from '../../../core/types.ts';

/** Seeded standard normal generator (Park–Miller + Box–Muller), so every test run sees the same data. */
export function normals(seed: number): () => number {
  let s = seed;
  const u = () => (s = (s * 16807) % 2147483647) / 2147483647;
  return () => Math.sqrt(-2 * Math.log(u())) * Math.cos(2 * Math.PI * u());
}

/**
 * Hourly load: daily double hump, lower weekends, AR(1) noise (phi) of standard deviation `noise`.
 * Starts on Monday 2024-01-01 00:00 UTC.
 */
export function simulatedLoad(days: number, opts: { seed?: number; phi?: number; noise?: number; id?: string; timeZone?: string; stepSec?: number } = {}): Series {
  const stepSec = opts.stepSec ?? 3600;
  const perDay = 86_400 / stepSec;
  const n = days * perDay;
  const g = normals(opts.seed ?? 11);
  const phi = opts.phi ?? 0.8;
  const sd = (opts.noise ?? 5) * Math.sqrt(1 - phi * phi);
  const values = new Float64Array(n);
  let ar = 0;
  for (let t = 0; t < n; t++) {
    const hour = ((t % perDay) / perDay) * 24;
    const day = Math.floor(t / perDay) % 7;
    const shape = 100 + 20 * Math.exp(-((hour - 9) ** 2) / 8) + 30 * Math.exp(-((hour - 19) ** 2) / 6);
    ar = phi * ar + sd * g();
    values[t] = shape * (day >= 5 ? 0.8 : 1) + ar;
  }
  return { id: opts.id ?? 'sub-1', start: new Date('2024-01-01T00:00:00Z'), stepSec, values, timeZone: opts.timeZone ?? 'UTC' };
}

export function slice(s: Series, from: number, to: number): Series {
  return { ...s, start: new Date(s.start.getTime() + from * s.stepSec * 1000), values: s.values.slice(from, to) };
}
