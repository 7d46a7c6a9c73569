import { z } from 'zod';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { HORIZONS } from '../../../core/config.ts';
import { NODE_STATUSES, REASON_CODES, type NodeStatus, type StatusReason } from '../../../monitoring/node-status.ts';
import { DEFAULT_WINDOW_HOURS, MAX_WINDOW_HOURS, type NodeStatusReader, type NodeStatusReport } from '../../../monitoring/node-status.service.ts';
import { problemResponses } from '../../openapi.ts';

const Status = z.enum(NODE_STATUSES);

const Statuses = z
  .string()
  .transform((s, ctx) => {
    const list = s.split(',').map((k) => k.trim()).filter(Boolean);
    const unknown = list.filter((k) => !(NODE_STATUSES as readonly string[]).includes(k));
    if (unknown.length) ctx.addIssue({ code: 'custom', message: `unknown status ${unknown.join(', ')}; the statuses are ${NODE_STATUSES.join(', ')}` });
    return list as NodeStatus[];
  })
  .describe(`Comma-separated headline statuses (${NODE_STATUSES.join(', ')}): only the nodes with one of them are listed; counts still cover every node.`);

export const StatusReasonView = z.object({
  status: Status.exclude(['ok']),
  code: z.enum(REASON_CODES).describe(
    'open-rupture (rupture); run-late, deadline-missed, issued-after-deadline (late-run); fallback-in-run (fallback); ' +
      'data-missing, data-incomplete, data-imputed, data-suspect, children-partial (partial-data).',
  ),
  message: z.string(),
  horizon: z.enum(HORIZONS).nullable(),
  runId: z.number().nullable(),
  eventId: z.number().nullable().describe('The event behind the reason (GET /events): a rupture, a deadline alarm.'),
  acknowledged: z.boolean().nullable().describe('Whether that event was acknowledged (POST /events/{id}/ack); null without an event.'),
  since: z.string().nullable().describe('Since when it holds, when known: the rupture, the late tick, the last point seen.'),
  details: z.record(z.string(), z.unknown()).describe('Counts of hours, the fallback reason, the series listed…, by code.'),
});

const RunIds = z.object(Object.fromEntries(HORIZONS.map((h) => [h, z.number().nullable()])) as Record<(typeof HORIZONS)[number], z.ZodNullable<z.ZodNumber>>);

export const NodeStatusView = z.object({
  id: z.string(),
  parent: z.string().nullable(),
  name: z.string().nullable(),
  status: Status.describe('The headline: the first of `statuses` in the order rupture, late-run, fallback, partial-data; ok when none holds.'),
  statuses: z.array(Status).describe('Every status whose rule holds, worst first.'),
  reasons: z.array(StatusReasonView).describe('Why, worst first: one entry per rupture, late horizon, fallback run and kind of data problem.'),
  worstBelow: Status.nullable().describe('The worst headline status among the descendants (to flag a collapsed tree node); null for a node without children.'),
  dayAheadMape: z
    .object({ mape: z.number().nullable().describe('%; null when every scored actual was near zero.'), n: z.number().describe('Hourly values in the MAPE.') })
    .nullable()
    .describe("MAPE of the node's hourly values in `dayAheadRun` (latest truth version of each); null when none of them is scored."),
  runs: RunIds.describe("Each horizon's latest run id (the run GET /forecasts/latest serves) when it covers the node, else null."),
});

const RunView = z.object({
  id: z.number(),
  issuedAt: z.string(),
  origin: z.string(),
  scheduledAt: z.string().nullable(),
  deadline: z.string().nullable(),
  deadlineFallback: z.string().nullable().describe('A fallback published by the deadline policy instead of the model run: its reason.'),
});

export const NodeStatusQuery = z.object({
  asOf: z.string().optional().describe('Look back: the status at this time (an instant with its offset, or a date: local midnight of the store zone); runs issued and events raised later are left out, data received later is not. Default: now.'),
  windowHours: z.coerce.number().int().min(1).max(MAX_WINDOW_HOURS).default(DEFAULT_WINDOW_HOURS).describe(`The recent window of the data rule: the last N complete hours before asOf (default ${DEFAULT_WINDOW_HOURS}, at most ${MAX_WINDOW_HOURS}).`),
  status: Statuses.optional(),
});

const RULES = [
  'Statuses and their rules (a node has every status whose rule holds; its headline is the worst, in this order):',
  '**rupture** — the series has an open rupture: its latest `rupture` event was not followed by a `fallback-off` of the series.',
  "**late-run** — a horizon whose latest run covers the node is late: its newest deadline alarm (`run-late`, `deadline-missed`) was not followed by a model run (not a deadline fallback) issued by its deadline for that tick or a later one, or its latest run was issued after its deadline. A late horizon that has no run at all makes every node of the hierarchy late.",
  '**fallback** — a value of the node in the latest run of a horizon carries a fallback reason (rupture, deadline, failed or too short a model, weather-free companion…).',
  "**partial-data** — over the last `windowHours` complete hours, the node's own data (measurements, or the best version of its metering intervals) has hours without any point, hours with fewer points than expected (3600 / attrs.stepSec when declared, else the median count of its hours in the window; metering intervals not covering the hour), or hours whose worst point is imputed or suspect. Nodes with children and no data of their own in the window (roll-ups) have partial data when one of their leaves has.",
  '**ok** — none of these.',
  "The day-ahead MAPE comes from the latest published day-ahead run (by origin) whose window has ended and that has scores (`dayAheadRun`, the same for every node): yesterday's day-ahead forecast once scored.",
  'Weather stations are not listed.',
].join('\n\n');

const iso = (d: Date | null) => (d === null ? null : d.toISOString());
const reasonView = (r: StatusReason & { acknowledged?: boolean | null }) => ({
  status: r.status, code: r.code, message: r.message, horizon: r.horizon, runId: r.runId, eventId: r.eventId,
  acknowledged: r.acknowledged ?? null, since: iso(r.since), details: r.details,
});

export const nodeStatusView = (r: NodeStatusReport) => ({
  asOf: r.asOf.toISOString(),
  window: { from: r.window.from.toISOString(), to: r.window.to.toISOString(), hours: r.window.hours },
  horizons: r.horizons.map((h) => ({
    horizon: h.horizon,
    latestRun: h.latestRun && {
      id: h.latestRun.id, issuedAt: h.latestRun.issuedAt.toISOString(), origin: h.latestRun.origin.toISOString(),
      scheduledAt: iso(h.latestRun.scheduledAt), deadline: iso(h.latestRun.deadline), deadlineFallback: h.latestRun.deadlineFallback,
    },
    late: h.late,
    reasons: h.reasons.map(reasonView),
  })),
  dayAheadRun: r.dayAheadRun && { id: r.dayAheadRun.id, windowStart: r.dayAheadRun.windowStart.toISOString(), windowEnd: r.dayAheadRun.windowEnd.toISOString() },
  counts: r.counts,
  nodes: r.nodes.map((n) => ({ ...n, reasons: n.reasons.map(reasonView) })),
});

/** GET /node-status: the status of every node of the hierarchy, for the dashboard's overview. */
export const nodeStatusRoutes = (reader: NodeStatusReader): FastifyPluginAsyncZod =>
  async function nodeStatusV1(app) {
    app.get(
      '/node-status',
      {
        config: { role: 'viewer' },
        schema: {
          summary: 'The status of every node: ok, partial data, fallback, rupture or late run, with reasons, its latest day-ahead MAPE and latest run per horizon',
          description: RULES,
          tags: ['monitoring'],
          querystring: NodeStatusQuery,
          response: {
            200: z.object({
              asOf: z.string(),
              window: z.object({ from: z.string(), to: z.string(), hours: z.number() }).describe('The data window [from, to): whole hours.'),
              horizons: z.array(z.object({
                horizon: z.enum(HORIZONS),
                latestRun: RunView.nullable().describe('The latest succeeded published run (what GET /forecasts/latest serves); null when none.'),
                late: z.boolean(),
                reasons: z.array(StatusReasonView),
              })).describe('Every horizon, with its latest run and whether it is late.'),
              dayAheadRun: z.object({ id: z.number(), windowStart: z.string(), windowEnd: z.string() }).nullable().describe('The run of the day-ahead MAPE; null when no ended day-ahead run is scored.'),
              counts: z.object(Object.fromEntries(NODE_STATUSES.map((s) => [s, z.number()])) as Record<NodeStatus, z.ZodNumber>).describe('Nodes per headline status, over every node (before the status filter).'),
              nodes: z.array(NodeStatusView).describe('Every node but weather stations, by id.'),
            }),
            ...problemResponses({ 400: 'An unreadable asOf, windowHours out of range or an unknown status (TS_INVALID, TS_NO_OFFSET, REQUEST_INVALID)' }),
          },
        },
      },
      async (req) => {
        const q = req.query;
        return nodeStatusView(await reader.overview({
          windowHours: q.windowHours,
          ...(q.asOf !== undefined && { asOf: q.asOf }),
          ...(q.status && { statuses: q.status }),
        }));
      },
    );
  };
