import { z } from 'zod';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { HORIZONS, RECONCILIATION_METHODS } from '../../../core/config.ts';
import type { RunReader } from '../../../forecast/run/read-runs.service.ts';
import type { RunRecord } from '../../../core/forecast-run.ts';
import { decodeCursor, encodeCursor, NextCursor, pageQuery } from '../../paging.ts';
import { problemResponses } from '../../openapi.ts';

export const RunId = z.coerce.number().int().positive();

export const RunMeta = z.object({
  id: z.number(),
  horizon: z.enum(HORIZONS),
  status: z.enum(['succeeded', 'failed']),
  issuedAt: z.string().describe('When the run was stored.'),
  origin: z.string().describe('The hour the models saw data up to.'),
  asOf: z.string().describe('The time the run was asked for.'),
  windowStart: z.string(),
  windowEnd: z.string(),
  root: z.string(),
  scheduledAt: z.string().nullable().describe('The job tick that made it; null for a run made by hand.'),
  deadline: z.string().nullable(),
  method: z.object({
    reconciliation: z.object({ asked: z.enum(RECONCILIATION_METHODS), applied: z.string() }),
    defaultModel: z.object({ kind: z.string(), params: z.record(z.string(), z.unknown()) }).describe('The model fitted for a series without a champion.'),
    models: z.record(z.string(), z.string()).describe('Series → the model version that made its forecast (forecast pages: the series of the page).'),
  }),
  allocation: z.enum(['average', 'worst-case']).describe('How substation views spread moving loads by default.'),
  quantiles: z.array(z.number()).describe('The quantile levels stored with every value.'),
  inputsHash: z.string(),
  codeVersion: z.string(),
  warnings: z.array(z.string()),
  transfers: z
    .array(z.object({ source: z.string(), ref: z.string(), version: z.number().int(), fromNode: z.string(), toNode: z.string(), start: z.string(), end: z.string(), share: z.number() }))
    .optional()
    .describe('The planned transfers the run applied (the versions in force at its issue time): taken out of the training history, applied to the forecasts. Absent: none.'),
});
export type RunMeta = z.infer<typeof RunMeta>;

/** A run's metadata; `series` limits the models listed to the series a page holds. */
export const runMeta = (r: RunRecord, series?: Set<string>): RunMeta => ({
  id: r.id,
  horizon: r.horizon,
  status: r.status,
  issuedAt: r.issuedAt.toISOString(),
  origin: r.origin.toISOString(),
  asOf: r.settings.asOf,
  windowStart: r.windowStart.toISOString(),
  windowEnd: r.windowEnd.toISOString(),
  root: r.root,
  scheduledAt: r.scheduledAt?.toISOString() ?? null,
  deadline: r.deadline?.toISOString() ?? null,
  method: {
    reconciliation: { asked: r.reconciliation, applied: r.reconciliationApplied },
    defaultModel: r.settings.defaultModel,
    models: series ? Object.fromEntries(Object.entries(r.modelVersions).filter(([id]) => series.has(id))) : r.modelVersions,
  },
  allocation: r.allocation,
  quantiles: r.settings.quantiles,
  inputsHash: r.inputsHash,
  codeVersion: r.settings.codeVersion,
  warnings: r.warnings,
  ...(r.settings.transfers?.length && { transfers: r.settings.transfers }),
});

const Cursor = z.object({ beforeId: z.number().int() });

/** GET /runs (newest first) and /runs/{id}. */
export const runsRoutes = (runs: RunReader): FastifyPluginAsyncZod =>
  async function runsV1(app) {
    const tags = ['runs'];
    const config = { role: 'viewer' as const };
    app.get(
      '/runs',
      {
        config,
        schema: {
          summary: 'Stored forecast runs, newest first',
          tags,
          querystring: z.object({ horizon: z.enum(HORIZONS).optional() }).extend(pageQuery(50).shape),
          response: { 200: z.object({ runs: z.array(RunMeta), nextCursor: NextCursor }) },
        },
      },
      async (req) => {
        const { horizon, limit, cursor } = req.query;
        const beforeId = cursor ? decodeCursor(cursor, Cursor).beforeId : undefined;
        const page = await runs.list({ ...(horizon && { horizon }), ...(beforeId !== undefined && { beforeId }), limit: limit + 1 });
        const shown = page.slice(0, limit);
        return { runs: shown.map((r) => runMeta(r)), nextCursor: page.length > limit ? encodeCursor({ beforeId: shown[shown.length - 1].id }) : null };
      },
    );
    app.get(
      '/runs/:id',
      {
        config,
        schema: {
          summary: 'One run: its metadata and what produced each series',
          tags,
          params: z.object({ id: RunId }),
          response: {
            200: z.object({
              run: RunMeta,
              series: z.array(z.object({ seriesId: z.string(), model: z.string(), modelVersion: z.string(), fallbackReason: z.string().nullable() })),
            }),
            ...problemResponses({ 404: 'No run has this id (RUN_NOT_FOUND)' }),
          },
        },
      },
      async (req) => {
        const { run, series } = await runs.detail(req.params.id);
        return { run: runMeta(run), series };
      },
    );
  };
