import { z } from 'zod';

/**
 * Quality of a stored or served point. Raw telemetry keeps the flag it arrived with
 * ('ok' or 'suspect'); anything gridcast produced itself says so, with the method in
 * a separate `method` field (e.g. 'locf', 'profile', 'redundancy', 'pv-estimate').
 *   ok        measured, passed validation
 *   suspect   measured, but failed a plausibility check (kept, never corrected in place)
 *   imputed   filled by gridcast for a gap
 *   estimated computed by a model (e.g. distributed PV), not measured
 *   derived   computed from other measured series (roll-up, balance, disaggregation)
 */
export const Quality = z.enum(['ok', 'suspect', 'imputed', 'estimated', 'derived']);
export type Quality = z.infer<typeof Quality>;

/** When a bucket mixes qualities, the aggregate carries the worst one. */
const severity: Record<Quality, number> = { ok: 0, derived: 1, estimated: 2, imputed: 3, suspect: 4 };
export const worstQuality = (a: Quality, b: Quality): Quality => (severity[a] >= severity[b] ? a : b);
export const qualitySeverity = (q: Quality): number => severity[q];

/**
 * The quality a query serves for a bucket. A partial bucket (fewer points than its cadence
 * expects, a roll-up lacking a child, or the bucket still in progress) is never 'ok': it reads
 * 'partial', unless its points are worse than that ('suspect'). Stored points never carry it.
 */
export const ServedQuality = z.enum([...Quality.options, 'partial']);
export type ServedQuality = z.infer<typeof ServedQuality>;
export const servedQuality = (quality: Quality, partial: boolean | undefined): ServedQuality =>
  partial && severity[quality] < severity.suspect ? 'partial' : quality;
