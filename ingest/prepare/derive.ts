import { isGridcastError } from '../../core/errors.ts';
import { DERIVED_STEP_SEC, derivedSeries, type DerivedSeries } from '../../core/topology/derived.ts';
import type { Db } from '../../store/db.ts';
import { derivedThrough, firstPointAt, setDerivedThrough } from '../../store/derived.repository.ts';
import { insertMeasurements } from '../../store/measurements.repository.ts';
import { ensureDerivedSeries, loadStoredTopology } from '../../store/topology.repository.ts';
import { balanceTerms } from './balance.ts';
import { deriveRegionalBalance } from './balance-store.ts';
import { disaggregateWithdrawal } from './disaggregate-store.ts';

export interface DeriveSettings {
  /** Recomputed again at every run, for points that arrive late or are imputed after the fact (default 2 h). */
  overlapSec: number;
  /** Points of the last seconds may still be in flight: not derived yet (default 60 s). */
  lagSec: number;
  /** One transaction per this many days of a catch-up (default 7). */
  chunkDays: number;
  /**
   * A run takes each family at most this many days forward (default 7); a family further behind
   * goes on at the next run. A first start has 120 days of history to derive: in one run it held
   * the embedded store for minutes, delaying the first forecasts and the other jobs' ticks.
   */
  catchUpDays: number;
}

const DEFAULTS: DeriveSettings = { overlapSec: 7200, lagSec: 60, chunkDays: 7, catchUpDays: 7 };
const STEP_MS = DERIVED_STEP_SEC * 1000;

export interface DeriveOutcome {
  /** Per derived family (a withdrawal's PV + consumption, or a region's balance): points written over [from, to). */
  results: Array<{ seriesIds: string[]; from: Date; to: Date; points: number; behind?: boolean }>;
  /** Families that could not be derived, with the coded reason (e.g. BALANCE_INCOMPLETE). */
  problems: Array<{ seriesIds: string[]; code: string; message: string }>;
}

/**
 * Produces the derived series of the stored topology (core/topology/derived.ts) up to `now`:
 * each family resumes where it stopped (derived_progress) less an overlap, or starts at its
 * inputs' first point, and goes forward in chunks, each stored with its progress in one
 * transaction, so a run cut short (signal) resumes there. Idempotent: recomputing a bucket
 * whose inputs did not change writes nothing. One family's failure does not stop the others.
 */
export async function deriveSeries(db: Db, opts: { now: Date; signal?: AbortSignal; settings?: Partial<DeriveSettings> }): Promise<DeriveOutcome> {
  const settings = { ...DEFAULTS, ...opts.settings };
  const topology = await loadStoredTopology(db);
  await ensureDerivedSeries(db, topology);
  const end = Math.floor((opts.now.getTime() - settings.lagSec * 1000) / STEP_MS) * STEP_MS;
  const outcome: DeriveOutcome = { results: [], problems: [] };

  // A withdrawal's PV and consumption come from one computation; a balance is its own.
  const families = new Map<string, DerivedSeries[]>();
  for (const d of derivedSeries(topology)) {
    const key = `${d.of}\u0000${d.role === 'balance' ? 'balance' : 'pv'}`;
    families.set(key, [...(families.get(key) ?? []), d]);
  }

  for (const members of families.values()) {
    if (opts.signal?.aborted) break;
    const { of, role } = members[0];
    const seriesIds = members.map((m) => m.id);
    try {
      const inputs = role === 'balance' ? inputsOfBalance(topology, of) : [of];
      const derive = (lo: Date, hi: Date) =>
        role === 'balance' ? deriveRegionalBalance(db, topology, of, lo, hi) : disaggregateWithdrawal(db, of, lo, hi);
      const through = await derivedThrough(db, seriesIds[0]);
      let start: number;
      if (through) start = through.getTime() - settings.overlapSec * 1000;
      else {
        const firsts = (await Promise.all(inputs.map((id) => firstPointAt(db, id)))).filter((d): d is Date => d !== null);
        if (firsts.length === 0) continue;
        start = Math.min(...firsts.map((d) => d.getTime()));
      }
      start = Math.floor(start / STEP_MS) * STEP_MS;
      const until = Math.min(end, start + settings.catchUpDays * 86_400_000);
      let points = 0;
      for (let lo = start; lo < until && !opts.signal?.aborted; ) {
        const hi = Math.min(until, lo + settings.chunkDays * 86_400_000);
        const rows = await derive(new Date(lo), new Date(hi));
        await db.transaction(async (tx) => {
          await insertMeasurements(tx, rows);
          for (const id of seriesIds) await setDerivedThrough(tx, id, new Date(hi));
        });
        points += rows.length;
        lo = hi;
      }
      if (start < end) outcome.results.push({ seriesIds, from: new Date(start), to: new Date(until), points, ...(until < end ? { behind: true } : {}) });
    } catch (e) {
      if (!isGridcastError(e)) throw e;
      outcome.problems.push({ seriesIds, code: e.code, message: e.message });
    }
  }
  return outcome;
}

function inputsOfBalance(topology: Parameters<typeof balanceTerms>[0], region: string): string[] {
  const t = balanceTerms(topology, region);
  return [...t.production, ...t.exports.map((e) => e.seriesId)];
}
