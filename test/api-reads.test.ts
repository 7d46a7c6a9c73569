import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Response } from 'light-my-request';
import { expectProblem } from './api-problem.ts';
import { storeAppDeps } from '../bin/lib/app-deps.ts';
import type { FastifyInstance } from 'fastify';
import { testApp } from './api-app.ts';
import { actualsService, readServices } from '../bin/lib/read-services.ts';
import { createActualsService, servedActual } from '../ingest/actuals.service.ts';
import { querySeries, seriesBounds } from '../store/query.repository.ts';
import { runForecast } from '../forecast/run/service.ts';
import { readForecasts } from '../store/forecasts.repository.ts';
import type { Db } from '../store/db.ts';
import { authAs } from './api-auth.ts';
import { backends, freshDb } from './db.ts';
import { AS_OF_MARCH, forecastConfig, seedGrid } from './fixtures/runs/grid.ts';
import { runDeps } from '../bin/lib/run-deps.ts';

const DAY = 86_400_000;
const config = forecastConfig();

describe.each(backends)('read routes of /api/v1 (%s)', (kind) => {
  let db: Db;
  let app: FastifyInstance;
  let runs: { early: number; late: number };
  const get = async (url: string) => app.inject({ method: 'GET', url, headers: { ...(await authAs(db, 'viewer')) } });
  const bad = (res: Response, code: string) => void expectProblem(res, code);

  beforeAll(async () => {
    db = await freshDb(kind);
    await seedGrid(db, { climate: false });
    // Issued one after the other: the earlier run has the earlier origin too.
    const early = await runForecast(runDeps(db, config), { horizon: 'day-ahead', asOf: new Date(AS_OF_MARCH.getTime() - DAY) });
    const late = await runForecast(runDeps(db, config), { horizon: 'day-ahead', asOf: AS_OF_MARCH });
    runs = { early: early.runId, late: late.runId };
    await db.query(`INSERT INTO job_runs (job, scheduled_at, instance, status, finished_at, attempts) VALUES ('forecast-day-ahead', '2025-03-29T09:00:00Z', 'test', 'succeeded', '2025-03-29T09:01:00Z', 1)`);
    app = await testApp({ ...storeAppDeps(db), health: { dbKind: db.kind, pingDb: async () => {}, lastIngestAt: () => null, sources: () => [] }, reads: readServices(db, config) });
  }, 180_000);
  afterAll(async () => {
    await app?.close();
    await db?.close();
  });

  describe('topology', () => {
    it('lists nodes with their children, paged by cursor', async () => {
      const first = await get('/api/v1/topology/nodes?limit=3');
      expect(first.statusCode).toBe(200);
      const a = first.json();
      expect(a.nodes.map((n: { id: string }) => n.id)).toEqual(['grid', 'north', 'south']);
      expect(a.nodes[0]).toMatchObject({ parent: null, kind: 'load', unit: 'MW', timeZone: 'Europe/Paris', weatherStation: 'st1', children: ['north', 'south', 'train'], derived: false });
      const rest = (await get(`/api/v1/topology/nodes?limit=100&cursor=${a.nextCursor}`)).json();
      expect(rest.nextCursor).toBeNull();
      const ids = [...a.nodes, ...rest.nodes].map((n: { id: string }) => n.id);
      expect(ids).toEqual([...ids].sort());
      expect(ids).toEqual(expect.arrayContaining(['ss1', 'ss2', 'ss3', 'st1', 'train']));
      expect(rest.nodes.find((n: { id: string }) => n.id === 'train')).toMatchObject({ parent: 'grid', sharing: { substations: ['ss2', 'ss3'], allocation: 'average' } });
    });

    it('answers one node, its children and the summing structure', async () => {
      expect((await get('/api/v1/topology/nodes/north')).json()).toMatchObject({ id: 'north', parent: 'grid', children: ['ss1', 'ss2'] });
      const kids = (await get('/api/v1/topology/nodes/north/children')).json();
      expect(kids.children.map((n: { id: string; parent: string }) => [n.id, n.parent])).toEqual([['ss1', 'north'], ['ss2', 'north']]);
      expect((await get('/api/v1/topology/summing')).json()).toEqual({
        root: 'grid',
        bottom: ['ss1', 'ss2', 'ss3', 'train'],
        aggregates: [
          { id: 'grid', bottom: ['ss1', 'ss2', 'ss3', 'train'] },
          { id: 'north', bottom: ['ss1', 'ss2'] },
          { id: 'south', bottom: ['ss3'] },
        ],
      });
      expect((await get('/api/v1/topology/summing?root=north')).json()).toMatchObject({ root: 'north', bottom: ['ss1', 'ss2'] });
    });

    it('answers 404 for an unknown node and 400 for a bad cursor or limit', async () => {
      expect((await get('/api/v1/topology/nodes/nope')).statusCode).toBe(404);
      expect((await get('/api/v1/topology/nodes/nope/children')).statusCode).toBe(404);
      expect((await get('/api/v1/topology/summing?root=nope')).statusCode).toBe(404);
      bad(await get('/api/v1/topology/nodes?cursor=xyz'), 'CURSOR_INVALID');
      expect([400, 422]).toContain((await get('/api/v1/topology/nodes?limit=100000')).statusCode);
    });
  });

  describe('actuals', () => {
    it('serves local-day buckets with their date, and hourly buckets of a roll-up', async () => {
      const res = await get('/api/v1/series/grid/actuals?start=2025-03-27&end=2025-03-29&grain=1d');
      expect(res.statusCode).toBe(200);
      const body = res.json();
      expect(body).toMatchObject({ seriesId: 'grid', grain: '1d', timeZone: 'Europe/Paris', start: '2025-03-26T23:00:00.000Z', end: '2025-03-28T23:00:00.000Z', nextCursor: null });
      expect(body.values.map((v: { date: string; ts: string; n: number; expected: number; partial: boolean; quality: string }) => [v.date, v.ts, v.n, v.expected, v.partial, v.quality])).toEqual([
        ['2025-03-27', '2025-03-26T23:00:00.000Z', 24, 24, false, 'ok'],
        ['2025-03-28', '2025-03-27T23:00:00.000Z', 24, 24, false, 'ok'],
      ]);
      const south = (await get('/api/v1/series/south/actuals?start=2025-03-28T00:00:00Z&end=2025-03-28T02:00:00Z&grain=1h')).json();
      expect(south.values.map((v: { quality: string; n: number; expected: number }) => [v.quality, v.n, v.expected])).toEqual([
        ['derived', 1, 1],
        ['derived', 1, 1],
      ]);
    });

    it('pages raw points by cursor over the half-open interval', async () => {
      const url = '/api/v1/series/ss2/actuals?start=2025-03-28T00:00:00Z&end=2025-03-28T05:00:00Z&grain=raw&limit=2';
      const seen: string[] = [];
      let next: string | null = null;
      let pages = 0;
      do {
        const body: { start: string; values: Array<{ ts: string }>; nextCursor: string | null } = (await get(next ? `${url}&cursor=${next}` : url)).json();
        expect(body.start).toBe('2025-03-28T00:00:00.000Z');
        seen.push(...body.values.map((v) => v.ts));
        next = body.nextCursor;
        pages++;
      } while (next);
      expect(pages).toBe(3);
      expect(seen).toEqual([0, 1, 2, 3, 4].map((h) => new Date(Date.parse('2025-03-28T00:00:00Z') + h * 3_600_000).toISOString()));
    });

    it('streams a range as NDJSON a window at a time: the values of one read, in order; pages read by window agree', async () => {
      // Windows of one local day at every grain, so a ten-day range is read in eleven windows.
      const oneDay = { raw: 1, '5m': 1, '1h': 1, '1d': 1 };
      const actuals = createActualsService({ querySeries: (q) => querySeries(db, q), bounds: (q) => seriesBounds(db, q) }, oneDay);
      const small = await testApp({ ...storeAppDeps(db), health: { dbKind: db.kind, pingDb: async () => {}, lastIngestAt: () => null, sources: () => [] }, reads: { ...readServices(db, config), actuals } });
      try {
        const headers = { ...(await authAs(db, 'viewer')) };
        for (const [series, grain, extra] of [
          ['ss2', 'raw', ''],
          ['ss2', '1h', ''],
          ['grid', '1h', ''],
          ['grid', '1d', ''],
          ['st1', 'raw', ''],
          ['st1', 'raw', '&issuedBefore=2025-03-29T09:00:00Z'],
        ] as const) {
          const range = `start=2025-03-19T10:30:00Z&end=2025-03-29T10:30:00Z&grain=${grain}${extra}`;
          const whole = await actualsService(db).read({
            seriesId: series,
            from: { instant: new Date('2025-03-19T10:30:00Z') },
            to: { instant: new Date('2025-03-29T10:30:00Z') },
            grain,
            ...(extra && { issuedBefore: { instant: new Date('2025-03-29T09:00:00Z') } }),
          });
          const expected = JSON.parse(JSON.stringify(whole.rows.map(servedActual)));
          expect(expected.length, `${series} ${grain}${extra} has values`).toBeGreaterThan(0);
          const res = await small.inject({ method: 'GET', url: `/api/v1/series/${series}/actuals/stream?${range}`, headers });
          expect(res.statusCode).toBe(200);
          expect(res.headers['content-type']).toMatch(/^application\/x-ndjson/);
          expect(res.headers['x-time-zone']).toBe('Europe/Paris');
          expect(res.body.endsWith('\n')).toBe(true);
          expect(res.body.trimEnd().split('\n').map((l) => JSON.parse(l)), `${series} ${grain}${extra}`).toEqual(expected);
          const paged: unknown[] = [];
          let next: string | null = null;
          do {
            const page: { values: unknown[]; nextCursor: string | null } = (
              await small.inject({ method: 'GET', url: `/api/v1/series/${series}/actuals?${range}&limit=7${next ? `&cursor=${next}` : ''}`, headers })
            ).json();
            paged.push(...page.values);
            next = page.nextCursor;
          } while (next);
          expect(paged, `${series} ${grain}${extra} paged`).toEqual(expected);
        }
        // A bad query is refused as problem+json before any line is sent; an empty range streams nothing.
        expectProblem(await small.inject({ method: 'GET', url: '/api/v1/series/nope/actuals/stream?start=2025-03-28&end=2025-03-29&grain=1h', headers }), 'SERIES_NOT_FOUND');
        expectProblem(await small.inject({ method: 'GET', url: '/api/v1/series/grid/actuals/stream?start=2025-03-28&end=2025-03-28&grain=1h', headers }), 'QUERY_RANGE_INVALID');
        const empty = await small.inject({ method: 'GET', url: '/api/v1/series/ss2/actuals/stream?start=2020-01-01&end=2020-01-03&grain=1h', headers });
        expect([empty.statusCode, empty.body]).toEqual([200, '']);
      } finally {
        await small.close();
      }
    });

    it('serves weather observations, and forecasts as issued', async () => {
      const obs = (await get('/api/v1/series/st1/actuals?start=2025-03-28T00:00:00Z&end=2025-03-28T01:00:00Z&grain=raw')).json();
      expect(obs.values).toEqual([{ seriesId: 'st1', ts: '2025-03-28T00:00:00.000Z', value: expect.any(Number), quality: 'ok', method: null }]);
      const issued = (await get('/api/v1/series/st1/actuals?start=2025-03-29T10:00:00Z&end=2025-03-29T11:00:00Z&grain=raw&issuedBefore=2025-03-29T09:00:00Z')).json();
      expect(issued.values).toEqual([{ seriesId: 'st1', ts: '2025-03-29T10:00:00.000Z', value: expect.any(Number), quality: 'estimated', method: 'forecast', issuedAt: '2025-03-29T08:00:00.000Z' }]);
      const before = (await get('/api/v1/series/st1/actuals?start=2025-03-29T10:00:00Z&end=2025-03-29T11:00:00Z&grain=raw&issuedBefore=2025-03-29T07:00:00Z')).json();
      expect(before.values).toEqual([]);
    });

    it('refuses a time without offset, a bad grain, an empty interval and an unknown series', async () => {
      bad(await get('/api/v1/series/grid/actuals?start=2025-03-28T00:00&end=2025-03-29&grain=1h'), 'TS_NO_OFFSET');
      bad(await get('/api/v1/series/grid/actuals?start=2025-03-28&grain=1h'), 'REQUEST_INVALID');
      bad(await get('/api/v1/series/grid/actuals?start=2025-03-28&end=2025-03-29&grain=1h&asOf=2025-03-28T00:00'), 'TS_NO_OFFSET');
      bad(await get('/api/v1/series/grid/actuals?start=2025-03-28&end=2025-03-29&grain=2h'), 'REQUEST_INVALID');
      bad(await get('/api/v1/series/grid/actuals?start=2025-03-28&end=2025-03-28&grain=1h'), 'QUERY_RANGE_INVALID');
      bad(await get('/api/v1/series/grid/actuals?start=2025-03-28&end=2025-03-29&grain=1h&issuedBefore=2025-03-29T00:00:00Z'), 'NOT_A_WEATHER_STATION');
      const missing = await get('/api/v1/series/nope/actuals?start=2025-03-28&end=2025-03-29&grain=1h');
      expect(missing.statusCode).toBe(404);
      expect(missing.json().code).toBe('SERIES_NOT_FOUND');
    });
  });

  describe('forecasts', () => {
    it('serves the latest run of a horizon for one node: every quantile, model and fallback, and the run metadata', async () => {
      const res = await get('/api/v1/forecasts/latest?horizon=day-ahead&node=ss3&grain=1h&allocation=none');
      expect(res.statusCode).toBe(200);
      const { run, values, nextCursor } = res.json();
      expect(run).toMatchObject({
        id: runs.late,
        horizon: 'day-ahead',
        status: 'succeeded',
        origin: '2025-03-29T10:00:00.000Z',
        root: 'grid',
        method: { reconciliation: { asked: 'mint-shrink', applied: expect.stringMatching(/^mint-shrink/) }, defaultModel: { kind: 'seasonal-naive' }, models: expect.objectContaining({ ss3: expect.any(String) }) },
        quantiles: [0.1, 0.5, 0.9],
        inputsHash: expect.stringMatching(/^[0-9a-f]{64}$/),
        warnings: expect.any(Array),
      });
      expect(nextCursor).toBeNull();
      expect(values).toHaveLength(23);
      const stored = await readForecasts(db, runs.late, { seriesId: 'ss3', grain: '1h' });
      expect(values).toEqual(
        stored.map((r) => ({ seriesId: 'ss3', grain: '1h', ts: r.targetTs.toISOString(), mean: r.mean, quantiles: r.quantiles, model: r.model, modelVersion: r.modelVersion, fallbackReason: r.fallbackReason })),
      );
      expect(Object.keys(values[0].quantiles)).toEqual(['0.1', '0.5', '0.9']);
    });

    it('serves the whole hierarchy in one call, and pages it when asked', async () => {
      const all = (await get('/api/v1/forecasts/latest?horizon=day-ahead')).json();
      expect(new Set(all.values.map((v: { seriesId: string }) => v.seriesId))).toEqual(new Set(['grid', 'north', 'south', 'ss1', 'ss2', 'ss3', 'train']));
      expect(all.values).toHaveLength((await readForecasts(db, runs.late)).length);
      expect(all.values.find((v: { seriesId: string; allocated?: unknown }) => v.seriesId === 'ss3').allocated).toEqual({ rule: 'average', movingLoads: ['train'] });
      const first = (await get('/api/v1/forecasts/latest?horizon=day-ahead&limit=100')).json();
      const second = (await get(`/api/v1/forecasts/latest?horizon=day-ahead&limit=100&cursor=${first.nextCursor}`)).json();
      expect([...first.values, ...second.values]).toEqual(all.values.slice(0, 200));
    });

    it('serves the run a reader had before a time (issuedBefore), and by run id', async () => {
      const late = (await get(`/api/v1/runs/${runs.late}`)).json().run;
      const then = (await get(`/api/v1/forecasts/latest?horizon=day-ahead&node=grid&issuedBefore=${late.issuedAt}`)).json();
      expect(then.run.id).toBe(runs.early);
      const byId = (await get(`/api/v1/runs/${runs.early}/forecasts?node=grid`)).json();
      expect(byId).toEqual(then);
      const early = (await get(`/api/v1/runs/${runs.early}`)).json().run;
      const none = await get(`/api/v1/forecasts/latest?horizon=day-ahead&issuedBefore=${early.issuedAt}`);
      expect(none.statusCode).toBe(404);
      expect(none.json().code).toBe('RUN_NOT_FOUND');
    });

    it('says when the next run is due when a horizon has none yet', async () => {
      const res = await get('/api/v1/forecasts/latest?horizon=intraday');
      expect(res.statusCode).toBe(404);
      expect(res.json()).toMatchObject({ code: 'RUN_NOT_FOUND', detail: expect.stringMatching(/There is no intraday run yet\. .*the next is due at /), details: { nextRun: expect.any(String) } });
    });

    it('refuses bad parameters and unknown runs or nodes', async () => {
      bad(await get('/api/v1/forecasts/latest?horizon=weekly'), 'REQUEST_INVALID');
      bad(await get('/api/v1/forecasts/latest'), 'REQUEST_INVALID');
      bad(await get('/api/v1/forecasts/latest?horizon=day-ahead&issuedBefore=2025-03-29T10:00'), 'TS_NO_OFFSET');
      bad(await get('/api/v1/forecasts/latest?horizon=day-ahead&grain=5m'), 'REQUEST_INVALID');
      bad(await get('/api/v1/runs/abc/forecasts'), 'REQUEST_INVALID');
      bad(await get('/api/v1/forecasts/latest?horizon=day-ahead&cursor=e30'), 'CURSOR_INVALID');
      expect((await get('/api/v1/runs/999/forecasts')).statusCode).toBe(404);
      const node = await get('/api/v1/forecasts/latest?horizon=day-ahead&node=nope');
      expect(node.statusCode).toBe(404);
      expect(node.json().code).toBe('RUN_SERIES_NOT_FOUND');
    });
  });

  describe('runs', () => {
    it('lists runs newest first, by horizon, paged', async () => {
      const a = (await get('/api/v1/runs?limit=1')).json();
      expect(a.runs.map((r: { id: number }) => r.id)).toEqual([runs.late]);
      const b = (await get(`/api/v1/runs?limit=1&cursor=${a.nextCursor}`)).json();
      expect(b).toMatchObject({ runs: [{ id: runs.early }], nextCursor: null });
      expect((await get('/api/v1/runs?horizon=intraday')).json()).toEqual({ runs: [], nextCursor: null });
      bad(await get('/api/v1/runs?horizon=soon'), 'REQUEST_INVALID');
    });

    it('details one run with the model of each series; 404 for an unknown id', async () => {
      const { run, series } = (await get(`/api/v1/runs/${runs.late}`)).json();
      expect(run.id).toBe(runs.late);
      expect(series.map((s: { seriesId: string }) => s.seriesId)).toEqual(['grid', 'north', 'south', 'ss1', 'ss2', 'ss3', 'train']);
      expect(series.find((s: { seriesId: string }) => s.seriesId === 'ss1')).toMatchObject({ model: 'shallow-history', fallbackReason: expect.stringContaining('model-failed') });
      const missing = await get('/api/v1/runs/999');
      expect(missing.statusCode).toBe(404);
      expect(missing.json().code).toBe('RUN_NOT_FOUND');
      bad(await get('/api/v1/runs/0'), 'REQUEST_INVALID');
    });
  });

  describe('jobs', () => {
    it("lists each job's schedule, deadline, next run (from the cron without a scheduler) and last run", async () => {
      const res = await get('/api/v1/jobs');
      expect(res.statusCode).toBe(200);
      const jobs = res.json().jobs as Array<{ name: string; nextRun: string; lastRun: unknown; cron: string; timeZone: string; deadlineSec: number }>;
      expect(jobs.map((j) => j.name)).toEqual(expect.arrayContaining(['aggregates-flush', 'forecast-day-ahead', 'forecast-intraday']));
      const dayAhead = jobs.find((j) => j.name === 'forecast-day-ahead')!;
      expect(dayAhead).toMatchObject({ timeZone: config.timeZone, deadlineSec: expect.any(Number), cron: expect.any(String) });
      expect(Date.parse(dayAhead.nextRun)).toBeGreaterThan(Date.now());
      expect(dayAhead.lastRun).toEqual({
        scheduledAt: '2025-03-29T09:00:00.000Z',
        status: 'succeeded',
        instance: 'test',
        startedAt: expect.any(String),
        finishedAt: '2025-03-29T09:01:00.000Z',
        attempts: 1,
        error: null,
      });
      expect(jobs.find((j) => j.name === 'forecast-intraday')!.lastRun).toBeNull();
    });
  });
});
