import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Series } from '../../core/types.ts';
import { configuredForecaster } from '../../models/configured.ts';
import type { BenchCase } from '../datasets.ts';

const H = 3_600_000;

/** The GAM predictions (the long part: about 10 s a fit) are kept here and reused; delete it to refit. */
export const CACHE = '.bench-out/monitoring-gam';
/** Hourly predictions of the GAM fitted on the 364 days before year Y (observed temperature), for the hours of year Y. */
export const gamCache = new Map<string, Float64Array>();
export async function gamPredictions(c: BenchCase, years: number[]): Promise<Float64Array> {
  const s = c.input.series;
  const temp = c.input.future!.temperature;
  const out = gamCache.get(s.id) ?? new Float64Array(s.values.length).fill(Number.NaN);
  gamCache.set(s.id, out);
  const at = (y: number) => Math.max(0, Math.min(s.values.length, (Date.UTC(y, 0, 1) - s.start.getTime()) / H));
  for (const y of years) {
    if (Number.isFinite(out[at(y) + 24])) continue;
    // 364 days: from a full year on, the GAM adds an annual cycle and a long-term trend, and the
    // trend's spline, extrapolated a year ahead, drives the level to a fraction of the load.
    const [a, b, e] = [Math.max(0, at(y) - 364 * 24), at(y), at(y + 1)];
    const file = join(CACHE, `${s.id}-${y}.f64`);
    if (existsSync(file)) {
      const buf = readFileSync(file);
      out.set(new Float64Array(buf.buffer, buf.byteOffset, buf.byteLength / 8), b);
      continue;
    }
    const history: Series = { ...s, start: new Date(s.start.getTime() + a * H), values: s.values.slice(a, b), timeZone: 'UTC' };
    const fitted = await configuredForecaster({ kind: 'gam', params: {} }, 'US').fit([history], new Map([[s.id, { future: { temperature: temp.slice(a, b) } }]]));
    const [f] = await fitted.predict(e - b, new Map([[s.id, { future: { temperature: temp.slice(b, e) } }]]), [0.5]);
    out.set(f.mean, b);
    mkdirSync(CACHE, { recursive: true });
    writeFileSync(file, Buffer.from(f.mean.buffer, f.mean.byteOffset, f.mean.byteLength));
    process.stderr.write(`${s.id}: GAM fitted on the 364 days before ${y}, predicting it\n`);
  }
  return out;
}

