import { z } from 'zod';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { formatLine, type CsvKind } from '../../../ingest/csv/format.ts';
import { batchCounts, type IngestCsvResult } from '../../../ingest/csv/ingest-csv.ts';
import { csvTextSource, jsonRowsSource, type BatchSource, type JsonRow } from '../../../ingest/csv/source.ts';
import { ON_CONFLICT } from '../../../core/revision.ts';
import type { IngestService } from '../../write-services.ts';
import { problemResponses } from '../../openapi.ts';

export interface IngestRoutesDeps {
  ingest: IngestService;
  /** config.api.bodyLimitBytes. */
  bodyLimitBytes: number;
}

/** A number as JSON, or its decimal text (kept exactly as written, like a CSV cell). */
const Num = z.union([z.number(), z.string()]);
const Time = z.string().describe('ISO 8601 with Z or an offset');

/** The columns of each CSV format (ingest/csv/format.ts), as JSON fields. */
const ROWS: Record<CsvKind, z.ZodType<JsonRow>> = {
  measurements: z.strictObject({ series_id: z.string(), ts: Time, value: Num, quality: z.enum(['ok', 'suspect']).optional(), unit: z.string().optional() }),
  metering: z.strictObject({
    series_id: z.string(),
    interval_start: Time,
    interval_sec: z.union([z.number().int(), z.string()]),
    value: Num,
    status: z.string(),
    received_at: Time.optional(),
  }),
  weather: z.strictObject({ station_id: z.string(), ts: Time, variable: z.string(), value: Num, issued_at: Time.optional().describe('a forecast as issued at this time; absent for an observation') }),
};

const Issue = z.object({ line: z.number().int(), code: z.string(), message: z.string() });

export const BatchReport = z.object({
  batchId: z.number().int(),
  kind: z.enum(['measurements', 'metering', 'weather']),
  status: z.enum(['committed', 'quarantined', 'already-ingested']),
  rows: z.number().int(),
  new: z.number().int(),
  revised: z.number().int(),
  unchanged: z.number().int(),
  revisions: z.array(
    z.object({ line: z.number().int(), seriesId: z.string(), ts: z.string(), oldValue: z.number(), newValue: z.number(), oldQuality: z.string(), newQuality: z.string() }),
  ),
  suspect: z.object({ flagged: z.number().int(), first: z.array(z.object({ seriesId: z.string(), ts: z.string(), value: z.number(), why: z.string() })) }).nullable(),
  /** Quarantined: why (LEVEL_JUMP…), release with `gridcast ingest release BATCH_ID`. */
  issues: z.array(Issue),
  /** Status of the batch first stored under this content (already-ingested). */
  firstStatus: z.string().optional(),
  /** This answer repeats the first one stored under the request's Idempotency-Key. */
  replayed: z.boolean(),
});
export type BatchReport = z.infer<typeof BatchReport>;

/** The counts `gridcast ingest csv` prints, as JSON. */
export function batchReport(r: IngestCsvResult): BatchReport {
  const already = r.status === 'already-ingested';
  return {
    batchId: r.batchId,
    kind: r.kind,
    status: r.status,
    rows: r.rows,
    ...batchCounts(r),
    revisions: r.revisions.map((n) => ({
      line: n.ord,
      seriesId: n.seriesId,
      // A replayed report was read back from JSON.
      ts: new Date(n.ts).toISOString(),
      oldValue: n.oldValue,
      newValue: n.newValue,
      oldQuality: n.oldQuality,
      newQuality: n.newQuality,
    })),
    suspect: (!already && r.suspect) || null,
    issues: r.issues,
    ...(already ? { firstStatus: r.firstStatus } : {}),
    replayed: !already && r.replayed === true,
  };
}

const WHAT: Record<CsvKind, string> = {
  measurements: 'SCADA measurements',
  metering: 'metering versions (provisional or validated)',
  weather: 'weather observations, and forecasts as issued (rows with issued_at)',
};

/**
 * POST /ingest/{measurements,metering,weather}: a JSON array of rows or a text/csv body with
 * the columns of the CLI's files, through the same batch service as `gridcast ingest csv`.
 */
export const ingestRoutes = (deps: IngestRoutesDeps): FastifyPluginAsyncZod =>
  async function ingest(app) {
    // The text as received; the batch service parses it like a file.
    app.addContentTypeParser('text/csv', { parseAs: 'buffer', bodyLimit: deps.bodyLimitBytes }, (_req, body, done) => done(null, body));
    for (const kind of ['measurements', 'metering', 'weather'] as const) {
      app.post(
        `/ingest/${kind}`,
        {
          bodyLimit: deps.bodyLimitBytes,
          config: { role: 'operator' },
          schema: {
            summary: `Ingest a batch of ${WHAT[kind]}`,
            description:
              `A JSON array of rows or a text/csv body (header line required) with the columns of \`gridcast ingest csv\`. ` +
              'The batch is validated whole: one bad row rejects it and nothing is written (INGEST_REJECTED, details.issues with line and code; ' +
              'for JSON the line is the 1-based position in the array). An Idempotency-Key makes a retry return the first report.',
            tags: ['ingest'],
            headers: z.looseObject({ 'idempotency-key': z.string().min(1).max(200).optional() }),
            querystring: z.object({ onConflict: z.enum(ON_CONFLICT).default('revise') }),
            consumes: ['application/json', 'text/csv'],
            body: z.union([z.array(ROWS[kind]), z.instanceof(Buffer).meta({ type: 'string', description: `text/csv: the header line ${formatLine(kind)} and one row a line` })]),
            response: {
              200: BatchReport,
              201: BatchReport,
              ...problemResponses({
                409: 'A value differs from the stored one under onConflict=reject (VALUE_CONFLICT), or the Idempotency-Key was used for other content (IDEMPOTENCY_KEY_REUSED)',
                422: 'A row is invalid: the batch is rejected whole and nothing is written (INGEST_REJECTED)',
              }),
            },
          },
        },
        async (req, reply) => {
          const key = req.headers['idempotency-key'];
          // Only the text/csv parser gives a Buffer; a JSON body is an array by its schema.
          const src: BatchSource = Buffer.isBuffer(req.body) ? csvTextSource('request body', req.body) : jsonRowsSource('request body', kind, req.body);
          const r = await deps.ingest(src, { kind, onConflict: req.query.onConflict, ...(key ? { idempotencyKey: key, ...(req.principal ? { idempotencyScope: req.principal.keyId } : {}) } : {}) });
          const report = batchReport(r);
          if (report.replayed) reply.header('idempotent-replayed', 'true');
          return reply.code(r.status === 'already-ingested' ? 200 : 201).send(report);
        },
      );
    }
  };
