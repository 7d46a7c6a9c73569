import { z } from 'zod';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { appliedTransfer, AppliedTransferSchema, TRANSFER_STATUSES, type PlannedTransfer } from '../../../core/planned.ts';
import { transferRowsFromCsv } from '../../../ingest/planned/transfers.service.ts';
import type { PlannedReads } from '../../read-services.ts';
import type { TransferIngest } from '../../write-services.ts';
import { problemResponses } from '../../openapi.ts';

const Time = z.string().describe('ISO 8601 with Z or an offset');

/** A transfer version as sent: the columns of `gridcast ingest transfers`. */
const TransferRow = z.looseObject({
  ref: z.string().describe("The plan's identifier at its source (switching order): a later issue of the same (source, ref) is its next version."),
  source: z.string().describe('Who plans it (e.g. the distribution operator).'),
  from_node: z.string(),
  to_node: z.string(),
  start: Time,
  end: Time,
  share: z.union([z.number(), z.string()]).describe("Share of the from-node's own (no-transfer) load moved, in (0, 1]."),
  issued_at: Time.describe('When the source issued this version: runs issued at or after it use it.'),
  reason: z.string().optional(),
  status: z.enum(TRANSFER_STATUSES).optional().describe('cancelled: this version withdraws the plan. Default planned.'),
  received_at: Time.optional(),
});

/** A stored version: what a run records of it (AppliedTransferSchema), with its status and provenance. */
export const TransferView = AppliedTransferSchema.extend({
  status: z.enum(TRANSFER_STATUSES),
  reason: z.string().nullable(),
  issuedAt: z.string(),
  receivedAt: z.string(),
});

const view = (t: PlannedTransfer): z.infer<typeof TransferView> => ({
  ...appliedTransfer(t),
  status: t.status,
  reason: t.reason,
  issuedAt: t.issuedAt.toISOString(),
  receivedAt: t.receivedAt.toISOString(),
});

const Stats = {
  hours: z.number().int(),
  mae: z.number().describe('Mean |actual − planned|.'),
  bias: z.number().describe('Mean actual − planned: positive, the consumer used more than planned.'),
  mape: z.number().nullable().describe('Mean |actual − planned| / |actual| (a share, not %); null when every actual is zero.'),
};

/** POST /planned/transfers (operator); GET /planned/transfers and /planned/accuracy (viewer). */
export const plannedWriteRoutes = (ingest: TransferIngest, bodyLimitBytes: number): FastifyPluginAsyncZod =>
  async function plannedWrites(app) {
    app.addContentTypeParser('text/csv', { parseAs: 'string', bodyLimit: bodyLimitBytes }, (_req, body, done) => done(null, body));
    app.post(
      '/planned/transfers',
      {
        bodyLimit: bodyLimitBytes,
        config: { role: 'operator' },
        schema: {
          summary: 'Ingest versions of planned transfers of load between nodes (switching for works)',
          description:
            'A JSON array of transfer versions or a text/csv body with the columns of `gridcast ingest transfers`. ' +
            'Every version is kept; a run uses the version in force at its issue time (latest issued_at at or before it). ' +
            'The batch is validated whole: one bad row rejects it and nothing is stored (TRANSFER_REJECTED, details.issues). ' +
            'A row identical to a stored version is counted unchanged; a different row with the same (source, ref, issued_at) is refused (TRANSFER_VERSION_CONFLICT).',
          tags: ['planned'],
          consumes: ['application/json', 'text/csv'],
          body: z.union([z.array(TransferRow), z.string().meta({ description: 'text/csv: a header naming the columns, one version a line' })]),
          response: {
            201: z.object({ rows: z.number().int(), added: z.array(TransferView), unchanged: z.number().int() }),
            ...problemResponses({
              409: 'A different version was already issued at the same time for this plan (TRANSFER_VERSION_CONFLICT)',
              422: 'A row is invalid or names an unknown node: nothing is stored (TRANSFER_REJECTED)',
            }),
          },
        },
      },
      async (req, reply) => {
        const rows = typeof req.body === 'string' ? transferRowsFromCsv(req.body) : req.body.map((row, i) => ({ line: i + 1, row }));
        const r = await ingest(rows);
        return reply.code(201).send({ rows: r.rows, added: r.added.map(view), unchanged: r.unchanged });
      },
    );
  };

export const plannedReadRoutes = (planned: PlannedReads): FastifyPluginAsyncZod =>
  async function plannedReads(app) {
    const config = { role: 'viewer' as const };
    app.get(
      '/planned/transfers',
      {
        config,
        schema: {
          summary: 'Planned transfers: every stored version, or those in force at a time',
          tags: ['planned'],
          querystring: z.object({
            series: z.string().min(1).optional().describe('Only transfers from or to this node.'),
            source: z.string().min(1).optional(),
            ref: z.string().min(1).optional(),
            asOf: z.iso.datetime({ offset: true }).optional().describe('Only the version of each plan in force at this time (cancelled plans left out), as a run issued then used it.'),
          }),
          response: { 200: z.object({ transfers: z.array(TransferView) }) },
        },
      },
      async (req) => {
        const q = req.query;
        const list = await planned.transfers({ ...(q.series && { seriesId: q.series }), ...(q.source && { source: q.source }), ...(q.ref && { ref: q.ref }), ...(q.asOf && { asOf: new Date(q.asOf) }) });
        return { transfers: list.map(view) };
      },
    );
    app.get(
      '/planned/accuracy',
      {
        config,
        schema: {
          summary: "Planned values against actuals per plan source and series: whose plans (consumers' schedules) can be trusted",
          description: 'Over [from, to), hourly planned values of every source of planned values against the hourly actuals; the least trustworthy source first (highest MAPE).',
          tags: ['planned'],
          querystring: z.object({ from: z.iso.datetime({ offset: true }), to: z.iso.datetime({ offset: true }) }),
          response: {
            200: z.object({
              sources: z.array(z.object({ kind: z.string().describe('The kind of plan, e.g. schedules.'), source: z.string(), ...Stats, series: z.array(z.object({ seriesId: z.string(), ...Stats })) })),
            }),
            ...problemResponses({ 400: 'from not before to (QUERY_RANGE_INVALID)' }),
          },
        },
      },
      async (req) => ({ sources: await planned.accuracy.read({ from: new Date(req.query.from), to: new Date(req.query.to) }) }),
    );
  };
