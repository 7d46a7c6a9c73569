import { parseArgs } from 'node:util';
import { z } from 'zod';
import { loadConfig } from '../../core/config.ts';
import { openStore } from '../../store/open.ts';
import { usageError, usageText } from '../lib/cli.ts';
import { GRAINS, queryMeasurements, type MeasurementRow } from '../../store/query.repository.ts';

export const summary = 'print actuals of a series: raw, 5m, 1h or local-day buckets (metering: best or as-of version)';

export const usage = usageText(['gridcast query --series ID --from T --to T --grain raw|5m|1h|1d [--as-of T] [--format csv|json]']);

const instant = (name: string) =>
  z
    .string({ error: `--${name} is required` })
    .refine((s) => !Number.isNaN(Date.parse(s)), `--${name} must be an ISO 8601 time, e.g. 2026-03-29T00:00:00Z`)
    .transform((s) => new Date(s));

const Args = z.object({
  series: z.string({ error: '--series is required' }).min(1),
  from: instant('from'),
  to: instant('to'),
  grain: z.enum(GRAINS as [string, ...string[]], { error: `--grain must be one of ${GRAINS.join(', ')}` }).transform((g) => g as (typeof GRAINS)[number]),
  'as-of': instant('as-of').optional(),
  format: z.enum(['csv', 'json'], { error: '--format must be csv or json' }).default('csv'),
});

export async function run(args: string[]): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args,
      options: {
        series: { type: 'string' },
        from: { type: 'string' },
        to: { type: 'string' },
        grain: { type: 'string' },
        'as-of': { type: 'string' },
        format: { type: 'string' },
      },
    }));
  } catch (e) {
    throw usageError((e as Error).message);
  }
  const parsed = Args.safeParse(values);
  if (!parsed.success) throw usageError(parsed.error.issues.map((i) => i.message).join('; '));
  const a = parsed.data;
  const db = await openStore(loadConfig());
  try {
    const rows = await queryMeasurements(db, { seriesId: a.series, from: a.from, to: a.to, grain: a.grain, asOf: a['as-of'] });
    process.stdout.write(a.format === 'json' ? toJson(rows) : toCsv(rows, a.grain !== 'raw'));
    return 0;
  } finally {
    await db.close();
  }
}

/** `series_id,ts,value,quality[,p95]`; an unknown (roll-up with a missing child) value is empty. */
export function toCsv(rows: MeasurementRow[], withP95: boolean): string {
  const head = withP95 ? 'series_id,ts,value,quality,p95' : 'series_id,ts,value,quality';
  const lines = rows.map((r) => {
    const cells = [r.seriesId, r.ts.toISOString(), r.value ?? '', r.quality];
    if (withP95) cells.push(r.p95 ?? '');
    return cells.join(',');
  });
  return [head, ...lines].join('\n') + '\n';
}

function toJson(rows: MeasurementRow[]): string {
  return JSON.stringify(rows.map((r) => ({ ...r, ts: r.ts.toISOString() }))) + '\n';
}
