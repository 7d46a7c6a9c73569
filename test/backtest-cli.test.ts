import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { simulatedLoad } from './backtest-fixtures.ts';

const CLI = resolve(import.meta.dirname, '../bin/gridcast.mjs');

function gridcast(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((done) => {
    execFile(process.execPath, [CLI, 'backtest', ...args], { env: { ...process.env, FORCE_COLOR: '0' } }, (err, stdout, stderr) => {
      done({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr });
    });
  });
}

describe('gridcast backtest (CSV in, CSV out, no database)', () => {
  let dir: string;
  const DAYS = 30;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'gridcast-backtest-'));
    const lines = ['series_id,ts,value'];
    for (const id of ['a', 'b']) {
      const s = simulatedLoad(id, '2024-01-01T00:00:00Z', 24 * DAYS, id === 'a' ? 100 : 50);
      s.values.forEach((v, i) => lines.push(`${id},${new Date(s.start.getTime() + i * 3_600_000).toISOString()},${v.toFixed(3)}`));
    }
    writeFileSync(join(dir, 'load.csv'), lines.join('\n'));
    writeFileSync(join(dir, 'load.csv.gz'), gzipSync(lines.join('\n')));
    const weather = ['station_id,ts,variable,value'];
    const shortWeather = ['station_id,ts,variable,value'];
    for (let i = 0; i < 24 * DAYS; i++) {
      const ts = new Date(Date.parse('2024-01-01T00:00:00Z') + i * 3_600_000).toISOString();
      for (const [st, off] of [['s1', 0], ['s2', 2]] as const) {
        const row = `${st},${ts},temperature,${(5 + off + 3 * Math.sin((i / 24) * 2 * Math.PI)).toFixed(2)}`;
        weather.push(row);
        if (i < 24 * (DAYS - 1) + 12) shortWeather.push(row);
      }
    }
    writeFileSync(join(dir, 'weather.csv'), weather.join('\n'));
    writeFileSync(join(dir, 'weather-short.csv'), shortWeather.join('\n'));
    // 70 days with a two-day outage (days 40 and 41 at 40 % of the load).
    const c = simulatedLoad('c', '2024-01-01T00:00:00Z', 24 * 70);
    const outage = ['series_id,ts,value', ...Array.from(c.values, (v, i) => `c,${new Date(c.start.getTime() + i * 3_600_000).toISOString()},${([40, 41].includes(Math.floor(i / 24)) ? 0.4 * v : v).toFixed(3)}`)];
    writeFileSync(join(dir, 'outage.csv'), outage.join('\n'));
    writeFileSync(join(dir, 'bad.csv'), 'series_id,ts,value\na,2024-01-01T00:00:00Z,12\na,yesterday,13\n');
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('writes the forecasts with the exact columns and prints the accuracy summary', async () => {
    const out = join(dir, 'out.csv');
    const r = await gridcast(['--input', join(dir, 'load.csv.gz'), '--series', 'a', '--model', 'seasonal-naive', '--horizon', '24', '--origins', '3', '--out', out]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const rows = readFileSync(out, 'utf8').trim().split('\n');
    expect(rows[0]).toBe('series_id,model,origin,ts,step,mean,p10,p50,p90');
    expect(rows).toHaveLength(1 + 3 * 24);
    const cells = rows.slice(1).map((l) => l.split(','));
    expect(new Set(cells.map((c) => c[2]))).toEqual(new Set(['2024-01-28T00:00:00.000Z', '2024-01-29T00:00:00.000Z', '2024-01-30T00:00:00.000Z']));
    expect(cells.every((c) => c[0] === 'a' && c[1] === 'seasonal-naive' && c.length === 9)).toBe(true);
    expect(cells.slice(0, 24).map((c) => Number(c[4]))).toEqual(Array.from({ length: 24 }, (_, k) => k + 1));
    expect(cells[0][3]).toBe(cells[0][2]);
    expect(cells.every((c) => Number(c[6]) <= Number(c[7]) && Number(c[7]) <= Number(c[8]))).toBe(true);
    expect(r.stdout).toMatch(/MAPE %/);
    expect(r.stdout).toMatch(/P10-P90 cov %/);
    expect(r.stdout).not.toMatch(/GAM_ABNORMAL_DAYS/);
  });

  it('says which days the GAM was fitted without, and at how many of its fits', async () => {
    const out = join(dir, 'out-outage.csv');
    const r = await gridcast(['--input', join(dir, 'outage.csv'), '--series', 'c', '--model', 'gam', '--horizon', '24', '--origins', '2', '--out', out]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/GAM_ABNORMAL_DAYS: the GAM was fitted without 2 day\(s\) judged abnormal .*: 2024-02-10 \(2 of 2 fits\), 2024-02-11 \(2 of 2 fits\); the GAM parameter abnormalDayThreshold: 0 fits on every day/);
    const off = await gridcast(['--input', join(dir, 'outage.csv'), '--series', 'c', '--model', 'gam', '--horizon', '24', '--origins', '2', '--params', '{"abnormalDayThreshold":0}', '--out', out]);
    expect(off.code).toBe(0);
    expect(off.stdout).not.toMatch(/GAM_ABNORMAL_DAYS/);
  });

  it('reads the weather of the chosen stations and uses --origin-step', async () => {
    const out = join(dir, 'out-w.csv');
    const r = await gridcast(['--input', join(dir, 'load.csv'), '--series', 'b', '--weather', join(dir, 'weather.csv'), '--station', 's1,s2', '--model', 'profile', '--horizon', '12', '--origins', '2', '--origin-step', '48', '--out', out]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const origins = new Set(readFileSync(out, 'utf8').trim().split('\n').slice(1).map((l) => l.split(',')[2]));
    expect(origins).toEqual(new Set(['2024-01-28T00:00:00.000Z', '2024-01-30T00:00:00.000Z']));
  });

  it.each([
    ['an unknown series', ['--series', 'zz'], 1, /UNKNOWN_SERIES/],
    ['too many origins', ['--origins', '400'], 1, /TOO_FEW_DATA/],
    ['a zero horizon', ['--horizon', '0'], 2, /--horizon must be greater than 0/],
    ['an unknown model', ['--model', 'prophet'], 2, /--model must be one of/],
    ['weather missing over part of the targets', ['--weather', 'weather-short.csv'], 1, /WEATHER_MISSING/],
    ['an unknown station', ['--weather', 'weather.csv', '--station', 's9'], 1, /UNKNOWN_STATION/],
    ['a malformed CSV', ['--input', 'bad.csv'], 1, /MALFORMED_CSV.*bad\.csv:3/],
  ])('fails clearly on %s', async (_name, override, code, message) => {
    const args: Record<string, string> = { '--input': 'load.csv', '--series': 'a', '--model': 'seasonal-naive', '--horizon': '24', '--origins': '2', '--out': 'err.csv' };
    for (let i = 0; i < override.length; i += 2) args[override[i]] = override[i + 1];
    const argv = Object.entries(args).flatMap(([k, v]) => [k, ['--input', '--weather', '--out'].includes(k) ? join(dir, v) : v]);
    const r = await gridcast(argv);
    expect(r.code).toBe(code);
    expect(r.stderr).toMatch(message);
  });
});
