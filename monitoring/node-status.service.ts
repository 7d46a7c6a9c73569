import { GridcastError } from '../core/errors.ts';
import { HORIZONS } from '../core/config.ts';
import { timeInZone } from '../core/time-input.ts';
import type { MonitoringEvent } from '../core/events.ts';
import type { NodeStatusRepository } from '../store/node-status.repository.ts';
import { NODE_STATUSES, nodeStatuses, type HorizonView, type NodeStatus, type NodeStatusView, type RunFallback, type StatusNode } from './node-status.ts';

const H = 3_600_000;
export const DEFAULT_WINDOW_HOURS = 24;
export const MAX_WINDOW_HOURS = 168;

export interface NodeStatusRequest {
  /** As typed: an instant with its offset or a date (local midnight of the store's zone). Default: now. */
  asOf?: string;
  windowHours?: number;
  /** Only nodes whose headline status is one of these (all counted in `counts` still). */
  statuses?: NodeStatus[];
}

export interface NodeStatusReport {
  asOf: Date;
  window: { from: Date; to: Date; hours: number };
  horizons: HorizonView[];
  /** The day-ahead run the MAPE of each node is taken from. */
  dayAheadRun: { id: number; windowStart: Date; windowEnd: Date } | null;
  /** Nodes per headline status, over every node. */
  counts: Record<NodeStatus, number>;
  nodes: NodeStatusView[];
}

export interface NodeStatusReader {
  overview(q: NodeStatusRequest): Promise<NodeStatusReport>;
}

/**
 * The node status overview (monitoring/node-status.ts holds the rules) from the store: the
 * topology, the data of the last `windowHours` complete hours before asOf, the latest run of each
 * horizon and its fallbacks, open ruptures, deadline alarms and the latest scored day-ahead run.
 * asOf looks back in time over what is stored now: runs issued and events raised after it are
 * left out, data received after it is not.
 */
export function createNodeStatusReader(deps: {
  store: Pick<NodeStatusRepository, 'dataHealth' | 'lastSeen' | 'latestRuns' | 'runFallbacks' | 'openRuptures' | 'latestDeadlineAlarms' | 'dayAheadMape'>;
  nodes: () => Promise<StatusNode[]>;
  /** Of these event ids, those acknowledged (absent: nothing is reported acknowledged). */
  acknowledged?: (eventIds: number[]) => Promise<Set<number>>;
  timeZone: string;
  now?: () => Date;
  /**
   * A report is reused for this long by identical requests (default 0: never); requests arriving
   * while one is computed share it. A server set it so that dashboards polling together cost one computation.
   */
  reuseMs?: number;
}): NodeStatusReader {
  const now = deps.now ?? (() => new Date());
  // Stored runs never change: the fallbacks of the latest runs are read once per run.
  const fallbacksOf = new Map<number, RunFallback[]>();
  const reports = new Map<string, { until: number; report: Promise<NodeStatusReport> }>();

  async function runFallbacks(runIds: number[]): Promise<RunFallback[]> {
    const missing = runIds.filter((id) => !fallbacksOf.has(id));
    if (missing.length) {
      const read = await deps.store.runFallbacks(missing);
      for (const id of missing) fallbacksOf.set(id, read.filter((f) => f.runId === id));
    }
    for (const id of fallbacksOf.keys()) if (!runIds.includes(id)) fallbacksOf.delete(id);
    return runIds.flatMap((id) => fallbacksOf.get(id) ?? []);
  }

  async function compute(asOf: Date, hours: number): Promise<NodeStatusReport> {
    // Complete hours only: the hour in progress is still filling.
    const to = new Date(Math.floor(asOf.getTime() / H) * H);
    const from = new Date(to.getTime() - hours * H);
    const [nodes, health, runs, ruptures, alarms, dayAhead] = await Promise.all([
      deps.nodes(),
      deps.store.dataHealth(from, to),
      deps.store.latestRuns(asOf),
      deps.store.openRuptures(asOf),
      deps.store.latestDeadlineAlarms(asOf),
      deps.store.dayAheadMape(asOf),
    ]);
    const latestIds = runs.flatMap((r) => (r.latest ? [r.latest.id] : []));
    const short = new Set(health.filter((h) => h.hoursWithData < hours).map((h) => h.seriesId));
    const withData = new Set(health.map((h) => h.seriesId));
    const hasChildren = new Set(nodes.flatMap((n) => (n.parent ? [n.parent] : [])));
    // Last seen: for the nodes the data rule reads that lack hours (leaves without data in the window included).
    const unseen = nodes.filter((n) => n.kind !== 'weather' && (short.has(n.id) || (!withData.has(n.id) && !hasChildren.has(n.id)))).map((n) => n.id);
    const [fallbacks, lastSeen] = await Promise.all([
      runFallbacks(latestIds),
      unseen.length ? deps.store.lastSeen(unseen, to) : Promise.resolve(new Map<string, Date | null>()),
    ]);
    const eventIds = [...ruptures, ...alarms.values()].map((e: MonitoringEvent) => e.id);
    const acknowledged = deps.acknowledged && eventIds.length ? await deps.acknowledged(eventIds) : new Set<number>();
    const result = nodeStatuses({
      asOf,
      window: { from, to, hours },
      nodes,
      health,
      lastSeen,
      horizons: runs.map((r) => ({ horizon: r.horizon, latest: r.latest && { ...r.latest, horizon: r.horizon }, latestOnTime: r.latestOnTime, latestAlarm: alarms.get(r.horizon) ?? null })),
      fallbacks,
      ruptures,
      dayAhead: dayAhead && { runId: dayAhead.runId, windowStart: dayAhead.windowStart, windowEnd: dayAhead.windowEnd, bySeries: new Map(dayAhead.rows.map((r) => [r.seriesId, { mape: r.mape, n: r.n }])) },
      acknowledged,
    });
    const counts = Object.fromEntries(NODE_STATUSES.map((s) => [s, 0])) as Record<NodeStatus, number>;
    for (const n of result.nodes) counts[n.status]++;
    return {
      asOf,
      window: { from, to, hours },
      horizons: HORIZONS.map((h) => result.horizons.find((x) => x.horizon === h)!),
      dayAheadRun: dayAhead && { id: dayAhead.runId, windowStart: dayAhead.windowStart, windowEnd: dayAhead.windowEnd },
      counts,
      nodes: result.nodes,
    };
  }

  return {
    async overview(q) {
      const hours = q.windowHours ?? DEFAULT_WINDOW_HOURS;
      if (!Number.isInteger(hours) || hours < 1 || hours > MAX_WINDOW_HOURS) {
        throw new GridcastError('REQUEST_INVALID', `windowHours must be a whole number of hours from 1 to ${MAX_WINDOW_HOURS}, not ${hours}.`, { windowHours: hours });
      }
      const given = q.asOf === undefined ? null : timeInZone(q.asOf, deps.timeZone, 'asOf');
      const key = `${given?.getTime() ?? 'now'}/${hours}`;
      const t = Date.now();
      for (const [k, r] of reports) if (r.until <= t) reports.delete(k);
      let entry = reports.get(key);
      if (!entry) {
        entry = { until: Infinity, report: compute(given ?? now(), hours) };
        reports.set(key, entry);
        const settled = () => {
          entry!.until = Date.now() + (deps.reuseMs ?? 0);
          if (!deps.reuseMs) reports.delete(key);
        };
        entry.report.then(settled, () => reports.delete(key));
      }
      const report = await entry.report;
      const wanted = q.statuses?.length ? new Set(q.statuses) : null;
      return wanted ? { ...report, nodes: report.nodes.filter((n) => wanted.has(n.status)) } : report;
    },
  };
}
