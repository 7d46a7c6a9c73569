import { z } from 'zod';

/**
 * Planned changes (REQUIREMENTS A12, issue 14): what another actor plans and announces, taken as
 * an input instead of learnt. Here: planned transfers of load between nodes (switching for works).
 * Schedules of planned consumption plug into the same PlannedChangeSource (monitoring/schedule-plans.ts).
 */

const Iso = z.iso.datetime({ offset: true });

export const TRANSFER_STATUSES = ['planned', 'cancelled'] as const;

/**
 * One version of a planned transfer as a source sends it (CSV row or API body item). A share, not
 * a MW amount: switching moves a feeder, and a feeder's load follows the substation's daily and
 * weekly shape, so a share of the from-node's load is what moves at every hour.
 */
export const TransferInputSchema = z
  .strictObject({
    /** The plan's identifier at its source (a switching order number): a later issue of the same (source, ref) is its next version. */
    ref: z.string().trim().min(1).max(200),
    source: z.string().trim().min(1).max(200),
    from_node: z.string().min(1),
    to_node: z.string().min(1),
    start: Iso,
    end: Iso,
    /** Share of the from-node's own (no-transfer) load moved to the to-node, in (0, 1]. */
    share: z.coerce.number().gt(0).lte(1),
    issued_at: Iso,
    reason: z.string().max(1000).optional(),
    /** `cancelled`: this version withdraws the plan (runs issued after it ignore it). */
    status: z.enum(TRANSFER_STATUSES).default('planned'),
    /** When gridcast received it; default now. */
    received_at: Iso.optional(),
  })
  .refine((t) => Date.parse(t.end) > Date.parse(t.start), { message: 'end must be after start', path: ['end'] })
  .refine((t) => t.from_node !== t.to_node, { message: 'from_node and to_node must differ', path: ['to_node'] });
export type TransferInput = z.infer<typeof TransferInputSchema>;

/** The CSV header of `gridcast ingest transfers` (optional columns may be left out). */
export const TRANSFER_COLUMNS = ['ref', 'source', 'from_node', 'to_node', 'start', 'end', 'share', 'issued_at', 'reason', 'status', 'received_at'] as const;

/** A stored version of a planned transfer. */
export interface PlannedTransfer {
  source: string;
  ref: string;
  /** 1, 2, … per (source, ref), in issue order. */
  version: number;
  fromNode: string;
  toNode: string;
  start: Date;
  end: Date;
  share: number;
  status: (typeof TRANSFER_STATUSES)[number];
  reason: string | null;
  issuedAt: Date;
  receivedAt: Date;
}

/** A transfer as a run applied it and records it in its settings (RunSettings.transfers). */
export const AppliedTransferSchema = z.object({
  source: z.string(),
  ref: z.string(),
  version: z.number().int(),
  fromNode: z.string(),
  toNode: z.string(),
  start: z.string(),
  end: z.string(),
  share: z.number(),
});
export type AppliedTransfer = z.infer<typeof AppliedTransferSchema>;

export const appliedTransfer = (t: PlannedTransfer): AppliedTransfer => ({
  source: t.source,
  ref: t.ref,
  version: t.version,
  fromNode: t.fromNode,
  toNode: t.toNode,
  start: t.start.toISOString(),
  end: t.end.toISOString(),
  share: t.share,
});

/** Planned transfers as stored: store/transfers.repository.ts, test/fakes/transfers.ts. */
export interface TransferStore {
  /** Appends versions; a row identical to the stored version of its (source, ref, issued_at) is unchanged, a different one is refused. */
  append(rows: TransferInput[]): Promise<{ added: PlannedTransfer[]; unchanged: number }>;
  /**
   * The version in force at `knownAt` of each plan (the latest issued at or before it; with
   * `receivedBy`, also received by then), cancelled plans left out, touching any of `seriesIds`
   * (all when omitted) and overlapping [from, to).
   */
  inForce(q: { knownAt: Date; receivedBy?: Date; from: Date; to: Date; seriesIds?: string[] }): Promise<PlannedTransfer[]>;
  /** Every stored version of the plans matching, newest issue first. */
  versions(q: { source?: string; ref?: string; seriesId?: string }): Promise<PlannedTransfer[]>;
}

/**
 * One planned change of one series' level over [start, end): the monitor's view of a plan. A
 * transfer gives two (its from-node loses `share` of its load, its to-node gains it); a schedule
 * window (series, from, to, planned value) gives one with `plannedValue`.
 */
export interface PlannedWindow {
  seriesId: string;
  start: Date;
  end: Date;
  kind: 'transfer' | 'schedule';
  source: string;
  ref: string;
  version: number;
  /** The level moves this way at `start` and back at `end`; absent when the plan does not say (a schedule). */
  direction?: 'up' | 'down';
  /** Transfer: the share of the from-node's load moved. */
  share?: number;
  /** Schedule: the planned value over the window. */
  plannedValue?: number;
}

/** Where the monitor learns of plans: one per kind (transfers, schedules). */
export interface PlannedChangeSource {
  name: string;
  /** Windows of the given series overlapping [from, to), as planned at `knownAt`. */
  windows(q: { seriesIds: string[]; from: Date; to: Date; knownAt: Date }): Promise<PlannedWindow[]>;
}

/** A transfer's two windows: the from-node's level goes down over it, the to-node's up. */
export function transferWindows(t: PlannedTransfer): PlannedWindow[] {
  const common = { start: t.start, end: t.end, kind: 'transfer' as const, source: t.source, ref: t.ref, version: t.version, share: t.share };
  return [
    { ...common, seriesId: t.fromNode, direction: 'down' },
    { ...common, seriesId: t.toNode, direction: 'up' },
  ];
}
