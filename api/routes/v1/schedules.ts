import { z } from 'zod';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { SCHEDULE_FORMAT } from '../../../core/schedule.ts';
import { scheduleCsvBatch, scheduleJsonBatch } from '../../../ingest/schedules/schedules.service.ts';
import type { ScheduleService } from '../../write-services.ts';
import { problemResponses } from '../../openapi.ts';

const Num = z.union([z.number(), z.string()]);
const Time = z.string().describe('ISO 8601 with Z or an offset');

/** The columns of a schedule file as JSON fields (core/schedule.ts checks them, the same for CSV and JSON). */
const ScheduleRowJson = z.strictObject({
  series_id: z.string(),
  interval_start: Time.optional(),
  interval_end: Time.optional().describe('exclusive; with interval_start, or give ts instead'),
  ts: Time.optional().describe("one interval of the series' cadence (attrs.stepSec, else one hour) starting here"),
  value: Num.describe("planned value in the series' unit (mean power over the interval for a power unit)"),
  unit: z.string().describe("must be the series' unit"),
  issued_at: Time.describe('when the schedule was issued: its version with source'),
  source: z.string().describe('who issued it (a plant, a dispatch system)'),
  reason: z.string().optional(),
  p10: Num.optional().describe('declared uncertainty: with p90'),
  p90: Num.optional(),
  sd: Num.optional().describe('declared standard deviation (used when p10/p90 are absent)'),
  received_at: Time.optional().describe('when it was received; default now'),
});

const ScheduleReport = z.object({
  batchId: z.number().int(),
  status: z.enum(['committed', 'already-ingested']),
  rows: z.number().int(),
  written: z.number().int().optional(),
  unchanged: z.number().int().optional(),
  versions: z.array(z.object({ seriesId: z.string(), source: z.string(), issuedAt: z.string() })).optional(),
});

/** POST /schedules: planned values of nodes as issued (A12), as a JSON array or a CSV text. */
export const scheduleRoutes = (deps: { schedules: ScheduleService; bodyLimitBytes: number }): FastifyPluginAsyncZod =>
  async function schedules(app) {
    app.addContentTypeParser('text/csv', { parseAs: 'buffer', bodyLimit: deps.bodyLimitBytes }, (_req, body, done) => done(null, body));
    app.post(
      '/schedules',
      {
        bodyLimit: deps.bodyLimitBytes,
        config: { role: 'operator' },
        schema: {
          summary: 'Ingest schedules as issued (planned values of nodes)',
          description:
            `A JSON array of rows or a text/csv body with the header ${SCHEDULE_FORMAT}. Every version (source, issued_at) is kept; a run uses ` +
            'the version in force at its issue time. The batch is checked whole: one bad row rejects it and nothing is written (SCHEDULE_REJECTED, details.issues ' +
            'with line and code; for JSON the line is the 1-based position). Re-sending the same content changes nothing (200 already-ingested); a stored version ' +
            'sent again with other values is refused (SCHEDULE_CONFLICT): a revision is a new issue with a later issued_at.',
          tags: ['ingest'],
          consumes: ['application/json', 'text/csv'],
          body: z.union([z.array(ScheduleRowJson), z.instanceof(Buffer).meta({ type: 'string', description: `text/csv: the header line ${SCHEDULE_FORMAT} and one row a line` })]),
          response: {
            200: ScheduleReport,
            201: ScheduleReport,
            ...problemResponses({
              400: 'The CSV text has no valid header (CSV_HEADER_INVALID) or cannot be parsed (MALFORMED_CSV)',
              409: 'A stored version is sent again with other values (SCHEDULE_CONFLICT); nothing was written',
              422: 'A row is invalid, names an unknown series or another unit than the series (SCHEDULE_REJECTED); nothing was written',
            }),
          },
        },
      },
      async (req, reply) => {
        const batch = Buffer.isBuffer(req.body) ? scheduleCsvBatch('request body', req.body, 'api') : scheduleJsonBatch('request body', req.body);
        const r = await deps.schedules(batch);
        return reply.code(r.status === 'committed' ? 201 : 200).send(r);
      },
    );
  };
