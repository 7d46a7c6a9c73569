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
 * through temporary CSV files. `inputs` are weather variants of one series (same load and observed
 * temperature; with or without forecast temperatures): R fits once and predicts each variant.
 * Resolves to one list of results per input, shaped like the TS backtest's.
 */
export async function runReference(inputs: BacktestInput[], origins: number[], horizon: number, opts: { windowDays?: number; refitEvery?: number } = {}): Promise<OriginResult[][]> {
  const dir = mkdtempSync(join(tmpdir(), 'gridcast-r-'));
  try {
    const input = inputs[0];
    const s = input.series;
    const stepMs = s.stepSec * 1000;
    const temp = input.future?.temperature;
    if (!temp) throw new Error(`R reference needs a temperature for ${s.id}`);
    const fc = inputs.find((x) => x.futureForecast)?.futureForecast?.temperature ?? new Float64Array(s.values.length).fill(Number.NaN);
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
    // origin,"variant",step,mean,p10,p50,p90,fit_sec
    const rows = readFileSync(join(dir, 'out.csv'), 'utf8').trim().split('\n').slice(1).map((l) => l.split(','));
    return inputs.map((inp) => resultsOf(rows, inp.futureForecast ? 'forecast' : 'observed', s.values, s.id, s.start.getTime(), s.stepSec, origins, horizon));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function resultsOf(rows: string[][], variant: string, values: Float64Array, id: string, startMs: number, stepSec: number, origins: number[], horizon: number): OriginResult[] {
  const stepMs = stepSec * 1000;
  return origins.map((o) => {
    const mine = rows.filter((r) => Number(r[0]) === o + 1 && r[1].replace(/"/g, '') === variant).sort((a, b) => Number(a[2]) - Number(b[2]));
    const pick = (c: number) => Float64Array.from(mine, (r) => Number(r[c]));
    if (mine.length !== horizon) throw new Error(`R reference returned ${mine.length} steps for origin ${o} (${variant}) of ${id}`);
    const forecast: Forecast = {
      seriesId: id,
      start: new Date(startMs + o * stepMs),
      stepSec,
      mean: pick(3),
      quantiles: { '0.1': pick(4), '0.5': pick(5), '0.9': pick(6) },
      model: 'R bam+auto.arima',
    };
    return { origin: forecast.start, index: o, forecast, actual: values.slice(o, o + horizon), fitMs: Number(mine[0][7]) * 1000, predictMs: 0, refitted: true };
  });
}
