import { z } from 'zod';
import type { FastifyReply } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { HORIZONS } from '../../../core/config.ts';
import { parseTimeInput } from '../../../core/time-input.ts';
import type { ForecastsQuery, RunChoice, RunReader } from '../../../forecast/run/read-runs.service.ts';
import type { ForecastRow } from '../../../core/forecast-run.ts';
import { decodeCursor, encodeCursor, MAX_LIMIT, NextCursor, pageQuery } from '../../paging.ts';
import { RunId, RunMeta, runMeta } from './runs.ts';
import { problemResponses } from '../../openapi.ts';

export const ForecastValue = z.object({
  seriesId: z.string(),
  grain: z.enum(['1h', '1d']),
  ts: z.string().describe('Start of the hour or local day (UTC).'),
  mean: z.number(),
  quantiles: z.record(z.string(), z.number()).describe("Every stored quantile, keyed by level ('0.1', '0.5', '0.9')."),
  model: z.string().describe("The model that made the value; 'schedule' where the value is the node's schedule as issued (then modelVersion is source@issued_at)."),
  modelVersion: z.string(),
  fallbackReason: z.string().nullable().describe('Why a fallback model made this value; null for the series’ own model.'),
  flags: z.array(z.string()).describe("Labels on the value: 'out-of-range' when the model's temperature input lay outside its training range (at that hour, or at any hour of the local day); 'partly-scheduled' on a day some of whose hours, not all, are a schedule (model 'schedule'); 'planned-transfer' when a planned transfer moved load to or from the node then."),
  allocated: z.object({ rule: z.enum(['average', 'worst-case']), movingLoads: z.array(z.string()) }).optional().describe('Substation view: the moving loads whose share was added.'),
});

const ForecastPage = z.object({ run: RunMeta, values: z.array(ForecastValue), nextCursor: NextCursor });

const ViewQuery = z
  .object({
    node: z.string().min(1).optional().describe('One node; omitted: every node of the run (the whole hierarchy).'),
    grain: z.enum(['1h', '1d']).optional().describe('Default both.'),
    allocation: z.enum(['average', 'worst-case', 'none']).optional().describe("Substation view of moving loads; default the run's own, none: as stored."),
  })
  .extend(pageQuery(MAX_LIMIT).shape);

/** A page of a run's values: the cursor holds the run, so the pages of "latest" stay on one run. */
const Cursor = z.object({ runId: z.number().int(), offset: z.number().int().nonnegative() });

export type ForecastValue = z.infer<typeof ForecastValue>;

/** A value as served (the API, and `gridcast forecast show` whichever way it read the run). */
export const forecastValue = (r: ForecastRow): ForecastValue => ({
  seriesId: r.seriesId,
  grain: r.grain,
  ts: r.targetTs.toISOString(),
  mean: r.mean,
  quantiles: r.quantiles,
  model: r.model,
  modelVersion: r.modelVersion,
  fallbackReason: r.fallbackReason,
  flags: r.flags ?? [],
  ...(r.allocated && { allocated: r.allocated }),
});

/** GET /forecasts/latest and /runs/{id}/forecasts: what `gridcast forecast show --format json` prints, paged. */
export const forecastsRoutes = (runs: RunReader): FastifyPluginAsyncZod =>
  async function forecastsV1(app) {
    const tags = ['forecasts'];
    const config = { role: 'viewer' as const };

    // A stored run never changes: a page is validated and serialized once, then served as text.
    // Keyed by the service's cached rows of the view, so pages go when the view is evicted.
    const serialized = new WeakMap<ForecastRow[], Map<string, string>>();

    const page = async (choice: RunChoice, q: z.infer<typeof ViewQuery>): Promise<string> => {
      const cursor = q.cursor ? decodeCursor(q.cursor, Cursor) : null;
      const view: ForecastsQuery = { ...(q.node && { seriesId: q.node }), ...(q.grain && { grain: q.grain }), ...(q.allocation && { allocation: q.allocation }) };
      const { run, rows } = await runs.forecasts(cursor ? { runId: cursor.runId } : choice, view);
      const offset = cursor?.offset ?? 0;
      const end = offset + q.limit;
      const pages = serialized.get(rows) ?? new Map<string, string>();
      serialized.set(rows, pages);
      const key = `${offset}:${q.limit}`;
      let text = pages.get(key);
      if (text === undefined) {
        const values = rows.slice(offset, end);
        text = JSON.stringify(
          ForecastPage.parse({
            run: runMeta(run, new Set(values.map((v) => v.seriesId))),
            values: values.map(forecastValue),
            nextCursor: rows.length > end ? encodeCursor({ runId: run.id, offset: end }) : null,
          }),
        );
        pages.set(key, text);
      }
      return text;
    };
    const send = (reply: FastifyReply, text: string) => reply.type('application/json; charset=utf-8').send(text);

    app.get(
      '/forecasts/latest',
      {
        config,
        schema: {
          summary: 'The latest run of a horizon, or the one a reader had at a past time (issuedBefore)',
          tags,
          querystring: ViewQuery.extend({
            horizon: z.enum(HORIZONS),
            issuedBefore: z.string().optional().describe("The latest run issued before this time: an instant with its offset, or a date (local midnight in the grid's zone)."),
          }),
          response: { 200: ForecastPage, ...problemResponses({ 404: 'No run of this horizon (issued before issuedBefore) (RUN_NOT_FOUND), or the run has no such node (RUN_SERIES_NOT_FOUND)' }) },
        },
      },
      async (req, reply) => {
        const { horizon, issuedBefore } = req.query;
        const before = issuedBefore === undefined ? undefined : parseTimeInput(issuedBefore, 'issuedBefore');
        return send(reply, await page({ horizon, ...(before && { issuedBefore: before }) }, req.query));
      },
    );

    app.get(
      '/runs/:id/forecasts',
      { config, schema: { summary: 'The values of one run', tags, params: z.object({ id: RunId }), querystring: ViewQuery, response: { 200: ForecastPage, ...problemResponses({ 404: 'No run has this id (RUN_NOT_FOUND), or it has no such node (RUN_SERIES_NOT_FOUND)' }) } } },
      async (req, reply) => send(reply, await page({ runId: req.params.id }, req.query)),
    );
  };
