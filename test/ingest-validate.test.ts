import { execFile } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import mqtt from 'mqtt';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../core/config.ts';
import { GridcastError } from '../core/errors.ts';
import type { Log } from '../core/log.ts';
import { ingestCsvFile } from '../ingest/csv/ingest-csv.ts';
import { ingestStore, spikeStore } from '../store/ingest.repository.ts';
import { releaseQuarantine } from '../ingest/csv/quarantine.ts';
import { dbCommitter } from '../ingest/scada/commit.ts';
import { startMqttSubscriber } from '../ingest/scada/mqtt.ts';
import { rangeScreen } from '../ingest/scada/screen.ts';
import type { Issue } from '../ingest/validate/issues.ts';
import { flagSpikes } from '../ingest/validate/suspect.ts';
import { httpPollJobName } from '../jobs/http-poll.job.ts';
import { configuredJobs } from '../jobs/registry.ts';
import { spikesJob } from '../jobs/spikes.job.ts';
import type { Db } from '../store/db.ts';
import { insertMeasurements } from '../store/measurements.repository.ts';
import { queryMeasurements } from '../store/query.repository.ts';
import { cliStore } from './aggregates-fixtures.ts';
import { backends, freshDb } from './db.ts';
import { runDeps } from '../bin/lib/run-deps.ts';

const dir = mkdtempSync(join(tmpdir(), 'gridcast-validate-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let fileNo = 0;
const csvFile = (lines: string[]) => {
  const f = join(dir, `f${fileNo++}.csv`);
  writeFileSync(f, lines.join('\n') + '\n');
  return f;
};

const HOUR = 3_600_000;
const T0 = Date.UTC(2009, 0, 5); // a Monday
const iso = (ms: number) => new Date(ms).toISOString();
const noise = (i: number) => (Math.sin(i * 12.9898 + 78.233) * 43758.5453) % 1;

/** A GEFCom-like hourly zone load (kW): night trough, morning ramp, evening peak, lower weekends. */
function zoneLoad(i: number, level: number): number {
  const h = i % 24;
  const weekend = Math.floor(i / 24) % 7 >= 5 ? 0.85 : 1;
  const ramp = 1 / (1 + Math.exp(-(h - 7) * 1.5)) - 1 / (1 + Math.exp(-(h - 22) * 1.5));
  return Math.round(level * weekend * (0.6 + 0.35 * ramp + 0.2 * Math.exp(-((h - 19) ** 2) / 4)) * (1 + 0.015 * noise(i)));
}

/** Hourly rows `series_id,ts,value` of hours [from, to) of each zone, with some values replaced. */
function zoneRows(from: number, to: number, changed: Record<string, Record<number, number>> = {}): string[] {
  const rows: string[] = [];
  for (const [id, level] of [['z1', 16_000], ['z2', 170_000]] as const) {
    for (let i = from; i < to; i++) {
      const v = zoneLoad(i, level);
      rows.push(`${id},${iso(T0 + i * HOUR)},${Math.round(v * (changed[id]?.[i] ?? 1))}`);
    }
  }
  return rows;
}

async function rejection(db: Db, file: string): Promise<Issue[]> {
  const e = await ingestCsvFile(ingestStore(db), file).then(
    () => expect.unreachable('the file should have been rejected'),
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(GridcastError);
  return (e as GridcastError).details.issues as Issue[];
}

describe.each(backends)('physical ranges and point checks (%s)', (kind) => {
  let db: Db;
  beforeAll(async () => {
    db = await freshDb(kind);
    await db.exec(`INSERT INTO series (id, kind, unit, time_zone, attrs) VALUES
      ('ld-1', 'load', 'MW', 'UTC', '{}'), ('ld-pv', 'load', 'MW', 'UTC', '{"pvCapacity": 10}'),
      ('ld-net', 'load', 'MW', 'UTC', '{"netLoad": true}'), ('ld-noisy', 'load', 'MW', 'UTC', '{"range": {"min": -0.05}}'),
      ('gen-1', 'generation', 'MW', 'UTC', '{}'), ('line-1', 'flow', 'MW', 'UTC', '{}'),
      ('meter-1', 'load', 'MWh', 'UTC', '{}'), ('st-1', 'weather', '°C', 'UTC', '{}'),
      ('z1', 'load', 'kW', 'UTC', '{}'), ('z2', 'load', 'kW', 'UTC', '{"stepSec": 3600}')`);
  });
  beforeEach(() =>
    db.exec(`TRUNCATE measurements, measurements_5m, measurements_1h, measurements_1d, metering, weather_obs, ingest_quarantine, ingest_batches, aggregates_dirty, suspect_log`),
  );
  afterAll(() => db.close());
  const count = async (sql: string) => (await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${sql}`)).rows[0].n;
  const suspects = async () =>
    (await db.query<{ series_id: string; ts: Date; value: number }>(`SELECT series_id, ts, value FROM measurements WHERE quality = 'suspect' ORDER BY series_id, ts`)).rows.map(
      (r) => [r.series_id, r.ts.toISOString(), r.value],
    );

  describe('physical ranges', () => {
    it('rejects a single negative value in a load series, naming file:line, series, value and range; nothing is committed', async () => {
      const file = csvFile(['series_id,ts,value', 'ld-1,2026-01-01T00:00:00Z,120', 'ld-1,2026-01-01T01:00:00Z,-5000', 'ld-1,2026-01-01T02:00:00Z,118']);
      const e = (await ingestCsvFile(ingestStore(db), file).catch((err: unknown) => err)) as GridcastError;
      expect(e).toBeInstanceOf(GridcastError);
      expect(e.code).toBe('INGEST_REJECTED');
      expect(e.message).toContain(`${file}:3: OUT_OF_RANGE value -5000 of series 'ld-1' (load) is outside its range [0, 100000] MW`);
      expect(e.message).toContain('attrs.netLoad');
      expect(await count('measurements')).toBe(0);
      expect(await count('ingest_batches')).toBe(0);
    });

    it('lets a net load (embedded PV or declared), a flow and a declared range go negative, not generation', async () => {
      const ok = csvFile([
        'series_id,ts,value',
        'ld-pv,2026-06-01T12:00:00Z,-7.5',
        'ld-net,2026-06-01T12:00:00Z,-40',
        'line-1,2026-06-01T12:00:00Z,-300',
        'ld-noisy,2026-06-01T12:00:00Z,-0.004',
      ]);
      expect(await ingestCsvFile(ingestStore(db), ok)).toMatchObject({ status: 'committed', written: 4 });
      const issues = await rejection(db, csvFile(['series_id,ts,value', 'gen-1,2026-06-01T12:00:00Z,-2', 'ld-noisy,2026-06-01T12:00:00Z,-0.5', 'ld-1,2026-06-01T12:00:00Z,2e5']));
      expect(issues).toEqual([
        { line: 2, code: 'OUT_OF_RANGE', message: expect.stringContaining("value -2 of series 'gen-1' (generation) is outside its range [0, 100000] MW: generation cannot be negative") },
        { line: 3, code: 'OUT_OF_RANGE', message: expect.stringContaining("value -0.5 of series 'ld-noisy' (load) is outside its range [-0.05, 100000] MW") },
        { line: 4, code: 'OUT_OF_RANGE', message: expect.stringContaining("value 2e5 of series 'ld-1' (load) is outside its range [0, 100000] MW") },
      ]);
    });

    it('applies the kind rule to metering, and the variable ranges to weather', async () => {
      const metering = await rejection(db, csvFile(['series_id,interval_start,interval_sec,value,status', 'meter-1,2026-03-01T00:00:00Z,900,-1.25,validated']));
      expect(metering).toEqual([{ line: 2, code: 'OUT_OF_RANGE', message: expect.stringContaining("value -1.25 of series 'meter-1' (load)") }]);
      const weather = await rejection(db, csvFile(['station_id,ts,variable,value', 'st-1,2026-03-01T00:00:00Z,humidity,140']));
      expect(weather).toEqual([{ line: 2, code: 'OUT_OF_RANGE', message: "humidity 140 of station 'st-1' is outside its range [-1, 101] %" }]);
    });
  });

  describe('isolated spikes and drops in a CSV batch', () => {
    it('marks one 3x spike and one drop to 0.2x of four normal weeks suspect, keeps the values, and reports them', async () => {
      const file = csvFile(['series_id,ts,value', ...zoneRows(0, 28 * 24, { z1: { 200: 3 }, z2: { 431: 0.2 } })]);
      const r = await ingestCsvFile(ingestStore(db), file);
      const spike = Math.round(zoneLoad(200, 16_000) * 3);
      const drop = Math.round(zoneLoad(431, 170_000) * 0.2);
      expect(r).toMatchObject({ status: 'committed', rows: 2 * 28 * 24, written: 2 * 28 * 24 });
      const expected = {
        flagged: 2,
        first: [
          { seriesId: 'z1', ts: iso(T0 + 200 * HOUR), value: spike, why: expect.stringMatching(/^spike: above both neighbours \(\d+ before, \d+ after\), [\d.]+x the typical deviation$/) },
          { seriesId: 'z2', ts: iso(T0 + 431 * HOUR), value: drop, why: expect.stringMatching(/^drop: below both neighbours/) },
        ],
      };
      expect(r.status === 'committed' && r.suspect).toEqual(expected);
      expect(await suspects()).toEqual([
        ['z1', iso(T0 + 200 * HOUR), spike],
        ['z2', iso(T0 + 431 * HOUR), drop],
      ]);
      const batch = await db.query<{ report: { suspect: unknown } }>(`SELECT report FROM ingest_batches WHERE id = $1`, [r.batchId]);
      expect(batch.rows[0].report.suspect).toEqual(expected);
      const log = await db.query(`SELECT batch_id, series_id, value, reason, actor, detail->>'before' IS NOT NULL AS has_detail FROM suspect_log ORDER BY series_id`);
      expect(log.rows).toEqual([
        { batch_id: r.batchId, series_id: 'z1', value: spike, reason: 'spike', actor: 'csv', has_detail: true },
        { batch_id: r.batchId, series_id: 'z2', value: drop, reason: 'drop', actor: 'csv', has_detail: true },
      ]);

      // Served as suspect raw, and as the worst quality of its hour and day.
      const at = new Date(T0 + 200 * HOUR);
      const day = new Date(Date.UTC(2009, 0, 13));
      const raw = await queryMeasurements(db, { seriesId: 'z1', from: new Date(at.getTime() - HOUR), to: new Date(at.getTime() + 2 * HOUR), grain: 'raw' });
      expect(raw.map((p) => [p.value, p.quality])).toEqual([
        [zoneLoad(199, 16_000), 'ok'],
        [spike, 'suspect'],
        [zoneLoad(201, 16_000), 'ok'],
      ]);
      const daily = await queryMeasurements(db, { seriesId: 'z1', from: new Date(day.getTime() - 86_400_000), to: new Date(day.getTime() + 86_400_000), grain: '1d' });
      expect(daily.map((b) => [b.ts.toISOString(), b.quality])).toEqual([
        ['2009-01-12T00:00:00.000Z', 'ok'],
        ['2009-01-13T00:00:00.000Z', 'suspect'],
      ]);
      const hourly = await queryMeasurements(db, { seriesId: 'z1', from: at, to: new Date(at.getTime() + HOUR), grain: '1h' });
      expect(hourly.map((b) => b.quality)).toEqual(['suspect']);
    });

    it('judges the last point of a file when the next file brings its successor', async () => {
      // Day 1..14 end on a spike at hour 335; the next file starts at hour 336.
      const first = await ingestCsvFile(ingestStore(db), csvFile(['series_id,ts,value', ...zoneRows(0, 336, { z1: { 335: 3 } })]));
      expect(first.status === 'committed' && first.suspect?.flagged).toBe(0);
      const second = await ingestCsvFile(ingestStore(db), csvFile(['series_id,ts,value', ...zoneRows(336, 400, { z2: { 336: 0.2 } })]));
      expect(second.status === 'committed' && second.suspect?.first.map((p) => [p.seriesId, p.ts])).toEqual([
        ['z1', iso(T0 + 335 * HOUR)],
        ['z2', iso(T0 + 336 * HOUR)],
      ]);
      expect((await suspects()).length).toBe(2);
      // The earlier batch's point is logged against the batch that could judge it.
      expect((await db.query(`SELECT DISTINCT batch_id FROM suspect_log`)).rows).toEqual([{ batch_id: second.batchId }]);
    });

    it('checks a batch that takes the staging path (overlapping stored points) the same way', async () => {
      await ingestCsvFile(ingestStore(db), csvFile(['series_id,ts,value', ...zoneRows(0, 200)]));
      const r = await ingestCsvFile(ingestStore(db), csvFile(['series_id,ts,value', ...zoneRows(100, 400, { z1: { 300: 3 } })]));
      expect(r).toMatchObject({ status: 'committed', written: 2 * 200 });
      expect(r.status === 'committed' && r.suspect?.first.map((p) => p.ts)).toEqual([iso(T0 + 300 * HOUR)]);
    });

    it('leaves a persistent change of level, a gap and normal shapes unflagged', async () => {
      const rows = zoneRows(0, 28 * 24, { z1: Object.fromEntries(Array.from({ length: 300 }, (_, k) => [372 + k, 2.7])) }).filter(
        (l) => !(l.startsWith('z2,') && Date.parse(l.split(',')[1]) >= T0 + 100 * HOUR && Date.parse(l.split(',')[1]) < T0 + 110 * HOUR),
      );
      const r = await ingestCsvFile(ingestStore(db), csvFile(['series_id,ts,value', ...rows]));
      expect(r.status === 'committed' && r.suspect).toEqual({ flagged: 0, first: [] });
    });

    it('checks a released quarantined batch, and reads points from the store page by page when it does not hold them', async () => {
      await ingestCsvFile(ingestStore(db), csvFile(['series_id,ts,value', ...zoneRows(0, 48)]));
      // Ten times the level (a unit error?), with one spike on top: held back first.
      const held = await ingestCsvFile(ingestStore(db), csvFile(['series_id,ts,value', ...zoneRows(48, 400, { z1: Object.fromEntries(Array.from({ length: 352 }, (_, k) => [48 + k, k === 200 ? 30 : 10])) })]));
      expect(held.status).toBe('quarantined');
      expect(await count('suspect_log')).toBe(0);
      const released = await releaseQuarantine(db, held.batchId);
      expect(released.suspect.first.map((p) => [p.seriesId, p.ts])).toEqual([['z1', iso(T0 + 248 * HOUR)]]);
      const batch = await db.query<{ report: { suspect: { flagged: number } } }>(`SELECT report FROM ingest_batches WHERE id = $1`, [held.batchId]);
      expect(batch.rows[0].report.suspect.flagged).toBe(1);

      // The same judgement from the store in pages of 50 points as from points held in memory.
      await db.exec(`UPDATE measurements SET quality = 'ok'`);
      const paged = await db.transaction((tx) =>
        flagSpikes(spikeStore(tx), [{ seriesId: 'z1', from: new Date(T0), to: new Date(T0 + 400 * HOUR) }], { batchId: null, actor: 'test', pageSize: 50 }),
      );
      expect(paged.first.map((p) => p.ts)).toEqual([iso(T0 + 248 * HOUR)]);
    });
  });

  describe('live paths', () => {
    const warnings: object[] = [];
    const log: Log = { info() {}, error() {}, warn: (o) => warnings.push(o) };
    beforeEach(() => {
      warnings.length = 0;
    });

    it('HTTP poll (as the jobs are configured): an out-of-range point is never written, counted in the result and logged with its code', async () => {
      const server: Server = createServer((_req, res) => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify([
          { seriesId: 'ld-1', ts: '2026-02-02T08:00:00Z', value: 120 },
          { seriesId: 'ld-1', ts: '2026-02-02T08:00:10Z', value: -5000 },
          { seriesId: 'ld-pv', ts: '2026-02-02T08:00:10Z', value: -3 },
        ]));
      });
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      try {
        const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
        const { jobs, polls } = configuredJobs({ db, config: loadConfig({}, { httpPoll: [{ url }] }), log, run: runDeps(db, loadConfig({}), log), pollCommit: dbCommitter(db, 'http') });
        const tick = new Date();
        await jobs.find((j) => j.name === httpPollJobName(url))!.run({ scheduledAt: tick, deadline: new Date(tick.getTime() + 9000), signal: new AbortController().signal });
        expect(polls!.lastResults()).toEqual([expect.objectContaining({ ok: true, points: 3, written: 2, rejected: 1 })]);
      } finally {
        server.closeAllConnections();
        await new Promise((r) => server.close(r));
      }
      expect((await db.query(`SELECT series_id, value FROM measurements ORDER BY series_id`)).rows).toEqual([
        { series_id: 'ld-1', value: 120 },
        { series_id: 'ld-pv', value: -3 },
      ]);
      expect(warnings).toEqual([expect.objectContaining({ source: 'http', code: 'OUT_OF_RANGE', seriesId: 'ld-1', value: -5000, reason: expect.stringContaining('[0, 100000] MW') })]);
    });

    it('MQTT: an out-of-range point is never written, counted in the stats and logged with its code', async () => {
      const prefix = `gridcast-test/${process.pid}-${Date.now()}-${Math.floor(Math.random() * 1e6)}`;
      const sub = await startMqttSubscriber({
        url: 'mqtt://127.0.0.1:1883', topics: { [`${prefix}/+/p`]: '{1}' }, clientId: `validate-${prefix}`, commit: dbCommitter(db, 'mqtt'), log,
        screen: rangeScreen(db, { log, source: 'mqtt' }), flushMs: 50, sessionExpirySec: 60,
      });
      const pub = await mqtt.connectAsync('mqtt://127.0.0.1:1883', { protocolVersion: 5 });
      try {
        await pub.publishAsync(`${prefix}/ld-1/p`, JSON.stringify([{ ts: '2026-02-02T08:00:00Z', value: 120 }, { ts: '2026-02-02T08:00:10Z', value: -5000 }]), { qos: 1 });
        await pub.publishAsync(`${prefix}/gen-1/p`, JSON.stringify({ ts: '2026-02-02T08:00:00Z', value: -1 }), { qos: 1 });
        for (const end = Date.now() + 20_000; sub.stats().committedPoints + sub.stats().rejectedPoints < 3; ) {
          if (Date.now() > end) throw new Error(`timed out: ${JSON.stringify(sub.stats())}`);
          await new Promise((r) => setTimeout(r, 25));
        }
      } finally {
        await pub.endAsync();
        await sub.stop();
      }
      expect(sub.stats()).toMatchObject({ committedPoints: 1, rejectedPoints: 2, invalid: 0 });
      expect((await db.query(`SELECT series_id, value FROM measurements`)).rows).toEqual([{ series_id: 'ld-1', value: 120 }]);
      expect(warnings.map((w) => [(w as { code: string }).code, (w as { seriesId: string }).seriesId])).toEqual([
        ['OUT_OF_RANGE', 'ld-1'],
        ['OUT_OF_RANGE', 'gen-1'],
      ]);
    });

    it('the scada-spikes job marks a live spike once its successor is stored, and only once', async () => {
      const t0 = Date.UTC(2026, 1, 2, 8);
      const points = Array.from({ length: 360 }, (_, i) => ({ seriesId: 'ld-1', ts: new Date(t0 + i * 10_000), value: 120 + 5 * Math.sin(i / 30) + 0.2 * noise(i) }));
      points[200].value = 360;
      points[359].value = 20; // the newest point: no successor yet
      await db.transaction((tx) => insertMeasurements(tx, points));
      const job = spikesJob(db, log);
      const tick = new Date(t0 + 3600_000 + 30_000);
      await job.run({ scheduledAt: tick, deadline: new Date(tick.getTime() + 50_000), signal: new AbortController().signal });
      expect(await suspects()).toEqual([['ld-1', iso(t0 + 200 * 10_000), 360]]);
      await db.transaction((tx) => insertMeasurements(tx, [{ seriesId: 'ld-1', ts: new Date(t0 + 360 * 10_000), value: 121 }]));
      const next = new Date(tick.getTime() + 60_000);
      await job.run({ scheduledAt: next, deadline: new Date(next.getTime() + 50_000), signal: new AbortController().signal });
      expect((await suspects()).map((s) => s[1])).toEqual([iso(t0 + 200 * 10_000), iso(t0 + 359 * 10_000)]);
      expect((await db.query(`SELECT actor, batch_id FROM suspect_log ORDER BY ts`)).rows).toEqual([
        { actor: 'gridcast:scada-spikes-job', batch_id: null },
        { actor: 'gridcast:scada-spikes-job', batch_id: null },
      ]);
      // Its hour is served as suspect at once (the job marks the buckets for recomputation).
      const hour = await queryMeasurements(db, { seriesId: 'ld-1', from: new Date(t0), to: new Date(t0 + 3600_000), grain: '1h' });
      expect(hour.map((b) => b.quality)).toEqual(['suspect']);
    });
  });
});

// The storage paths run on both backends above; the CLI output is checked once (on PostgreSQL when
// available: it opens faster than PGlite, which each CLI process must load).
describe.each([backends.at(-1)!])('gridcast ingest csv and query show suspect points (%s)', (kind) => {
  const run = promisify(execFile);
  const CLI = new URL('../bin/gridcast.mjs', import.meta.url).pathname;
  let store: Awaited<ReturnType<typeof cliStore>>;
  beforeAll(async () => {
    store = await cliStore(kind);
    const db = await store.open();
    await db.exec(`INSERT INTO series (id, kind, unit, time_zone) VALUES ('z1', 'load', 'kW', 'UTC'), ('z2', 'load', 'kW', 'UTC')`);
    await db.close();
  });
  afterAll(() => store.cleanup());

  it('prints how many points were marked and the first ones; query serves them as suspect (aggregates: see above)', async () => {
    const gridcast = (...args: string[]) => run('node', [CLI, ...args], { env: { ...process.env, ...store.env } });
    const file = csvFile(['series_id,ts,value', ...zoneRows(0, 14 * 24, { z1: { 100: 3 } })]);
    const { stdout } = await gridcast('ingest', 'csv', file);
    expect(stdout).toContain(`${file}: 1 point marked suspect (isolated spikes and drops; values kept as received, all in suspect_log):\n  z1 ${iso(T0 + 100 * HOUR)} ${Math.round(zoneLoad(100, 16_000) * 3)} spike: above both neighbours`);
    const at = T0 + 100 * HOUR;
    const raw = await gridcast('query', '--series', 'z1', '--from', iso(at - HOUR), '--to', iso(at + 2 * HOUR), '--grain', 'raw', '--format', 'json');
    expect((JSON.parse(raw.stdout) as Array<{ quality: string }>).map((p) => p.quality)).toEqual(['ok', 'suspect', 'ok']);
  });
});
