import { z } from 'zod';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { EVENT_KINDS, EVENT_SEVERITIES, type EventKind, type MonitoringEvent } from '../../../core/events.ts';
import type { EventReader } from '../../../monitoring/events.service.ts';
import type { ProposalReader } from '../../../monitoring/proposals.service.ts';
import { MAX_LIMIT } from '../../paging.ts';
import { problemResponses } from '../../openapi.ts';

export const EventView = z.object({
  id: z.number(),
  at: z.string().describe('When it happened on the clock of the service that raised it (a replay: the replayed time).'),
  kind: z.enum(EVENT_KINDS),
  severity: z.enum(EVENT_SEVERITIES),
  seriesId: z.string().nullable(),
  modelVersion: z.string().nullable(),
  runId: z.number().nullable(),
  detail: z.record(z.string(), z.unknown()).describe('Detector statistic, threshold, p-values, reason, actor… by kind.'),
  recordedAt: z.string().describe('When it was written.'),
});
export type EventView = z.infer<typeof EventView>;

export const eventView = (e: MonitoringEvent): EventView => ({
  id: e.id,
  at: e.at.toISOString(),
  kind: e.kind,
  severity: e.severity,
  seriesId: e.seriesId,
  modelVersion: e.modelVersion,
  runId: e.runId,
  detail: e.detail,
  recordedAt: e.recordedAt.toISOString(),
});

const Kinds = z
  .string()
  .transform((s, ctx) => {
    const kinds = s.split(',').map((k) => k.trim()).filter(Boolean);
    const unknown = kinds.filter((k) => !(EVENT_KINDS as readonly string[]).includes(k));
    if (unknown.length) ctx.addIssue({ code: 'custom', message: `unknown event kind ${unknown.join(', ')}; the kinds are ${EVENT_KINDS.join(', ')}` });
    return kinds as EventKind[];
  })
  .describe(`Comma-separated kinds: ${EVENT_KINDS.join(', ')}.`);

export const EventsQuery = z.object({
  kind: Kinds.optional(),
  series: z.string().min(1).optional(),
  modelVersion: z.string().min(1).optional(),
  from: z.string().optional().describe('Events at or after: an instant with its offset, or a date (local midnight of the store zone).'),
  to: z.string().optional().describe('Events before (exclusive).'),
  limit: z.coerce.number().int().min(1).max(MAX_LIMIT).default(1000),
  beforeId: z.coerce.number().int().positive().optional().describe('The nextBeforeId of the previous page.'),
});

/** GET /events: the monitoring event log, newest first; GET /proposals: the open retraining proposals. */
export const eventsRoutes = (events: EventReader, proposals: ProposalReader): FastifyPluginAsyncZod =>
  async function eventsV1(app) {
    app.get(
      '/events',
      {
        config: { role: 'viewer' },
        schema: {
          summary: 'The event log: ruptures, fallback switches, drift, deadline alarms, retraining proposals, promotions and rollbacks, newest first',
          tags: ['monitoring'],
          querystring: EventsQuery,
          response: {
            200: z.object({ events: z.array(EventView), nextBeforeId: z.number().nullable().describe('Pass as beforeId for the next page; null on the last.') }),
            ...problemResponses({ 400: 'A time that cannot be read, or from not before to (TS_INVALID, TS_NO_OFFSET, QUERY_RANGE_INVALID)' }),
          },
        },
      },
      async (req) => {
        const q = req.query;
        const page = await events.list({
          ...(q.kind && { kinds: q.kind }),
          ...(q.series !== undefined && { seriesId: q.series }),
          ...(q.modelVersion !== undefined && { modelVersion: q.modelVersion }),
          ...(q.from !== undefined && { from: q.from }),
          ...(q.to !== undefined && { to: q.to }),
          ...(q.beforeId !== undefined && { beforeId: q.beforeId }),
          limit: q.limit,
        });
        return { events: page.events.map(eventView), nextBeforeId: page.nextBeforeId };
      },
    );
    app.get(
      '/proposals',
      {
        config: { role: 'viewer' },
        schema: {
          summary: "Open retraining proposals of the monthly review: a champion whose MAPE degraded against its backtest (retrain-proposal events of current champions, not acknowledged)",
          tags: ['monitoring'],
          response: { 200: z.object({ proposals: z.array(EventView) }) },
        },
      },
      async () => ({ proposals: (await proposals.open()).map(eventView) }),
    );
  };
