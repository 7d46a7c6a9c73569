import { HORIZONS, type Horizon } from '../core/config.ts';
import type { MonitoringEvent } from '../core/events.ts';

/**
 * The status of every node of the hierarchy at a glance (REQUIREMENTS E3: the overview of the
 * operator dashboard). Pure: what the store holds goes in (node-status.service.ts reads it with a
 * few set-based queries), statuses with their reasons come out.
 *
 * A node has every status whose rule holds and, as its headline `status`, the first of them in
 * NODE_STATUSES order (worst first); `ok` when none holds.
 */
export const NODE_STATUSES = ['rupture', 'late-run', 'fallback', 'partial-data', 'ok'] as const;
export type NodeStatus = (typeof NODE_STATUSES)[number];

const RANK = new Map<NodeStatus, number>(NODE_STATUSES.map((s, i) => [s, i]));
/** The worse of two statuses (NODE_STATUSES order). */
export const worseStatus = (a: NodeStatus, b: NodeStatus): NodeStatus => (RANK.get(a)! <= RANK.get(b)! ? a : b);

export const REASON_CODES = [
  'open-rupture',
  'run-late',
  'deadline-missed',
  'issued-after-deadline',
  'fallback-in-run',
  'data-missing',
  'data-incomplete',
  'data-imputed',
  'data-suspect',
  'children-partial',
] as const;
export type ReasonCode = (typeof REASON_CODES)[number];

export interface StatusReason {
  status: Exclude<NodeStatus, 'ok'>;
  code: ReasonCode;
  /** One sentence an operator can read. */
  message: string;
  horizon: Horizon | null;
  runId: number | null;
  /** The event behind the reason (a rupture, a deadline alarm). */
  eventId: number | null;
  /** Since when it holds, when known (the rupture, the late tick, the last point seen). */
  since: Date | null;
  details: Record<string, unknown>;
}

/** A node as the overview needs it (the stored topology). */
export interface StatusNode {
  id: string;
  parent: string | null;
  name: string | null;
  kind: 'load' | 'generation' | 'flow' | 'weather';
  derived: boolean;
}

/**
 * A series' own data over the window (hourly buckets of measurements and metering): the hours
 * holding at least one point, those whose worst point is imputed or suspect, metering hours its
 * intervals do not cover, and the point count of each measured hour. Series without any point in
 * the window are absent.
 */
export interface SeriesDataHealth {
  seriesId: string;
  hoursWithData: number;
  imputedHours: number;
  suspectHours: number;
  shortMeteredHours: number;
  /** 3600 / attrs.stepSec when the topology declares the series' cadence. */
  declaredPerHour: number | null;
  /** Points in each measured hour holding any. */
  counts: number[];
}

/**
 * Points a measured hour should hold: the declared cadence's, else the median count of the
 * window's hours (the lower one of an even number), so a feed that usually sends 360 points an
 * hour shows an hour of 300 as incomplete whatever its cadence.
 */
export function expectedPerHour(h: Pick<SeriesDataHealth, 'declaredPerHour' | 'counts'>): number | null {
  if (h.declaredPerHour !== null) return h.declaredPerHour;
  if (h.counts.length === 0) return null;
  const sorted = [...h.counts].sort((a, b) => a - b);
  return sorted[Math.ceil(sorted.length / 2) - 1];
}

/** The latest succeeded published run of a horizon (what GET /forecasts/latest serves). */
export interface StatusRun {
  id: number;
  horizon: Horizon;
  issuedAt: Date;
  origin: Date;
  scheduledAt: Date | null;
  deadline: Date | null;
  /** A deadline fallback run (settings.fallbackReason): every value of it is a labelled fallback. */
  deadlineFallback: string | null;
  /** The nodes it covers. */
  seriesIds: string[];
}

/** The latest model run (not a deadline fallback) of a horizon that was issued by its deadline, or had none. */
export interface OnTimeRun {
  id: number;
  scheduledAt: Date | null;
  issuedAt: Date;
}

export interface HorizonState {
  horizon: Horizon;
  latest: StatusRun | null;
  latestOnTime: OnTimeRun | null;
  /** The newest `run-late` or `deadline-missed` event naming the horizon (detail.horizon). */
  latestAlarm: MonitoringEvent | null;
}

export interface RunFallback {
  runId: number;
  seriesId: string;
  model: string;
  fallbackReason: string;
}

export interface DayAheadScore {
  runId: number;
  windowStart: Date;
  windowEnd: Date;
  bySeries: Map<string, { mape: number | null; n: number }>;
}

export interface NodeStatusInput {
  asOf: Date;
  window: { from: Date; to: Date; hours: number };
  nodes: StatusNode[];
  health: SeriesDataHealth[];
  /** When each series in `health` short of the window's hours was last seen (any point, before the window's end). */
  lastSeen: Map<string, Date | null>;
  horizons: HorizonState[];
  fallbacks: RunFallback[];
  /** Open ruptures: per series, its latest `rupture` event when no `fallback-off` event of the series followed it. */
  ruptures: MonitoringEvent[];
  dayAhead: DayAheadScore | null;
  /** Ids of events acknowledged (POST /events/{id}/ack); reasons naming them say so. */
  acknowledged?: ReadonlySet<number>;
}

export interface NodeStatusView {
  id: string;
  parent: string | null;
  name: string | null;
  status: NodeStatus;
  statuses: NodeStatus[];
  reasons: Array<StatusReason & { acknowledged: boolean | null }>;
  /** The worst headline status among the node's descendants; null for a node without children. */
  worstBelow: NodeStatus | null;
  /** MAPE (%) of the node's hourly values in the day-ahead run of `dayAhead`; null when it has no scored value there. */
  dayAheadMape: { mape: number | null; n: number } | null;
  /** The id of each horizon's latest run when it covers the node, else null. */
  runs: Record<Horizon, number | null>;
}

export interface HorizonView {
  horizon: Horizon;
  latestRun: StatusRun | null;
  late: boolean;
  reasons: Array<StatusReason & { acknowledged: boolean | null }>;
}

/** How many ids a reason lists before it only counts them. */
const LISTED = 10;

const reason = (r: Omit<StatusReason, 'horizon' | 'runId' | 'eventId' | 'since' | 'details'> & Partial<StatusReason>): StatusReason => ({
  horizon: null, runId: null, eventId: null, since: null, details: {}, ...r,
});

/**
 * Whether a horizon is late, and why:
 *  - its newest deadline alarm (`run-late`, `deadline-missed`) was not followed by a model run
 *    issued on time: no run that is not a deadline fallback, issued by its deadline (or without
 *    one: a run made by hand), for a tick at or after the alarm's (scheduled_at, else issued_at,
 *    at or after the alarm's detail.scheduledAt);
 *  - or its latest run was issued after its deadline.
 */
export function horizonLateness(h: HorizonState): StatusReason[] {
  const out: StatusReason[] = [];
  const alarm = h.latestAlarm;
  if (alarm) {
    const tick = typeof alarm.detail.scheduledAt === 'string' ? new Date(alarm.detail.scheduledAt) : alarm.at;
    const onTime = h.latestOnTime;
    const cleared = onTime !== null && (onTime.scheduledAt ?? onTime.issuedAt).getTime() >= tick.getTime();
    if (!cleared) {
      const why = typeof alarm.detail.reason === 'string' ? ` (${alarm.detail.reason})` : '';
      out.push(reason({
        status: 'late-run',
        code: alarm.kind === 'deadline-missed' ? 'deadline-missed' : 'run-late',
        message: alarm.kind === 'deadline-missed'
          ? `The ${h.horizon} run of ${tick.toISOString()} missed its deadline${why}; no model run was published on time since.`
          : `The ${h.horizon} model run of ${tick.toISOString()} was late${why}; no model run was published on time since.`,
        horizon: h.horizon,
        runId: alarm.runId,
        eventId: alarm.id,
        since: tick,
        details: { ...(alarm.detail.deadline !== undefined && { deadline: alarm.detail.deadline }), ...(alarm.detail.reason !== undefined && { reason: alarm.detail.reason }) },
      }));
    }
  }
  const run = h.latest;
  if (run?.deadline && run.issuedAt.getTime() > run.deadline.getTime()) {
    out.push(reason({
      status: 'late-run',
      code: 'issued-after-deadline',
      message: `The latest ${h.horizon} run ${run.id} was issued at ${run.issuedAt.toISOString()}, after its deadline ${run.deadline.toISOString()}.`,
      horizon: h.horizon,
      runId: run.id,
      since: run.deadline,
      details: { issuedAt: run.issuedAt.toISOString(), deadline: run.deadline.toISOString() },
    }));
  }
  return out;
}

/** The data reasons of a series with data of its own (or a leaf), over a window of `hours` hours. */
function dataReasons(h: SeriesDataHealth | undefined, hours: number, lastSeen: Date | null | undefined): StatusReason[] {
  const out: StatusReason[] = [];
  const withData = h?.hoursWithData ?? 0;
  if (withData < hours) {
    const seen = lastSeen ? `; last point ${lastSeen.toISOString()}` : lastSeen === null ? '; no point ever' : '';
    out.push(reason({
      status: 'partial-data', code: 'data-missing',
      message: `${hours - withData} of the last ${hours} hours have no data${seen}.`,
      since: lastSeen ?? null,
      details: { hours: hours - withData, windowHours: hours, lastSeen: lastSeen?.toISOString() ?? null },
    }));
  }
  const expected = h ? expectedPerHour(h) : null;
  const fewer = h && expected !== null ? h.counts.filter((n) => n < expected).length : 0;
  const short = h?.shortMeteredHours ?? 0;
  if (fewer + short > 0) {
    const why = [fewer ? `${fewer} with fewer than the ${expected} points expected` : '', short ? `${short} not covered by their metering intervals` : ''].filter(Boolean);
    out.push(reason({
      status: 'partial-data', code: 'data-incomplete',
      message: `${fewer + short} of the last ${hours} hours are incomplete: ${why.join(', ')}.`,
      details: { hours: fewer + short, windowHours: hours, expectedPerHour: expected, fewerPoints: fewer, meteringShort: short },
    }));
  }
  if (h && h.imputedHours > 0) {
    out.push(reason({
      status: 'partial-data', code: 'data-imputed',
      message: `${h.imputedHours} of the last ${hours} hours hold imputed values.`,
      details: { hours: h.imputedHours, windowHours: hours },
    }));
  }
  if (h && h.suspectHours > 0) {
    out.push(reason({
      status: 'partial-data', code: 'data-suspect',
      message: `${h.suspectHours} of the last ${hours} hours hold suspect values.`,
      details: { hours: h.suspectHours, windowHours: hours },
    }));
  }
  return out;
}

/**
 * The status of every node that is not a weather station, in the order of `nodes`.
 *
 * - rupture: an open rupture of the series (its latest `rupture` event not followed by a
 *   `fallback-off` of the series).
 * - late-run: a horizon whose latest run covers the node is late (horizonLateness); a late
 *   horizon without any run makes every node late.
 * - fallback: a value of the node in the latest run of a horizon carries a fallback reason (a
 *   rupture or deadline fallback, a failed or too-short model, a weather-free companion…).
 * - partial-data: over the window, a node with data of its own in it, or a leaf, has hours
 *   without any point, with fewer points than expected, or whose worst point is imputed or
 *   suspect; a node with children and no data of its own in the window (a roll-up) has partial
 *   data when one of its leaves has.
 */
export function nodeStatuses(input: NodeStatusInput): { nodes: NodeStatusView[]; horizons: HorizonView[] } {
  const acked = input.acknowledged ?? new Set<number>();
  const nodes = input.nodes.filter((n) => n.kind !== 'weather');
  const ids = new Set(nodes.map((n) => n.id));
  const children = new Map<string, string[]>();
  for (const n of nodes) {
    if (n.parent === null || !ids.has(n.parent)) continue;
    const kids = children.get(n.parent);
    if (kids) kids.push(n.id);
    else children.set(n.parent, [n.id]);
  }

  const ackOf = (r: StatusReason) => ({ ...r, acknowledged: r.eventId === null ? null : acked.has(r.eventId) });
  const reasons = new Map<string, StatusReason[]>(nodes.map((n) => [n.id, []]));
  const add = (id: string, r: StatusReason) => reasons.get(id)?.push(r);

  for (const e of input.ruptures) {
    if (!e.seriesId) continue;
    const why = typeof e.detail.reason === 'string' ? ` (${e.detail.reason})` : '';
    add(e.seriesId, reason({
      status: 'rupture', code: 'open-rupture',
      message: `Rupture detected at ${e.at.toISOString()}${why}${e.modelVersion ? ` on ${e.modelVersion}` : ''}; the series is on a fallback until it returns to its model.`,
      eventId: e.id, runId: e.runId, since: e.at,
      details: { modelVersion: e.modelVersion, ...pick(e.detail, ['ruptureAt', 'shift', 'side', 'reason']) },
    }));
  }

  const coverage = new Map(input.horizons.filter((h) => h.latest).map((h) => [h.horizon, new Set(h.latest!.seriesIds)]));
  const horizons: HorizonView[] = input.horizons.map((h) => {
    const late = horizonLateness(h);
    const covered = h.latest ? h.latest.seriesIds : nodes.filter((n) => !n.derived).map((n) => n.id);
    for (const r of late) for (const id of covered) add(id, r);
    return { horizon: h.horizon, latestRun: h.latest, late: late.length > 0, reasons: late.map(ackOf) };
  });

  const horizonOf = new Map(input.horizons.filter((h) => h.latest).map((h) => [h.latest!.id, h.horizon]));
  for (const f of input.fallbacks) {
    const horizon = horizonOf.get(f.runId) ?? null;
    add(f.seriesId, reason({
      status: 'fallback', code: 'fallback-in-run',
      message: `In the latest ${horizon ?? ''} run ${f.runId} the series is forecast by ${f.model}: ${f.fallbackReason}.`.replace('  ', ' '),
      horizon, runId: f.runId,
      details: { model: f.model, fallbackReason: f.fallbackReason },
    }));
  }

  // Data: leaves and nodes with data of their own, then roll-ups from their leaves, children before parents.
  const health = new Map(input.health.map((h) => [h.seriesId, h]));
  for (const n of nodes) {
    if (!health.has(n.id) && children.has(n.id)) continue;
    for (const r of dataReasons(health.get(n.id), input.window.hours, input.lastSeen.get(n.id))) add(n.id, r);
  }
  const order: string[] = nodes.filter((n) => n.parent === null || !ids.has(n.parent)).map((n) => n.id);
  for (let i = 0; i < order.length; i++) order.push(...(children.get(order[i]) ?? []));
  const leaves = new Map<string, { count: number; partial: number; first: string[] }>();
  for (const id of order.reverse()) {
    const kids = children.get(id);
    if (!kids) {
      const partial = reasons.get(id)!.some((r) => r.status === 'partial-data');
      leaves.set(id, { count: 1, partial: partial ? 1 : 0, first: partial ? [id] : [] });
      continue;
    }
    const sum = { count: 0, partial: 0, first: [] as string[] };
    for (const k of kids) {
      const l = leaves.get(k)!;
      sum.count += l.count;
      sum.partial += l.partial;
      if (sum.first.length < LISTED) sum.first.push(...l.first.slice(0, LISTED - sum.first.length));
    }
    leaves.set(id, sum);
    if (sum.partial > 0 && !health.has(id)) {
      const more = sum.partial > sum.first.length ? ` and ${sum.partial - sum.first.length} more` : '';
      add(id, reason({
        status: 'partial-data', code: 'children-partial',
        message: `${sum.partial} of its ${sum.count} leaf series have partial data over the last ${input.window.hours} hours: ${sum.first.join(', ')}${more}.`,
        details: { count: sum.partial, leaves: sum.count, series: sum.first },
      }));
    }
  }

  const views = new Map<string, NodeStatusView>();
  for (const n of nodes) {
    const rs = reasons.get(n.id)!;
    const statuses = NODE_STATUSES.filter((s) => s !== 'ok' && rs.some((r) => r.status === s));
    const runs = Object.fromEntries(HORIZONS.map((h) => [h, null])) as Record<Horizon, number | null>;
    for (const h of input.horizons) if (h.latest && coverage.get(h.horizon)!.has(n.id)) runs[h.horizon] = h.latest.id;
    const score = input.dayAhead?.bySeries.get(n.id);
    views.set(n.id, {
      id: n.id,
      parent: n.parent,
      name: n.name,
      status: statuses[0] ?? 'ok',
      statuses: statuses.length ? statuses : ['ok'],
      reasons: rs
        .sort((a, b) => RANK.get(a.status)! - RANK.get(b.status)!)
        .map(ackOf),
      worstBelow: null,
      dayAheadMape: score ?? null,
      runs,
    });
  }
  const worstBelow = (id: string): NodeStatus | null => {
    const kids = children.get(id);
    if (!kids) return null;
    const v = views.get(id)!;
    if (v.worstBelow !== null) return v.worstBelow;
    let worst: NodeStatus = 'ok';
    for (const k of kids) {
      worst = worseStatus(worst, views.get(k)!.status);
      const below = worstBelow(k);
      if (below) worst = worseStatus(worst, below);
    }
    return (v.worstBelow = worst);
  };
  for (const n of nodes) worstBelow(n.id);
  return { nodes: nodes.map((n) => views.get(n.id)!), horizons };
}

const pick = (o: Record<string, unknown>, keys: string[]) => Object.fromEntries(keys.filter((k) => o[k] !== undefined).map((k) => [k, o[k]]));
