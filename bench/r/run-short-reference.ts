import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DateTime } from 'luxon';
import type { Forecast } from '../../core/types.ts';
import type { OriginResult } from '../../forecast/backtest/driver.ts';
import { calendarFeatures, DAY_TYPE } from '../../models/features/calendar.ts';
import type { ShortCase } from '../short-cases.ts';

export const R_SHORT_LABEL = 'R gam+auto.arima (14 d)';

/**
 * Runs bench/r/short-reference.R (mgcv gam on the calendar + auto.arima on 14 days of residuals)
 * on a short case's origins; the calendar (local time of day, weekday, public holidays) is
 * computed here with gridcast's calendar, so both sides see the same days.
 */
export async function runShortReference(c: ShortCase): Promise<OriginResult[]> {
  const s = c.input.series;
  const zone = s.timeZone ?? 'UTC';
  const n = s.values.length;
  const cal = calendarFeatures(s.start.getTime(), s.stepSec, n, zone, { country: c.holidays });
  const lines = ['load,tod,dow,holiday'];
  for (let i = 0; i < n; i++) {
    const dow = DateTime.fromMillis(s.start.getTime() + i * s.stepSec * 1000, { zone }).weekday;
    const v = s.values[i];
    lines.push(`${Number.isFinite(v) ? v : 'NA'},${cal.hour[i]},${dow},${cal.dayType[i] === DAY_TYPE.HOLIDAY ? 1 : 0}`);
  }
  const dir = mkdtempSync(join(tmpdir(), 'gridcast-rshort-'));
  try {
    writeFileSync(join(dir, 'data.csv'), lines.join('\n'));
    writeFileSync(join(dir, 'origins.csv'), ['origin', ...c.origins.map((o) => String(o + 1))].join('\n'));
    const script = new URL('./short-reference.R', import.meta.url).pathname;
    await new Promise<void>((resolve, reject) =>
      execFile('Rscript', [script, join(dir, 'data.csv'), join(dir, 'origins.csv'), join(dir, 'out.csv'), String(c.horizon), String(86_400 / s.stepSec)], { maxBuffer: 1 << 24 }, (err, _o, stderr) =>
        err ? reject(new Error(`Rscript failed on ${s.id}: ${stderr || err.message}`)) : resolve(),
      ),
    );
    // origin,step,mean,p10,p50,p90,fit_sec
    const rows = readFileSync(join(dir, 'out.csv'), 'utf8').trim().split('\n').slice(1).map((l) => l.split(',').map(Number));
    const stepMs = s.stepSec * 1000;
    return c.origins.map((o) => {
      const mine = rows.filter((r) => r[0] === o + 1).sort((a, b) => a[1] - b[1]);
      if (mine.length !== c.horizon) throw new Error(`R returned ${mine.length} steps for origin ${o} of ${s.id}`);
      const pick = (k: number) => Float64Array.from(mine, (r) => r[k]);
      const forecast: Forecast = { seriesId: s.id, start: new Date(s.start.getTime() + o * stepMs), stepSec: s.stepSec, mean: pick(2), quantiles: { '0.1': pick(3), '0.5': pick(4), '0.9': pick(5) }, model: R_SHORT_LABEL };
      return { origin: forecast.start, index: o, forecast, actual: s.values.slice(o, o + c.horizon), fitMs: mine[0][6] * 1000, predictMs: 0, refitted: true };
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
