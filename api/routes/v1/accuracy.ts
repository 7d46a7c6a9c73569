import { z } from 'zod';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { HORIZONS } from '../../../core/config.ts';
import { FORECAST_GRAINS } from '../../../core/forecast-run.ts';
import { ACCURACY_BY } from '../../../core/scores.ts';
import type { AccuracyReport, AccuracyService } from '../../../monitoring/accuracy.service.ts';
import { problemResponses } from '../../openapi.ts';

export const AccuracyRowView = z.object({
  seriesId: z.string(),
  horizon: z.enum(HORIZONS),
  grain: z.enum(FORECAST_GRAINS).describe('1h: hourly values against hourly actuals; 1d: daily values (local days) against daily actuals.'),
  leadFrom: z.number().nullable().describe('by=lead: the lead-time bucket [leadFrom, leadTo) in hours from issue time.'),
  leadTo: z.number().nullable(),
  day: z.string().nullable().describe('by=day: the local date (store time zone) of the target hours.'),
  n: z.number().describe('Forecast values scored (the latest score of each).'),
  mape: z.number().nullable().describe('MAPE in % over the values whose actual is not near zero; null when none.'),
  nApe: z.number().describe('Values in the MAPE.'),
  maeNearZero: z.number().nullable().describe('MAE over the values whose actual is near zero (MAPE means nothing there); null when none.'),
  mae: z.number(),
  meanActual: z.number().describe('Mean actual of the values scored.'),
  bias: z.number().describe('Mean forecast − actual: positive over-forecasts.'),
  pinball: z.number().nullable().describe('Mean pinball loss over the stored quantile levels.'),
  coverage: z.number().nullable().describe('Share in % of actuals inside the outer stored interval (P10–P90 by default).'),
});

export const AccuracyQuery = z.object({
  series: z.string().min(1).optional(),
  horizon: z.enum(HORIZONS).optional(),
  modelVersion: z.string().min(1).optional(),
  grain: z.enum(FORECAST_GRAINS).optional().describe('Only hourly (1h) or daily (1d) values; default both, each row of one grain.'),
  from: z.string().optional().describe('Target times at or after: an instant with its offset, or a date (local midnight of the store zone). Default: to − 30 days.'),
  to: z.string().optional().describe('Target times before (exclusive). Default: now.'),
  by: z.enum(ACCURACY_BY).default('series').describe('Rows per series, horizon and grain, and per lead-time bucket (lead) or local day (day).'),
});

export const accuracyView = (r: AccuracyReport) => ({ from: r.from.toISOString(), to: r.to.toISOString(), by: r.by, rows: r.rows });

/** GET /accuracy: forecast accuracy against the actuals that arrived, over [from, to). */
export const accuracyRoutes = (accuracy: Pick<AccuracyService, 'read'>): FastifyPluginAsyncZod =>
  async function accuracyV1(app) {
    app.get(
      '/accuracy',
      {
        config: { role: 'viewer' },
        schema: {
          summary: 'Forecast accuracy: MAPE (MAE where actuals are near zero), bias, pinball loss and interval coverage per series, horizon and grain (hours, local days), by lead time or day',
          tags: ['monitoring'],
          querystring: AccuracyQuery,
          response: {
            200: z.object({ from: z.string(), to: z.string(), by: z.enum(ACCURACY_BY), rows: z.array(AccuracyRowView) }),
            ...problemResponses({ 400: 'A time that cannot be read, or from not before to (TS_INVALID, TS_NO_OFFSET, QUERY_RANGE_INVALID)' }),
          },
        },
      },
      async (req) => {
        const q = req.query;
        return accuracyView(
          await accuracy.read({
            by: q.by,
            ...(q.series !== undefined && { seriesId: q.series }),
            ...(q.horizon && { horizon: q.horizon }),
            ...(q.modelVersion !== undefined && { modelVersion: q.modelVersion }),
            ...(q.grain && { grain: q.grain }),
            ...(q.from !== undefined && { from: q.from }),
            ...(q.to !== undefined && { to: q.to }),
          }),
        );
      },
    );
  };
