import { randomUUID } from 'node:crypto';
import { GridcastError } from '../../core/errors.ts';
import { claimBatch, finishBatch } from '../../store/batches.repository.ts';
import type { Db } from '../../store/db.ts';
import { insertMeasurements } from '../../store/measurements.repository.ts';
import { findGaps, medianStepMs } from './gaps.ts';
import { insertGapFills, loadAnchor, loadProfileCells, loadWindow, seriesImputationMeta, seriesMeasuredIn } from '../../store/imputation.repository.ts';
import { planImputation, type RedundantLookup } from './plan.ts';
import type { GapFill } from '../../core/imputation.ts';
import { buildProfile } from './profile.ts';
import { redundantLookup } from '../prepare/redundancy.ts';

export interface ImputationSettings {
  /** Gaps up to this length repeat the last value (s). */
  locfMaxSec: number;
  /** Weeks of history behind the typical profile. */
  profileWeeks: number;
  /** Time-of-day resolution of the typical profile (s). */
  profileSlotSec: number;
  /** How far back the last measured value may be; a sensor silent for longer is left as a gap. */
  maxGapSec: number;
}

export const DEFAULT_IMPUTATION: ImputationSettings = { locfMaxSec: 300, profileWeeks: 4, profileSlotSec: 900, maxGapSec: 86_400 };

export interface ImputeResult {
  seriesId: string;
  points: number;
  fills: GapFill[];
}

/**
 * Fills the gaps of one series over [from, to) with flagged points (quality 'imputed' and the
 * method), written through the store's write path — which never lets them overwrite a measured
 * point and lets a late real value replace them — together with the audit rows, in one
 * transaction. The cadence is the series' attrs.stepSec, else the median spacing of its points.
 * A line end with attrs.redundantWith is filled from the other end's measured points first.
 */
export async function imputeSeries(
  db: Db,
  opts: { seriesId: string; from: Date; to: Date; actor: string; settings?: Partial<ImputationSettings> },
): Promise<ImputeResult> {
  const s = { ...DEFAULT_IMPUTATION, ...opts.settings };
  const meta = await seriesImputationMeta(db, opts.seriesId);
  if (!meta) throw new GridcastError('SERIES_NOT_FOUND', `Series ${opts.seriesId} does not exist; load the topology first.`, { seriesId: opts.seriesId });
  const window = await loadWindow(db, opts.seriesId, opts.from, opts.to);
  const anchor = await loadAnchor(db, opts.seriesId, opts.from, new Date(opts.from.getTime() - s.maxGapSec * 1000));
  const measured = anchor ? [anchor, ...window.measured] : window.measured;
  const stepMs = meta.stepSec ? meta.stepSec * 1000 : medianStepMs(measured.map((p) => p.ts));
  if (!stepMs) return { seriesId: opts.seriesId, points: 0, fills: [] };
  const gaps = findGaps(measured, stepMs, opts.from.getTime(), opts.to.getTime());
  // The profile query reads weeks of points: only run it when a gap is long enough to use it.
  const needsProfile = gaps.some((g) => g.missing.length * (stepMs / 1000) > s.locfMaxSec && g.missing.some((t) => !window.imputed.has(t)));
  let profile = null;
  if (needsProfile) {
    const profileFrom = new Date(opts.to.getTime() - s.profileWeeks * 7 * 86_400_000);
    const cells = await loadProfileCells(db, opts.seriesId, profileFrom, opts.to, s.profileSlotSec, meta.timeZone);
    if (cells.length) {
      profile = buildProfile(cells, s.profileSlotSec, meta.timeZone, { from: profileFrom.toISOString(), to: opts.to.toISOString(), weeks: s.profileWeeks });
    }
  }
  let redundant: RedundantLookup | undefined;
  if (meta.redundancy && gaps.length > 0) {
    const other = await loadWindow(db, meta.redundancy.otherId, opts.from, opts.to);
    redundant = redundantLookup({ seriesId: meta.redundancy.otherId, points: new Map(other.measured.map((p) => [p.ts, p.value])) }, meta.redundancy.lossFactor, meta.redundancy.end);
  }
  const plan = planImputation({
    seriesId: opts.seriesId,
    stepMs,
    from: opts.from,
    to: opts.to,
    measured,
    alreadyImputed: window.imputed,
    profile,
    redundant,
    rules: { locfMaxSec: s.locfMaxSec },
  });
  if (plan.rows.length === 0) return { seriesId: opts.seriesId, points: 0, fills: [] };
  const written = await db.transaction(async (tx) => {
    const batchId = await claimBatch(tx, { source: 'imputation', batchKey: `imputation:${opts.seriesId}:${randomUUID()}`, kind: 'measurements' });
    const { written } = await insertMeasurements(tx, plan.rows, batchId);
    await insertGapFills(tx, plan.fills, batchId, opts.actor);
    await finishBatch(tx, batchId!, {
      status: 'committed',
      rowCount: written,
      report: { seriesId: opts.seriesId, actor: opts.actor, window: { from: opts.from.toISOString(), to: opts.to.toISOString() }, stepSec: stepMs / 1000, fills: plan.fills },
    });
    return written;
  });
  return { seriesId: opts.seriesId, points: written, fills: plan.fills };
}

/**
 * The imputation job's service: imputes every series measured recently over [from, to).
 * One failing series is logged in the result and does not stop the others.
 */
export async function imputeRecent(
  db: Db,
  opts: { from: Date; to: Date; actor: string; settings?: Partial<ImputationSettings> },
): Promise<{ results: ImputeResult[]; errors: Array<{ seriesId: string; error: string }> }> {
  const s = { ...DEFAULT_IMPUTATION, ...opts.settings };
  const ids = await seriesMeasuredIn(db, new Date(opts.from.getTime() - s.maxGapSec * 1000), opts.to);
  const results: ImputeResult[] = [];
  const errors: Array<{ seriesId: string; error: string }> = [];
  for (const seriesId of ids) {
    try {
      results.push(await imputeSeries(db, { ...opts, seriesId }));
    } catch (e) {
      errors.push({ seriesId, error: (e as Error).message });
    }
  }
  return { results, errors };
}
