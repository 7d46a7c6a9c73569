import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Forecast } from '../../core/types.ts';
import type { BacktestInput, OriginResult } from '../../forecast/backtest/driver.ts';
import { usHolidayFlags } from '../holidays.ts';

export function rscriptAvailable(): boolean {
  try {
    execFileSync('Rscript', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/**
 * Runs bench/r/reference.R (mgcv bam + auto.arima) on the same series and origins, data passed
 * through temporary CSV files; resolves to results shaped like the TS backtest's.
 */
export async function runReference(input: BacktestInput, origins: number[], horizon: number, opts: { windowDays?: number; refitEvery?: number } = {}): Promise<OriginResult[]> {
  const dir = mkdtempSync(join(tmpdir(), 'gridcast-r-'));
  try {
    const s = input.series;
    const stepMs = s.stepSec * 1000;
    const temp = input.future?.temperature;
    if (!temp) throw new Error(`R reference needs a temperature for ${s.id}`);
    const fc = input.futureForecast?.temperature ?? temp;
    const hol = usHolidayFlags(s.start.getTime(), s.stepSec, s.values.length);
    const lines = ['ts,load,temp,temp_fc,holiday'];
    const cell = (v: number) => (Number.isFinite(v) ? String(v) : 'NA');
    for (let i = 0; i < s.values.length; i++) {
      lines.push(`${new Date(s.start.getTime() + i * stepMs).toISOString().slice(0, 19)},${cell(s.values[i])},${cell(temp[i])},${cell(fc[i])},${hol[i]}`);
    }
    writeFileSync(join(dir, 'data.csv'), lines.join('\n'));
    // R rows are 1-based: the first target of origin index o is row o + 1.
    writeFileSync(join(dir, 'origins.csv'), ['origin', ...origins.map((o) => String(o + 1))].join('\n'));
    const script = new URL('./reference.R', import.meta.url).pathname;
    await new Promise<void>((resolve, reject) => {
      execFile(
        'Rscript',
        [script, join(dir, 'data.csv'), join(dir, 'origins.csv'), join(dir, 'out.csv'), String(horizon), String(opts.windowDays ?? 42), String(opts.refitEvery ?? 1)],
        { maxBuffer: 1 << 24 },
        (err, _out, stderr) => (err ? reject(new Error(`Rscript failed on ${s.id}: ${stderr || err.message}`)) : resolve()),
      );
    });
    const rows = readFileSync(join(dir, 'out.csv'), 'utf8').trim().split('\n').slice(1).map((l) => l.split(',').map(Number));
    return origins.map((o) => {
      const mine = rows.filter((r) => r[0] === o + 1).sort((a, b) => a[1] - b[1]);
      const pick = (c: number) => Float64Array.from(mine, (r) => r[c]);
      const forecast: Forecast = {
        seriesId: s.id,
        start: new Date(s.start.getTime() + o * stepMs),
        stepSec: s.stepSec,
        mean: pick(2),
        quantiles: { '0.1': pick(3), '0.5': pick(4), '0.9': pick(5) },
        model: 'R bam+auto.arima',
      };
      return { origin: forecast.start, index: o, forecast, actual: s.values.slice(o, o + horizon), fitMs: (mine[0]?.[6] ?? 0) * 1000, predictMs: 0, refitted: true };
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
