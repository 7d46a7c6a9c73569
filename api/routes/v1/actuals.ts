import { z } from 'zod';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { ServedQuality } from '../../../core/quality.ts';
import { parseTimeInput } from '../../../core/time-input.ts';
import { servedActual, type ActualsService } from '../../../ingest/actuals.service.ts';
import { GRAINS } from '../../../core/grain.ts';
import { decodeCursor, encodeCursor, NextCursor, pageQuery } from '../../paging.ts';
import { problemResponses } from '../../openapi.ts';

const TIME = "An instant with its offset (2026-12-03T00:00:00Z) or a date (2026-12-03: the local midnight starting that day in the series' zone); a time without offset is refused (TS_NO_OFFSET).";

export const ActualValue = z.object({
  seriesId: z.string(),
  ts: z.string().describe('Point time, or bucket start (UTC).'),
  date: z.string().optional().describe("1d: the local calendar day of the series' zone."),
  value: z.number().nullable().describe('Mean power (power units, weather) or summed energy (…Wh); null when a roll-up lacks a child.'),
  quality: ServedQuality.describe("Worst quality of the points; a partial bucket reads 'partial' unless 'suspect'."),
  method: z.string().nullable().optional().describe('Imputation/estimation method(s), comma-separated.'),
  n: z.number().optional().describe('Points (metering: intervals; roll-ups: children with a value) in the bucket.'),
  expected: z.number().nullable().optional().describe('What n should be; null when unknown.'),
  partial: z.boolean().optional(),
  missing: z.array(z.string()).optional().describe('Roll-ups: descendant series lacking a value.'),
  p95: z.number().optional(),
  min: z.number().optional(),
  max: z.number().optional(),
  status: z.enum(['provisional', 'validated', 'imputed']).optional().describe('Metering: status of the chosen version.'),
  version: z.number().optional(),
  issuedAt: z.string().optional().describe('Weather forecasts at the raw grain: when the value was issued.'),
});

const ActualsQuery = z
  .object({
    start: z.string().describe(`Start of the half-open interval [start, end). ${TIME}`),
    end: z.string().describe(`End (excluded). ${TIME}`),
    grain: z.enum(GRAINS),
    asOf: z.string().optional().describe('Only data received at or before this time (the versions known then).'),
    variable: z.string().min(1).optional().describe('Weather stations: the variable (default temperature).'),
    issuedBefore: z.string().optional().describe('Weather stations: the forecasts as issued before this time instead of the observations.'),
  })
  .extend(pageQuery().shape);

/** `start`: the resolved start of the first page, `from`: where the next page starts. */
const Cursor = z.object({ start: z.string(), from: z.string() });

/**
 * GET /series/{id}/actuals: what `gridcast query --format json` prints, paged. Each page reads
 * from its cursor to `end` and serves the first `limit` values.
 */
export const actualsRoutes = (actuals: ActualsService): FastifyPluginAsyncZod =>
  async function actualsV1(app) {
    app.get(
      '/series/:id/actuals',
      {
        config: { role: 'viewer' },
        schema: {
          summary: 'Actuals of a series or weather station at a grain, with their completeness',
          tags: ['actuals'],
          params: z.object({ id: z.string().min(1) }),
          querystring: ActualsQuery,
          response: {
            200: z.object({
              seriesId: z.string(),
              grain: z.enum(GRAINS),
              timeZone: z.string(),
              start: z.string(),
              end: z.string(),
              values: z.array(ActualValue),
              nextCursor: NextCursor,
            }),
            ...problemResponses({
              404: 'No stored series or weather station has this id (SERIES_NOT_FOUND)',
              422: 'A weather variable was asked of a node that is not a weather station (NOT_A_WEATHER_STATION)',
            }),
          },
        },
      },
      async (req) => {
        const q = req.query;
        const time = (text: string | undefined, what: string) => (text === undefined ? undefined : parseTimeInput(text, what));
        const [start, end, asOf, issuedBefore] = [time(q.start, 'start')!, time(q.end, 'end')!, time(q.asOf, 'asOf'), time(q.issuedBefore, 'issuedBefore')];
        const cursor = q.cursor ? decodeCursor(q.cursor, Cursor) : null;
        const from = cursor ? { instant: new Date(cursor.from) } : start;
        const read = await actuals.read({
          seriesId: req.params.id,
          from,
          to: end,
          grain: q.grain,
          ...(asOf && { asOf }),
          ...(issuedBefore && { issuedBefore }),
          ...(q.variable && { variable: q.variable }),
        });
        const rows = read.rows.slice(0, q.limit);
        // Rows and buckets start at distinct instants: the next page starts just after the last one served.
        const first = cursor?.start ?? read.from.toISOString();
        const next = read.rows.length > q.limit ? encodeCursor({ start: first, from: new Date(rows[rows.length - 1].ts.getTime() + 1).toISOString() }) : null;
        return {
          seriesId: req.params.id,
          grain: q.grain,
          timeZone: read.timeZone,
          start: first,
          end: read.to.toISOString(),
          values: rows.map(servedActual),
          nextCursor: next,
        };
      },
    );
  };
