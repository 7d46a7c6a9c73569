import type { IngestUnit } from '../../core/ingest-store.ts';
import type { SeriesStats } from '../csv/rows.ts';
import type { Issue } from './issues.ts';

/** History looked at before a batch, and the least of it that makes a comparison meaningful. */
const HISTORY_DAYS = 7;
const MIN_HISTORY_POINTS = 24;

/**
 * Series whose mean level in the batch is far from their recent history (A9 distribution shift):
 * a shift of more than twice the recent mean level AND more than six standard deviations. That
 * catches unit and scaling errors and swapped ids (×10, ×1000, sign flips) while a real step —
 * a large consumer shutting down, a 2.7x rupture — passes, for rupture detection to see.
 */
export async function levelJumps(store: Pick<IngestUnit, 'recentLevels'>, stats: Map<string, SeriesStats>): Promise<Issue[]> {
  const levels = await store.recentLevels(
    [...stats].map(([seriesId, s]) => ({ seriesId, ts: new Date(s.minTs) })),
    HISTORY_DAYS,
  );
  const issues: Issue[] = [];
  for (const h of levels) {
    if (h.n < MIN_HISTORY_POINTS) continue;
    const s = stats.get(h.seriesId)!;
    const mean = s.sum / s.n;
    const shift = Math.abs(mean - h.mean);
    if (shift > 2 * Math.abs(h.mean) && shift > 6 * h.sd) {
      issues.push({
        line: s.firstLine,
        code: 'LEVEL_JUMP',
        message: `series '${h.seriesId}' averages ${round(mean)} in this file against ${round(h.mean)} (sd ${round(h.sd)}) over the ${HISTORY_DAYS} days before: check the unit and the id; the file is held in quarantine`,
      });
    }
  }
  return issues.sort((a, b) => a.line - b.line);
}

const round = (v: number) => Number(v.toPrecision(4));
