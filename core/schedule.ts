import { z } from 'zod';
import type { Knowledge } from './knowledge.ts';
import { checkInstant } from './time-input.ts';

/**
 * Known schedules (A12): a node's planned values as issued by whoever controls the load (a
 * factory's production plan, a dispatchable unit). Every version is kept; the version of an
 * interval is (source, issued_at), and the one in force at a time T is, for each instant, the
 * latest issued at or before T among those received by T.
 */

/** The columns of a schedule file (and the fields of a JSON row), in the documented order. */
export const SCHEDULE_COLUMNS = ['series_id', 'interval_start', 'interval_end', 'ts', 'value', 'unit', 'issued_at', 'source', 'reason', 'p10', 'p90', 'sd', 'received_at'] as const;
export const SCHEDULE_FORMAT = 'series_id,(interval_start,interval_end | ts),value,unit,issued_at,source[,reason][,p10,p90][,sd][,received_at]';

const instant = (what: string) =>
  z.string().transform((text, ctx) => {
    const c = checkInstant(text.trim());
    if (!c.ok) {
      ctx.addIssue({ code: 'custom', message: `${what} '${text}' ${c.problem}` });
      return z.NEVER;
    }
    return new Date(c.ms);
  });
/** A number, or its decimal text (a CSV cell); an empty cell is absent. */
const num = (what: string) =>
  z.union([z.number(), z.string().trim().min(1)]).transform((v, ctx) => {
    const x = typeof v === 'number' ? v : Number(v);
    if (!Number.isFinite(x)) {
      ctx.addIssue({ code: 'custom', message: `${what} '${v}' is not a finite number` });
      return z.NEVER;
    }
    return x;
  });
const blankToUndefined = (v: unknown) => (typeof v === 'string' && v.trim() === '' ? undefined : v);
const opt = <T extends z.ZodType>(t: T) => z.preprocess(blankToUndefined, t.optional());

/** One row as received (CSV cells or JSON fields); `ts` stands for [ts, ts + the series' cadence). */
export const ScheduleRowSchema = z
  .strictObject({
    series_id: z.string().trim().min(1),
    interval_start: opt(instant('interval_start')),
    interval_end: opt(instant('interval_end')),
    ts: opt(instant('ts')),
    value: num('value'),
    unit: z.string().trim().min(1),
    issued_at: instant('issued_at'),
    source: z.string().trim().min(1),
    reason: opt(z.string().trim().max(500)),
    p10: opt(num('p10')),
    p90: opt(num('p90')),
    sd: opt(num('sd')),
    received_at: opt(instant('received_at')),
  })
  .superRefine((r, ctx) => {
    const interval = r.interval_start !== undefined || r.interval_end !== undefined;
    if (interval === (r.ts !== undefined)) ctx.addIssue({ code: 'custom', message: 'give either interval_start and interval_end, or ts (one interval of the series\' cadence)' });
    else if (interval && (r.interval_start === undefined || r.interval_end === undefined)) ctx.addIssue({ code: 'custom', message: 'interval_start and interval_end go together' });
    else if (interval && r.interval_end! <= r.interval_start!) ctx.addIssue({ code: 'custom', message: 'interval_end must be after interval_start' });
    if ((r.p10 === undefined) !== (r.p90 === undefined)) ctx.addIssue({ code: 'custom', message: 'p10 and p90 go together' });
    if (r.p10 !== undefined && r.p90 !== undefined && !(r.p10 <= r.value && r.value <= r.p90)) ctx.addIssue({ code: 'custom', message: `p10 ≤ value ≤ p90 is required (got ${r.p10}, ${r.value}, ${r.p90})` });
    if (r.sd !== undefined && !(r.sd >= 0)) ctx.addIssue({ code: 'custom', message: 'sd must be ≥ 0' });
  });
export type ScheduleRowInput = z.input<typeof ScheduleRowSchema>;
export type ScheduleRow = z.output<typeof ScheduleRowSchema>;

/** A stored schedule interval of one version. Values are in the series' unit. */
export interface ScheduleEntry {
  seriesId: string;
  start: Date;
  end: Date;
  value: number;
  unit: string;
  issuedAt: Date;
  source: string;
  reason: string | null;
  /** Declared uncertainty: p10 and p90 (both or neither), and/or a standard deviation. */
  p10: number | null;
  p90: number | null;
  sd: number | null;
  receivedAt: Date;
  /** On a piece clipped from a longer interval (inForce): the interval as issued (an energy value is prorated over it). */
  issued?: { start: Date; end: Date };
}

/** A version of a node's schedule: who issued it, when. */
export interface ScheduleVersion {
  source: string;
  issuedAt: Date;
}
/** The model label of a forecast value that is a schedule (its model version is the schedule's version, source@issued_at). */
export const SCHEDULE_MODEL = 'schedule';
export const versionLabel = (v: ScheduleVersion) => `${v.source}@${v.issuedAt.toISOString()}`;

/**
 * The pieces of [from, to) each series' schedule covers, each with the entry in force there (clipped
 * to the piece), sorted by series then time. `asOf`: only entries issued and received by then count
 * (`knowledge` 'timestamps', a replay over an imported history: issued by then, whenever received).
 * `planned`: for each instant, only entries issued at or before the start of the piece count — the
 * plan as it stood before the time came (for schedule-vs-actual errors: a revision made after the
 * fact is not the plan).
 */
export function inForce(entries: readonly ScheduleEntry[], from: Date, to: Date, asOf: Date, opts: { planned?: boolean; knowledge?: Knowledge } = {}): ScheduleEntry[] {
  const planned = opts.planned === true;
  const received = opts.knowledge !== 'timestamps';
  const bySeries = new Map<string, ScheduleEntry[]>();
  for (const e of entries) {
    if (e.issuedAt > asOf || (received && e.receivedAt > asOf) || e.end <= from || e.start >= to) continue;
    bySeries.set(e.seriesId, [...(bySeries.get(e.seriesId) ?? []), e]);
  }
  const out: ScheduleEntry[] = [];
  for (const id of [...bySeries.keys()].sort()) {
    // Latest issued first; the same issue time: the latest received, then the source name (a stable order).
    const list = bySeries.get(id)!.sort((x, y) => y.issuedAt.getTime() - x.issuedAt.getTime() || y.receivedAt.getTime() - x.receivedAt.getTime() || (x.source < y.source ? -1 : 1));
    // Planned: an entry counts from its issue time on, so issue times cut pieces too.
    const cuts = [...new Set(list.flatMap((e) => [e.start.getTime(), e.end.getTime(), ...(planned ? [e.issuedAt.getTime()] : [])]).concat([from.getTime(), to.getTime()]))]
      .filter((t) => t >= from.getTime() && t <= to.getTime())
      .sort((x, y) => x - y);
    for (let k = 0; k + 1 < cuts.length; k++) {
      const [lo, hi] = [cuts[k], cuts[k + 1]];
      const e = list.find((c) => c.start.getTime() <= lo && c.end.getTime() >= hi && (!planned || c.issuedAt.getTime() <= lo));
      if (!e) continue;
      const prev = out[out.length - 1];
      // Adjacent pieces of one entry stay one piece.
      if (prev && prev.seriesId === id && prev.end.getTime() === lo && sameEntry(prev, e)) prev.end = new Date(hi);
      else out.push({ ...e, start: new Date(lo), end: new Date(hi), issued: e.issued ?? { start: e.start, end: e.end } });
    }
  }
  return out;
}

const sameEntry = (a: ScheduleEntry, b: ScheduleEntry) =>
  a.issuedAt.getTime() === b.issuedAt.getTime() && a.source === b.source && a.value === b.value && a.p10 === b.p10 && a.p90 === b.p90 && a.sd === b.sd && a.reason === b.reason;
