import { z } from 'zod';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { ACKNOWLEDGEABLE, EVENT_KINDS, EVENT_SEVERITIES, type Acknowledgement, type EventKind, type MonitoringEvent } from '../../../core/events.ts';
import type { EventReader } from '../../../monitoring/events.service.ts';
import type { AlarmAcknowledger } from '../../../monitoring/acknowledgement.service.ts';
import { actorOf } from './registry.ts';
import type { ProposalReader } from '../../../monitoring/proposals.service.ts';
import { MAX_LIMIT } from '../../paging.ts';
import { problemResponses } from '../../openapi.ts';

export const AcknowledgementView = z.object({
  id: z.number().describe('The alarm-acknowledged event that records it.'),
  at: z.string(),
  by: z.string().describe('The API key that acknowledged it (apikey:NAME).'),
  comment: z.string().nullable(),
});

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
  acknowledged: z.boolean().nullable().describe('Warnings and alarms: whether someone acknowledged it (POST /events/{id}/ack); null for info events, which ask nothing of anyone.'),
  acknowledgement: AcknowledgementView.nullable(),
});
export type EventView = z.infer<typeof EventView>;

const ackView = (a: Acknowledgement) => ({ id: a.id, at: a.at.toISOString(), by: a.by, comment: a.comment });

/** An event as the API shows it; `acknowledgement` undefined: not looked up, so none (an open proposal). */
export const eventView = (e: MonitoringEvent & { acknowledgement?: Acknowledgement | null }): EventView => ({
  id: e.id,
  at: e.at.toISOString(),
  kind: e.kind,
  severity: e.severity,
  seriesId: e.seriesId,
  modelVersion: e.modelVersion,
  runId: e.runId,
  detail: e.detail,
  recordedAt: e.recordedAt.toISOString(),
  acknowledged: ACKNOWLEDGEABLE.includes(e.severity) ? Boolean(e.acknowledgement) : null,
  acknowledgement: e.acknowledgement ? ackView(e.acknowledgement) : null,
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
  acknowledged: z.enum(['true', 'false']).transform((v) => v === 'true').optional()
    .describe('true: only the events someone acknowledged; false: only the warnings and alarms nobody acknowledged yet (info events are never listed then).'),
});

/** GET /events: the monitoring event log, newest first; GET /proposals: the open retraining proposals. */
export const eventsRoutes = (events: EventReader, proposals: ProposalReader): FastifyPluginAsyncZod =>
  async function eventsV1(app) {
    app.get(
      '/events',
      {
        config: { role: 'viewer' },
        schema: {
          summary: 'The event log: ruptures, fallback switches, drift, deadline alarms, retraining proposals, promotions and rollbacks, newest first, with their acknowledgements',
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
          ...(q.acknowledged !== undefined && { acknowledged: q.acknowledged }),
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

const AckParams = z.object({ id: z.coerce.number().int().positive().describe('The event id (GET /events).') });
const AckBody = z
  .object({ comment: z.string().max(2000).optional().describe('Why, what was done (at most 2000 characters); kept with the acknowledgement.') })
  .strict()
  // Without a body (no comment) fastify hands the validator null.
  .nullish();
const AckAnswer = z.object({
  event: EventView,
  acknowledgement: AcknowledgementView,
  alreadyAcknowledged: z.boolean().describe('true: the event had been acknowledged before; that acknowledgement stands and this request recorded nothing (its comment included).'),
});

/** POST /events/{id}/ack: a person acknowledges a warning or alarm (operator or admin), once per event. */
export const eventAckRoutes = (acknowledger: AlarmAcknowledger): FastifyPluginAsyncZod =>
  async function eventAckV1(app) {
    app.post(
      '/events/:id/ack',
      {
        config: { role: 'operator' },
        schema: {
          summary: 'Acknowledge a warning or alarm: appends an alarm-acknowledged event (once per event), audited',
          description:
            'The event log stays append-only: the acknowledgement is an `alarm-acknowledged` event naming the event (detail.eventId), with who (the API key) and the comment. ' +
            'Acknowledging is idempotent: a second acknowledgement of the same event answers 200 with the first one and `alreadyAcknowledged: true`, and records nothing. ' +
            'It changes no state (a rupture stays open until its series returns to its model); an open retraining proposal acknowledged is closed. Roles: operator, admin.',
          tags: ['monitoring'],
          params: AckParams,
          body: AckBody,
          response: {
            201: AckAnswer.describe('Acknowledged now.'),
            200: AckAnswer.describe('Acknowledged before: the first acknowledgement, unchanged.'),
            ...problemResponses({
              404: 'No event has this id (EVENT_NOT_FOUND)',
              422: 'An info event: only warnings and alarms are acknowledged (EVENT_NOT_ACKNOWLEDGEABLE)',
            }),
          },
        },
      },
      async (req, reply) => {
        const out = await acknowledger.acknowledge({ eventId: req.params.id, by: actorOf(req), ...(req.body?.comment !== undefined && { comment: req.body.comment }) });
        reply.code(out.created ? 201 : 200);
        return { event: eventView(out.event), acknowledgement: ackView(out.acknowledgement), alreadyAcknowledged: !out.created };
      },
    );
  };
