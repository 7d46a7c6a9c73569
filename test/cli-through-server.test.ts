import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../core/config.ts';
import { registryServiceOf } from '../bin/lib/registry-service.ts';
import { trainModel } from '../forecast/registry/service.ts';
import { trainDeps } from '../bin/lib/train-deps.ts';
import { runForecast } from '../forecast/run/service.ts';
import { forecasterFor } from '../bin/lib/models.ts';
import { openStore } from '../store/open.ts';
import { storeOwner } from '../store/store-lock.ts';
import { freePort } from './net.ts';
import { AS_OF_MARCH, HISTORY_DAYS, seedGrid } from './fixtures/runs/grid.ts';
import { runDeps } from '../bin/lib/run-deps.ts';
import { eventsRepository } from '../store/events.repository.ts';

/**
 * While `gridcast start` holds an embedded store, `query`, `forecast show` and `models` read
 * through its API and print the same bytes as they do from the store once it has stopped; API
 * problems print as local errors do; writes get STORE_LOCKED naming the API route to use.
 */
const CLI = new URL('../bin/gridcast.mjs', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'gridcast-remote-'));
const data = join(dir, 'data');
const configFile = join(dir, 'gridcast.json');
// No simulator: the store holds the fixture grid only, so the server starts in a second or two.
// The server's scheduled work is off: its runs, catch-up alarms and monitoring would change what the reads under test return.
const off = Object.fromEntries(['forecast-intraday', 'forecast-day-ahead', 'forecast-week-ahead', 'forecast-mid-term', 'drift', 'ruptures', 'score', 'review'].map((j) => [j, { enabled: false }]));
writeFileSync(configFile, JSON.stringify({ simulator: { enabled: false }, forecast: { defaultModel: { kind: 'seasonal-naive' }, historyDays: HISTORY_DAYS, holidays: 'FR' }, jobs: off }));
const baseEnv: NodeJS.ProcessEnv = { ...process.env, FORCE_COLOR: '0', GRIDCAST_CONFIG: configFile, GRIDCAST_DATA_DIR: data, LOG_LEVEL: 'warn' };
delete baseEnv.DATABASE_URL;
delete baseEnv.GRIDCAST_API_KEY;

interface Result {
  code: number;
  stdout: string;
  stderr: string;
}
const gridcast = (args: string[], env: NodeJS.ProcessEnv = {}) =>
  new Promise<Result>((done) => {
    execFile(process.execPath, [CLI, ...args], { env: { ...baseEnv, ...env }, maxBuffer: 64 << 20 }, (err, stdout, stderr) =>
      done({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr }),
    );
  });

const READS = [
  ['query', '--series', 'grid', '--from', '2025-03-27', '--to', '2025-03-29', '--grain', '1h'],
  ['query', '--series', 'south', '--from', '2025-03-20', '--to', '2025-03-29', '--grain', '1d', '--format', 'json'],
  ['query', '--series', 'ss2', '--from', '2025-03-28T00:00:00Z', '--to', '2025-03-28T06:00:00+01:00', '--grain', 'raw', '--format', 'json'],
  ['forecast', 'show', '--latest', '--horizon', 'day-ahead'],
  ['forecast', 'show', '1', '--series', 'ss2', '--grain', '1d', '--allocation', 'none'],
  ['models', 'list'],
  ['models', 'list', '--status', 'champion'],
  ['models', 'show', 'grid@1'],
  ['models', 'audit'],
  ['models', 'audit', 'grid', '--limit', '1'],
  ['forecast', 'show', '--latest', '--horizon', 'day-ahead', '--format', 'json'],
  ['forecast', 'show', '1', '--series', 'ss2', '--allocation', 'none', '--format', 'json'],
  ['events'],
  ['events', '--kind', 'rupture,fallback-on', '--series', 'ss2', '--from', '2025-03-28', '--to', '2025-03-29T12:00:00Z', '--format', 'csv'],
  ['accuracy', '--from', '2025-03-01', '--to', '2025-04-01', '--format', 'json'],
];
const FAILURES = [
  ['query', '--series', 'nowhere', '--from', '2025-03-27', '--to', '2025-03-28', '--grain', '1h'],
  ['forecast', 'show', '99'],
  ['models', 'show', 'grid@9'],
];

describe('read commands through a running gridcast start', () => {
  let server: ChildProcess | undefined;
  let output = '';
  let url = '';
  const through = new Map<string, Result>();

  beforeAll(async () => {
    const config = loadConfig(baseEnv);
    const db = await openStore(config);
    try {
      await seedGrid(db, { climate: false });
      const build = (kind: string, params: Record<string, unknown>) => forecasterFor(kind, params, { holidays: 'FR' });
      await trainModel(trainDeps(db, config), { model: 'grid', kind: 'seasonal-naive', seriesIds: ['ss2', 'ss3'], trainEnd: new Date('2025-03-29T00:00:00Z'), actor: 'alice', codeVersion: 'test' }, build);
      await registryServiceOf(db).promote('grid@1', { actor: 'carol', reason: 'first model' });
      await runForecast(runDeps(db, config), { horizon: 'day-ahead', asOf: AS_OF_MARCH });
      const log = eventsRepository(db);
      await log.append({ at: new Date('2025-03-28T09:00:00Z'), kind: 'rupture', seriesId: 'ss2', modelVersion: 'grid@1', detail: { statistic: 6.2, reason: 'level, shift' } });
      await log.append({ at: new Date('2025-03-29T06:00:00Z'), kind: 'fallback-on', seriesId: 'ss2', runId: 1 });
      await log.append({ at: new Date('2025-03-29T07:00:00Z'), kind: 'drift', seriesId: 'grid', detail: { feature: 'temperature' } });
    } finally {
      await db.close();
    }

    server = spawn(process.execPath, [CLI, 'start'], { env: { ...baseEnv, PORT: String(await freePort()) }, stdio: ['ignore', 'pipe', 'pipe'] });
    server.stdout!.on('data', (d) => (output += d));
    server.stderr!.on('data', (d) => (output += d));
    const end = Date.now() + 60_000;
    while (Date.now() < end && server.exitCode === null && !(url = storeOwner(data)?.url ?? '')) await new Promise((r) => setTimeout(r, 100));
    expect(url, output).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  }, 120_000);

  afterAll(() => {
    if (server?.exitCode === null) server.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  it('reads through the server, saying so on stderr; problems print as local errors', async () => {
    // Two at a time: CI has two cores, shared with the other test files.
    const queue = [...READS, ...FAILURES];
    const worker = async () => {
      for (let args = queue.shift(); args; args = queue.shift()) through.set(args.join(' '), await gridcast(args));
    };
    await Promise.all([worker(), worker()]);
    const note = `gridcast: note: the store is held by a running gridcast: read through its API at ${url}\n`;
    for (const args of READS) {
      const r = through.get(args.join(' '))!;
      expect(r.stderr, args.join(' ')).toBe(note);
      expect(r.code).toBe(0);
    }
    const out = (i: number) => through.get(READS[i].join(' '))!.stdout;
    expect(out(0).split('\n')).toHaveLength(1 + 48 + 1);
    expect(JSON.parse(out(1)).length).toBeGreaterThan(5);
    expect(out(3).split('\n').length).toBeGreaterThan(100);
    expect(out(5)).toMatch(/^grid@1\s+champion\s+seasonal-naive\s+2\s/m);
    expect(out(12).split('\n').map((l) => l.split(/\s+/)[1])).toEqual(['kind', 'drift', 'fallback-on', 'rupture', undefined]);
    expect(out(13)).toBe('at,kind,series_id,model_version,detail\n2025-03-29T06:00:00.000Z,fallback-on,ss2,,{}\n2025-03-28T09:00:00.000Z,rupture,ss2,grid@1,"{""reason"":""level, shift"",""statistic"":6.2}"\n');
    expect(JSON.parse(out(14))).toMatchObject({ by: 'series', rows: [] });
    expect(out(8)).toMatch(/\sapikey|carol\s+promote\s+grid@1\s+candidate\s+champion\s+first model/);
    for (const [i, code] of [[0, 'SERIES_NOT_FOUND'], [1, 'RUN_NOT_FOUND'], [2, 'VERSION_NOT_FOUND']] as const) {
      const r = through.get(FAILURES[i].join(' '))!;
      expect(r.stderr.split('\n')[1], FAILURES[i].join(' ')).toMatch(new RegExp(`^gridcast: error ${code}: `));
      expect(r.code).toBe(1);
    }

    // A key given in the environment is used instead of admin.key: a wrong one is refused by the server.
    const wrong = await gridcast(READS[5], { GRIDCAST_API_KEY: 'gck_wrong' });
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toMatch(/^gridcast: error UNAUTHENTICATED: .*\(API key from the environment \(GRIDCAST_API_KEY\)\)\n$/m);

    // Without a key at hand, the command says how to get one.
    renameSync(join(data, 'admin.key'), join(dir, 'admin.key'));
    const keyless = await gridcast(READS[5]).finally(() => renameSync(join(dir, 'admin.key'), join(data, 'admin.key')));
    expect(keyless.code).toBe(1);
    expect(keyless.stderr).toMatch(/^gridcast: error STORE_LOCKED: The store .* in use by gridcast process \d+ .* no API key is at hand: set GRIDCAST_API_KEY to a key with the viewer role/);

  }, 120_000);

  it('refuses writes with STORE_LOCKED naming the API route that does the same', async () => {
    const csv = join(dir, 'points.csv');
    writeFileSync(csv, 'series_id,ts,value\nss2,2025-03-29T10:00:00Z,31\n');
    const [ingest, promote] = await Promise.all([gridcast(['ingest', 'csv', csv]), gridcast(['promote', 'grid@1', '--reason', 'again'])]);
    expect(ingest.code).toBe(1);
    expect(ingest.stderr).toMatch(/^gridcast: error STORE_LOCKED: The store .* is in use by gridcast process \d+ .*/);
    expect(ingest.stderr).toContain(`While it runs, its API does the same: POST /api/v1/ingest/{measurements|metering|weather} (the CSV as a text/csv body) at ${url}.`);
    expect(promote.stderr).toContain(`its API does the same: POST /api/v1/models/grid/versions/1/promote at ${url}.`);
  }, 60_000);

  it('prints the same bytes and errors from the store once the server has stopped', async () => {
    const exited = new Promise((r) => server!.once('exit', r));
    server!.kill('SIGTERM');
    expect(await exited, output).toBe(0);
    // One at a time: the embedded store takes one process.
    for (const args of [...READS, ...FAILURES]) {
      const local = await gridcast(args);
      const remote = through.get(args.join(' '))!;
      expect(remote.stdout, args.join(' ')).toBe(local.stdout);
      expect(remote.code, args.join(' ')).toBe(local.code);
      if (FAILURES.includes(args)) {
        expect(local.stderr, args.join(' ')).toMatch(/^gridcast: error [A-Z_]+: /);
        expect(remote.stderr.split('\n').slice(1).join('\n'), args.join(' ')).toBe(local.stderr);
      } else expect(local.stderr).toBe('');
    }
  }, 300_000);
});
