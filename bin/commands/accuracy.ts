import { z } from 'zod';
import { HORIZONS, loadConfig } from '../../core/config.ts';
import { FORECAST_GRAINS } from '../../core/forecast-run.ts';
import { ACCURACY_BY } from '../../core/scores.ts';
import { parseTimeInput } from '../../core/time-input.ts';
import { accuracyView } from '../../api/routes/v1/accuracy.ts';
import { accuracyService } from '../../monitoring/accuracy.service.ts';
import { usageText } from '../lib/cli.ts';
import { parseStringArgs } from '../lib/args.ts';
import { readStoreOrServer } from '../lib/through-server.ts';
import { printTable } from './models.ts';

export const summary = 'forecast accuracy against the actuals that arrived: MAPE, bias, pinball, coverage per series, horizon, lead time or day';

export const usage = usageText(
  [`gridcast accuracy [--series ID] [--horizon ${HORIZONS.join('|')}] [--grain ${FORECAST_GRAINS.join('|')}] [--from T] [--to T] [--by ${ACCURACY_BY.join('|')}] [--format table|json]`],
  `  over forecast values with target time in [from, to) (default: the last 30 days), each at its latest actual
  --grain: hourly values (1h) or daily values (1d, local days, against the day's actual made from its hours); default both
  MAPE % leaves out actuals near zero (under accuracy.nearZeroFraction of the series' level): those count in "MAE near 0"
  T: an instant with its offset (2026-12-03T00:00:00Z) or a date (local midnight of the store's time zone)`,
);

const Args = z.object({
  series: z.string().min(1).optional(),
  horizon: z.enum(HORIZONS, { error: `--horizon must be one of ${HORIZONS.join(', ')}` }).optional(),
  grain: z.enum(FORECAST_GRAINS, { error: `--grain must be one of ${FORECAST_GRAINS.join(', ')}` }).optional(),
  from: z.string().optional(),
  to: z.string().optional(),
  by: z.enum(ACCURACY_BY, { error: `--by must be one of ${ACCURACY_BY.join(', ')}` }).default('series'),
  format: z.enum(['table', 'json'], { error: '--format must be table or json' }).default('table'),
});

type View = ReturnType<typeof accuracyView>;

export async function run(args: string[]): Promise<number> {
  const a = parseStringArgs(args, Args);
  for (const name of ['from', 'to'] as const) if (a[name] !== undefined) parseTimeInput(a[name], `--${name}`);
  const config = loadConfig();
  const report = await readStoreOrServer<View>(
    config,
    async (db) =>
      accuracyView(
        await accuracyService(db, config).read({
          by: a.by, ...(a.series && { seriesId: a.series }), ...(a.horizon && { horizon: a.horizon }), ...(a.grain && { grain: a.grain }), ...(a.from && { from: a.from }), ...(a.to && { to: a.to }),
        }),
      ),
    (api) => api.get<View>('/accuracy', { series: a.series, horizon: a.horizon, grain: a.grain, from: a.from, to: a.to, by: a.by }),
  );
  if (a.format === 'json') {
    process.stdout.write(JSON.stringify(report) + '\n');
    return 0;
  }
  const fmt = (v: number | null, d: number) => (v === null ? '—' : v.toFixed(d));
  console.log(`accuracy over ${report.from} … ${report.to}, by ${report.by}`);
  const head = ['series', 'horizon', 'grain', ...(report.by === 'lead' ? ['lead h'] : report.by === 'day' ? ['day'] : []), 'n', 'MAPE %', 'MAE near 0', 'MAE', 'bias', 'pinball', 'coverage %'];
  printTable(
    head,
    report.rows.map((r) => [
      r.seriesId, r.horizon, r.grain,
      ...(report.by === 'lead' ? [`${r.leadFrom}–${r.leadTo}`] : report.by === 'day' ? [r.day ?? ''] : []),
      String(r.n), fmt(r.mape, 2), fmt(r.maeNearZero, 3), fmt(r.mae, 3), fmt(r.bias, 3), fmt(r.pinball, 3), fmt(r.coverage, 1),
    ]),
  );
  return 0;
}
