import { parseArgs } from 'node:util';
import { z } from 'zod';
import { loadConfig } from '../../core/config.ts';
import { parseTimeInput } from '../../core/time-input.ts';
import { driftView, type DriftView } from '../../api/routes/v1/drift.ts';
import { usageError, usageText } from '../lib/cli.ts';
import { driftReader } from '../lib/read-services.ts';
import { readStoreOrServer } from '../lib/through-server.ts';

export const summary = "input drift of each champion's features against a season-matched reference from its training data";

export const usage = usageText(
  ['gridcast drift [--series ID]... [--as-of T] [--format table|json]'],
  `  compares the last drift.windowDays days (default 14) before T (default now) with the same
  dates +/- drift.windowDays of the champion's training window. A numeric feature is in DRIFT
  when its effect (difference of the daily means in reference sd) reaches its threshold,
  calibrated on the training's own fortnights for drift.alarmsPerYear false alarms per
  series-year (default 1, shared over the effective number of features), and w1/sd of the daily
  means reaches drift.wasserstein (default 0.5). The load level is decided given the temperature
  (load_given_temperature: the daily load less what the training's load-temperature relation
  expects) and also needs a shift of drift.minLoadShift (default 10 %) of the level. KS p-values
  (Holm-corrected) and PSI on the hours are shown, not decided on. The day-type mix: chi-square
  p_holm < drift.alpha and psi >= drift.psi.
  A report only: the daily 'drift' job records the drift events. Through a running server: GET /api/v1/drift.`,
);

const Args = z.object({
  series: z.array(z.string().min(1)).optional(),
  'as-of': z.string().optional(),
  format: z.enum(['table', 'json'], { error: '--format is table or json' }).default('table'),
});

export async function run(args: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ args, options: { series: { type: 'string', multiple: true }, 'as-of': { type: 'string' }, format: { type: 'string' } } });
  } catch (e) {
    throw usageError((e as Error).message);
  }
  const a = Args.safeParse(parsed.values);
  if (!a.success) throw usageError(a.error.issues.map((i) => i.message).join('; '));
  // An unreadable time fails before the store opens.
  const asOf = a.data['as-of'] === undefined ? undefined : parseTimeInput(a.data['as-of'], '--as-of');
  const series = a.data.series;
  const config = loadConfig();
  const report = await readStoreOrServer(
    config,
    async (db) => driftView(await driftReader(db, config)({ ...(series && { seriesIds: series }), ...(asOf && { asOf }) })),
    (api) => api.get<DriftView>('/drift', { series: series?.join(','), asOf: a.data['as-of'] }),
  );
  process.stdout.write(a.data.format === 'json' ? JSON.stringify(report) + '\n' : table(report));
  return 0;
}

const day = (iso: string) => iso.slice(0, 10);
const num = (v: number | null, digits = 3) => (v === null || Number.isNaN(v) ? '' : Math.abs(v) < 1e-3 && v !== 0 ? v.toExponential(1) : v.toFixed(digits));

/** One line per series and feature, then the series not tested and why. */
function table(r: DriftView): string {
  const head = ['series', 'version', 'feature', 'test', 'days', 'ref_days', 'statistic', 'p', 'p_holm', 'psi', 'w1/sd', 'shift', 'effect', 'threshold', 'drift'];
  const rows = r.series.flatMap((s) =>
    s.features.map((f) => [
      s.seriesId,
      s.modelVersion,
      f.feature,
      f.test === 'chisq' ? `chisq(${f.df})` : 'ks',
      String(f.recentDays),
      String(f.referenceDays),
      num(f.statistic),
      num(f.pValue, 4),
      num(f.pAdjusted, 4),
      num(f.psi),
      num(f.wasserstein),
      f.relativeShift === undefined || f.relativeShift === null ? '' : `${(100 * f.relativeShift).toFixed(1)}%`,
      num(f.effect),
      num(f.calibration?.threshold ?? null),
      f.drift ? 'DRIFT' : f.note ? `(${f.note})` : '',
    ]),
  );
  const w = head.map((h, i) => Math.max(h.length, ...rows.map((x) => x[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(w[i])).join('  ').trimEnd();
  const out = [
    `drift as of ${r.asOf}: |effect| >= its threshold (calibrated for ${r.settings.alarmsPerYear} false alarm${r.settings.alarmsPerYear === 1 ? '' : 's'} per series-year) and w1/sd >= ${r.settings.wasserstein} (load: and |shift| >= ${100 * r.settings.minLoadShift}%); calendar mix: p_holm < ${r.settings.alpha} and psi >= ${r.settings.psi}; last ${r.settings.windowDays} days against the same dates ± ${r.settings.windowDays} days of each champion's training`,
    line(head),
    ...rows.map(line),
    ...r.series.map(
      (s) =>
        `${s.seriesId}: recent ${day(s.recent.from)} to ${day(new Date(Date.parse(s.recent.to) - 86_400_000).toISOString())}, reference months ${s.reference.months.join(',') || '-'} (${s.reference.days} days of ${day(s.reference.trainStart)} to ${day(s.reference.trainEnd)})` +
        (s.calibration ? `; thresholds from ${s.calibration.trainingDays} training days, ${s.calibration.effectiveFeatures.toFixed(2)} effective features` : ''),
    ),
    ...r.skipped.map((s) => `${s.seriesId}: not tested (${s.reason})`),
  ];
  return out.join('\n') + '\n';
}
