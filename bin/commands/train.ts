import { z } from 'zod';
import { jsonObjectArg, parseStringArgs } from '../lib/args.ts';
import { CODE_VERSION } from '../../forecast/run/code-version.ts';
import { loadConfig } from '../../core/config.ts';
import { trainModel } from '../../forecast/registry/service.ts';
import { openStore } from '../../store/open.ts';
import { timeInZone } from '../../core/time-input.ts';
import { BACKTEST_MODELS, forecasterFor } from '../lib/models.ts';
import { trainDeps } from '../lib/train-deps.ts';
import { actorOf, printBacktest, weatherLines } from './models.ts';

export const summary = 'fit a model on the stored history and register it as a candidate (optionally scored on a named backtest)';

export const usage = `usage: gridcast train --model NAME --kind KIND [--params JSON] [--series ID[,ID...] | --root NODE]
         [--train-end T] [--history-days N] [--backtest NAME --origins N [--horizon H] [--refit-every K]]
         [--family F] [--description TEXT] [--by USER]
  KIND: ${BACKTEST_MODELS.join(', ')}
  --series/--root: the series trained (default: the configured forecast root, or the sole hierarchy)
  --train-end: end of the training window, a whole hour (default: end of the hour of the latest actual)
  --history-days: days of history before it (default: forecast.historyDays of the configuration)
  --backtest: name under which the out-of-sample scores are stored: N origins at the first local
    midnights at or after --train-end, H hours each (default 24), observed weather over the horizons;
    it needs that many actuals after --train-end (refused otherwise: it never scores the training data)`;

const positiveInt = (name: string) =>
  z
    .string()
    .regex(/^\d+$/, `--${name} must be a whole number`)
    .transform(Number)
    .refine((n) => n > 0, `--${name} must be greater than 0`);

const Args = z
  .object({
    model: z.string({ error: '--model is required' }).regex(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/, '--model must hold only letters, digits, ".", "_" and "-"'),
    kind: z.enum(BACKTEST_MODELS, { error: `--kind must be one of ${BACKTEST_MODELS.join(', ')}` }),
    params: jsonObjectArg('params', '{"period":"week"}'),
    series: z
      .string()
      .transform((s) => s.split(',').map((x) => x.trim()).filter(Boolean))
      .refine((ids) => ids.length > 0, '--series must name at least one series')
      .optional(),
    root: z.string().min(1).optional(),
    'train-end': z.string().optional(),
    'history-days': positiveInt('history-days').optional(),
    backtest: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/, '--backtest must be a name such as last-28-days').optional(),
    origins: positiveInt('origins').optional(),
    horizon: positiveInt('horizon').default(24),
    'refit-every': positiveInt('refit-every').optional(),
    family: z.string().min(1).optional(),
    description: z.string().optional(),
    by: z.string().min(1, '--by must name someone').optional(),
  })
  .refine((a) => !(a.series && a.root), '--series and --root exclude each other')
  .refine((a) => !a.backtest === !a.origins, '--backtest NAME and --origins N go together');

export async function run(args: string[]): Promise<number> {
  const a = parseStringArgs(args, Args);
  const config = loadConfig();
  // The time rule of core/time-input.ts (a date is a local day of the grid's zone); trainModel refuses a time off the whole hour.
  const trainEnd = a['train-end'] === undefined ? undefined : timeInZone(a['train-end'], config.timeZone, '--train-end');
  const db = await openStore(config);
  try {
    const holidays = config.forecast.holidays;
    const { version: v, skipped } = await trainModel(
      trainDeps(db, config),
      {
        model: a.model,
        kind: a.kind,
        params: a.params,
        ...(a.series ? { seriesIds: a.series } : {}),
        ...(a.root ? { root: a.root } : {}),
        ...(trainEnd ? { trainEnd } : {}),
        ...(a['history-days'] ? { historyDays: a['history-days'] } : {}),
        ...(a.backtest ? { backtest: { name: a.backtest, origins: a.origins!, horizon: a.horizon, ...(a['refit-every'] ? { refitEvery: a['refit-every'] } : {}) } } : {}),
        ...(a.family ? { family: a.family } : {}),
        ...(a.description ? { description: a.description } : {}),
        actor: actorOf(a.by),
        codeVersion: CODE_VERSION,
      },
      (kind, params) => forecasterFor(kind, params, holidays ? { holidays } : {}),
    );
    console.log(`registered ${v.id} (${v.status}): ${v.kind} on ${v.seriesIds.length} series, ${v.trainStart.toISOString()} … ${v.trainEnd.toISOString()}`);
    console.log(`data sha256 ${v.dataHash}, code ${v.codeVersion}, by ${v.createdBy}`);
    for (const line of weatherLines(v)) console.log(line);
    if (skipped.length) console.log(`left out (no actuals in the window): ${skipped.join(', ')}`);
    for (const w of v.warnings) console.error(`warning: ${w}`);
    for (const [name, m] of Object.entries(v.metrics ?? {})) printBacktest(name, m as Parameters<typeof printBacktest>[1]);
    return 0;
  } finally {
    await db.close();
  }
}
