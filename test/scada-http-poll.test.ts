import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Db } from '../store/db.ts';
import { dbCommitter } from '../ingest/scada/commit.ts';
import { pollOnce } from '../ingest/scada/http-poll.ts';
import type { Log } from '../core/log.ts';
import { backends, freshDb } from './db.ts';

const T0 = Date.parse('2026-02-02T08:00:00Z');
let server: Server;
let base: string;
let hits = 0;

beforeAll(async () => {
  server = createServer((req, res) => {
    hits++;
    const json = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    if (req.url === '/points') {
      json(200, { points: [{ seriesId: 'feeder-1', ts: new Date(T0).toISOString(), value: 3.5 }, { seriesId: 'feeder-2', ts: T0, value: 4, quality: 'suspect' }] });
    } else if (req.url === '/array') json(200, [{ seriesId: 'feeder-3', ts: T0, value: 1 }]);
    else if (req.url === '/corrected') json(200, [{ seriesId: 'feeder-1', ts: T0, value: 3.75 }]);
    else if (req.url === '/error') json(503, { error: 'maintenance' });
    else if (req.url === '/invalid') json(200, { points: [{ seriesId: 'feeder-1', ts: T0, value: null }] });
    else if (req.url === '/slow') setTimeout(() => json(200, []), 2000);
    else json(404, {});
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});

describe.each(backends)('HTTP poller (%s)', (kind) => {
  let db: Db;
  const errors: string[] = [];
  const log: Log = { info() {}, warn() {}, error: (o) => errors.push(String((o as { err: string }).err)) };
  beforeAll(async () => {
    db = await freshDb(kind);
  });
  beforeEach(async () => {
    await db.exec('DELETE FROM measurements; DELETE FROM ingest_batches');
    errors.length = 0;
  });
  afterAll(() => db.close());
  const rows = async () =>
    (await db.query<{ series_id: string; value: number; quality: string }>('SELECT series_id, value, quality FROM measurements ORDER BY series_id')).rows.map((r) => [r.series_id, r.value, r.quality]);

  it('writes a valid body and is idempotent when the same points come again', async () => {
    const commit = dbCommitter(db, 'http');
    expect(await pollOnce({ url: `${base}/points` }, commit, log)).toMatchObject({ ok: true, points: 2, written: 2 });
    expect(await pollOnce({ url: `${base}/points` }, commit, log)).toMatchObject({ ok: true, points: 2, written: 0 });
    expect(await pollOnce({ url: `${base}/array` }, commit, log)).toMatchObject({ ok: true, points: 1 });
    expect(await rows()).toEqual([['feeder-1', 3.5, 'ok'], ['feeder-2', 4, 'suspect'], ['feeder-3', 1, 'ok']]);
    const batches = await db.query<{ source: string; row_count: number }>(`SELECT source, row_count FROM ingest_batches ORDER BY id`);
    expect(batches.rows).toEqual([{ source: 'http', row_count: 2 }, { source: 'http', row_count: 1 }]);
  });

  it('keeps a value the endpoint corrects as a revision, says so in the batch report and the log', async () => {
    const warnings: string[] = [];
    const commit = dbCommitter(db, 'http', { ...log, warn: (_o, msg) => warnings.push(msg ?? '') });
    await pollOnce({ url: `${base}/points` }, commit, log);
    expect(await pollOnce({ url: `${base}/corrected` }, commit, log)).toMatchObject({ ok: true, points: 1, written: 1 });
    expect(await rows()).toEqual([['feeder-1', 3.75, 'ok'], ['feeder-2', 4, 'suspect']]);
    const { rows: kept } = await db.query(`SELECT value, superseded_by FROM measurement_revisions WHERE series_id = 'feeder-1' AND ts = $1`, [new Date(T0)]);
    const last = (await db.query<{ id: number; report: { revised: number; revisions: Array<{ oldValue: number; newValue: number }> } }>(`SELECT id, report FROM ingest_batches ORDER BY id DESC LIMIT 1`)).rows[0];
    expect(kept).toContainEqual({ value: 3.5, superseded_by: last.id });
    expect(last.report).toMatchObject({ revised: 1, revisions: [{ oldValue: 3.5, newValue: 3.75 }] });
    expect(warnings).toEqual([expect.stringContaining('1 received point(s) changed stored values')]);
  });

  it('logs 5xx, invalid bodies and timeouts as failed polls and writes nothing', async () => {
    const commit = dbCommitter(db, 'http');
    expect(await pollOnce({ url: `${base}/error` }, commit, log)).toMatchObject({ ok: false, error: 'HTTP 503 Service Unavailable' });
    expect(await pollOnce({ url: `${base}/invalid` }, commit, log)).toMatchObject({ ok: false, error: expect.stringMatching(/^invalid body/) });
    expect(await pollOnce({ url: `${base}/slow` }, commit, log, 200)).toMatchObject({ ok: false, error: 'no answer within 200 ms' });
    expect(await pollOnce({ url: 'http://127.0.0.1:1/' }, commit, log)).toMatchObject({ ok: false });
    expect(errors).toHaveLength(4);
    expect(await rows()).toEqual([]);
  });
});
