import type { MeasurementRow } from '../scada/point.ts';
import { findGaps } from './gaps.ts';
import { profileValue, type Profile } from './profile.ts';
import type { GapFill, ImputationMethod } from '../../core/imputation.ts';

/** A value from the redundant measurement of the same quantity (A3), with what it was computed from. */
export type RedundantLookup = (tsMs: number) => { value: number; inputs: Record<string, unknown> } | undefined;

export interface ImputationRules {
  /** Gaps up to this length (s) repeat the last value; longer ones use the typical profile. */
  locfMaxSec: number;
}

/**
 * Decides the imputed points of one series (pure). Per gap, in order of preference:
 * the redundant measurement where one is configured and has a value at that time; else LOCF
 * when the gap is short (≤ locfMaxSec); else the typical profile; else LOCF (labelled so) when
 * the profile has no cell for that time. Timestamps already holding an imputed point are left
 * as they are: an earlier run's decision stays auditable and a later real value replaces it.
 */
export function planImputation(input: {
  seriesId: string;
  stepMs: number;
  from: Date;
  to: Date;
  measured: { ts: number; value: number }[];
  alreadyImputed: Set<number>;
  profile: Profile | null;
  redundant?: RedundantLookup;
  rules: ImputationRules;
}): { rows: MeasurementRow[]; fills: GapFill[] } {
  const rows: MeasurementRow[] = [];
  const fills: GapFill[] = [];
  const gaps = findGaps(input.measured, input.stepMs, input.from.getTime(), input.to.getTime());
  for (const gap of gaps) {
    const gapStart = gap.anchor.ts + input.stepMs;
    const gapEnd = gap.missing[gap.missing.length - 1] + input.stepMs;
    const gapSec = (gapEnd - gapStart) / 1000;
    const short = gapSec <= input.rules.locfMaxSec;
    const byMethod = new Map<ImputationMethod, { points: number; inputs: Record<string, unknown> }>();
    const record = (method: ImputationMethod, inputs: Record<string, unknown>) => {
      const e = byMethod.get(method);
      if (e) e.points++;
      else byMethod.set(method, { points: 1, inputs });
    };
    const locfInputs = { lastTs: new Date(gap.anchor.ts).toISOString(), lastValue: gap.anchor.value, gapSec, locfMaxSec: input.rules.locfMaxSec };
    for (const ts of gap.missing) {
      if (input.alreadyImputed.has(ts)) continue;
      const red = input.redundant?.(ts);
      if (red) {
        rows.push({ seriesId: input.seriesId, ts: new Date(ts), value: red.value, quality: 'imputed', method: 'redundancy' });
        record('redundancy', red.inputs);
        continue;
      }
      const cell = short || !input.profile ? undefined : profileValue(input.profile, ts);
      if (cell) {
        rows.push({ seriesId: input.seriesId, ts: new Date(ts), value: cell.mean, quality: 'imputed', method: 'profile' });
        record('profile', {
          gapSec,
          slotSec: input.profile!.slotSec,
          timeZone: input.profile!.timeZone,
          window: input.profile!.window,
        });
        continue;
      }
      rows.push({ seriesId: input.seriesId, ts: new Date(ts), value: gap.anchor.value, quality: 'imputed', method: 'locf' });
      record('locf', short ? locfInputs : { ...locfInputs, reason: 'no typical-profile value for this time' });
    }
    for (const [method, e] of byMethod) {
      fills.push({ seriesId: input.seriesId, gapStart: new Date(gapStart), gapEnd: new Date(gap.open ? input.to.getTime() : gapEnd), method, points: e.points, inputs: e.inputs });
    }
  }
  return { rows, fills };
}
