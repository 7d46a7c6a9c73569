import { Readable } from 'node:stream';
import { z } from 'zod';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { ServedQuality } from '../../../core/quality.ts';
import { parseTimeInput } from '../../../core/time-input.ts';
import { servedActual, type ActualsRead, type ActualsService } from '../../../ingest/actuals.service.ts';

type SeriesQuery = Parameters<ActualsService['read']>[0];
type MeasurementRow = ActualsRead['rows'][number];
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

const RangeQuery = z.object({
    start: z.string().describe(`Start of the half-open interval [start, end). ${TIME}`),
    end: z.string().describe(`End (excluded). ${TIME}`),
    grain: z.enum(GRAINS),
    asOf: z.string().optional().describe('Only data received at or before this time (the versions known then).'),
    variable: z.string().min(1).optional().describe('Weather stations: the variable (default temperature).'),
    issuedBefore: z.string().optional().describe('Weather stations: the forecasts as issued before this time instead of the observations.'),
});
const ActualsQuery = RangeQuery.extend(pageQuery().shape);

/** The service's query from the route's parameters (times as the user gave them). */
function seriesQuery(seriesId: string, q: z.infer<typeof RangeQuery>): SeriesQuery {
  const time = (text: string | undefined, what: string) => (text === undefined ? undefined : parseTimeInput(text, what));
  const [asOf, issuedBefore] = [time(q.asOf, 'asOf'), time(q.issuedBefore, 'issuedBefore')];
  return {
    seriesId,
    from: time(q.start, 'start')!,
    to: time(q.end, 'end')!,
    grain: q.grain,
    ...(asOf && { asOf }),
    ...(issuedBefore && { issuedBefore }),
    ...(q.variable && { variable: q.variable }),
  };
}

const NDJSON = 'application/x-ndjson';


/** `start`: the resolved start of the first page, `from`: where the next page starts. */
const Cursor = z.object({ start: z.string(), from: z.string() });

const ERRORS = {
  404: 'No stored series or weather station has this id (SERIES_NOT_FOUND)',
  422: 'A weather variable was asked of a node that is not a weather station (NOT_A_WEATHER_STATION)',
};

/**
 * GET /series/{id}/actuals: what `gridcast query --format json` prints, paged; each page reads
 * windows of time from its cursor until it has `limit` values and one more.
 * GET /series/{id}/actuals/stream: the whole range as NDJSON, one value a line, read and sent a
 * window at a time, so a year of raw points costs the server a day of them in memory.
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
            ...problemResponses(ERRORS),
          },
        },
      },
      async (req) => {
        const q = req.query;
        const cursor = q.cursor ? decodeCursor(q.cursor, Cursor) : null;
        const read = await actuals.windows({ ...seriesQuery(req.params.id, q), ...(cursor && { from: { instant: new Date(cursor.from) } }) });
        // Windows are read until one value past the page shows whether another page follows.
        const rows: MeasurementRow[] = [];
        for await (const batch of read.batches) {
          rows.push(...batch);
          if (rows.length > q.limit) break;
        }
        const more = rows.length > q.limit;
        rows.length = Math.min(rows.length, q.limit);
        // Rows and buckets start at distinct instants: the next page starts just after the last one served.
        const first = cursor?.start ?? read.from.toISOString();
        const next = more ? encodeCursor({ start: first, from: new Date(rows[rows.length - 1].ts.getTime() + 1).toISOString() }) : null;
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

    app.get(
      '/series/:id/actuals/stream',
      {
        config: { role: 'viewer' },
        schema: {
          summary: 'All actuals of a range as NDJSON, streamed',
          description:
            `The values of GET /series/{id}/actuals over the whole range [start, end), one JSON object a line (${NDJSON}), ` +
            'oldest first, without paging. Errors in the query are answered as problem+json before the first line; ' +
            'a server fault after it cuts the connection without the final chunk, so a client never takes a truncated stream for a whole one.',
          tags: ['actuals'],
          params: z.object({ id: z.string().min(1) }),
          querystring: RangeQuery,
          response: {
            200: { description: 'One ActualValue a line.', content: { [NDJSON]: { schema: ActualValue } } },
            ...problemResponses(ERRORS),
          },
        },
      },
      async (req, reply) => {
        const read = await actuals.windows(seriesQuery(req.params.id, req.query));
        // The first window is read before the status line, so a failing query is still a problem answer.
        const first = await read.batches.next();
        async function* lines() {
          if (first.done) return;
          yield ndjson(first.value);
          for await (const batch of read.batches) yield ndjson(batch);
        }
        return reply.type(NDJSON).header('x-time-zone', read.timeZone).send(Readable.from(lines()) as never); // a stream: the typed reply knows only the JSON bodies
      },
    );
  };

const ndjson = (rows: MeasurementRow[]) => rows.map((r) => `${JSON.stringify(servedActual(r))}\n`).join('');
