import { z } from 'zod';
import { loadConfig } from '../../core/config.ts';
import { csvNumber } from '../../core/number-format.ts';
import { servedActual, type ServedActual } from '../../ingest/actuals.service.ts';
import { ActualValue } from '../../api/routes/v1/actuals.ts';
import { MAX_LIMIT } from '../../api/paging.ts';
import { readStoreOrServer } from '../lib/through-server.ts';
import { actualsService } from '../lib/read-services.ts';
import { parseTimeInput } from '../../core/time-input.ts';
import { usageText } from '../lib/cli.ts';
import { parseStringArgs } from '../lib/args.ts';
import { GRAINS, type Grain } from '../../core/grain.ts';

export const summary = 'print actuals of a series or weather station: raw, 5m, 1h or local-day buckets with their completeness';

export const usage = usageText(
  [
    'gridcast query --series ID --from T --to T --grain raw|5m|1h|1d [--as-of T] [--format csv|json]',
    'gridcast query --series STATION [--variable temperature] [--issued-before T] ...',
  ],
  `  T: an instant with its offset (2026-12-03T00:00:00Z, 2026-12-03T01:00+01:00) or a date alone
     (2026-12-03): the local midnight starting that day in the series' time zone`,
);

const Args = z.object({
  series: z.string({ error: '--series is required' }).min(1),
  from: z.string({ error: '--from is required' }),
  to: z.string({ error: '--to is required' }),
  grain: z.enum(GRAINS, { error: `--grain must be one of ${GRAINS.join(', ')}` }),
  'as-of': z.string().optional(),
  'issued-before': z.string().optional(),
  variable: z.string().min(1).optional(),
  format: z.enum(['csv', 'json'], { error: '--format must be csv or json' }).default('csv'),
});

export async function run(args: string[]): Promise<number> {
  const a = parseStringArgs(args, Args);
  // Read before the store opens: a time without an offset (TS_NO_OFFSET) fails at once.
  const time = (name: 'from' | 'to' | 'as-of' | 'issued-before') => {
    const text = a[name];
    return text === undefined ? undefined : parseTimeInput(text, `--${name}`);
  };
  const [from, to, asOf, issuedBefore] = [time('from')!, time('to')!, time('as-of'), time('issued-before')];
  const served = await readStoreOrServer(
    loadConfig(),
    async (db) => {
      const { rows } = await actualsService(db).read({
        seriesId: a.series,
        from,
        to,
        grain: a.grain,
        ...(asOf && { asOf }),
        ...(issuedBefore && { issuedBefore }),
        ...(a.variable && { variable: a.variable }),
      });
      return rows.map(servedActual);
    },
    async (api) => {
      // The API reads the times as given, like the lines above.
      const query = { start: a.from, end: a.to, grain: a.grain, asOf: a['as-of'], issuedBefore: a['issued-before'], variable: a.variable, limit: MAX_LIMIT };
      const all: ServedActual[] = [];
      let cursor: string | undefined;
      do {
        const page = await api.get<{ values: ServedActual[]; nextCursor: string | null }>(`/series/${encodeURIComponent(a.series)}/actuals`, { ...query, cursor });
        all.push(...page.values);
        cursor = page.nextCursor ?? undefined;
      } while (cursor);
      return all;
    },
  );
  process.stdout.write(a.format === 'json' ? toJson(served) : toCsv(served, a.grain, issuedBefore !== undefined));
  return 0;
}

/**
 * Raw: `series_id,ts,value,quality`. Buckets: `series_id,ts[,date],value,quality,n,expected,partial,p95`
 * (`date` for local days). Weather forecasts add `issued_at` at the raw grain. An unknown value
 * (a roll-up lacking a child) is empty; a partial bucket's quality reads `partial`.
 */
export function toCsv(rows: ServedActual[], grain: Grain, forecasts = false): string {
  const num = (x: number | null | undefined) => (x === null || x === undefined ? '' : csvNumber(x));
  const raw = grain === 'raw';
  const head = ['series_id', 'ts', ...(grain === '1d' ? ['date'] : []), 'value', 'quality', ...(raw ? [] : ['n', 'expected', 'partial', 'p95']), ...(raw && forecasts ? ['issued_at'] : [])];
  const lines = rows.map((r) => {
    const cells = [r.seriesId, r.ts, ...(grain === '1d' ? [r.date ?? ''] : []), num(r.value), r.quality];
    if (!raw) cells.push(String(r.n ?? ''), r.expected === null || r.expected === undefined ? '' : String(r.expected), String(!!r.partial), num(r.p95));
    if (raw && forecasts) cells.push(r.issuedAt ?? '');
    return cells.join(',');
  });
  return [head.join(','), ...lines].join('\n') + '\n';
}

/**
 * Every field of the rows, numbers with all their digits, in the order of the API's values: the
 * same bytes whether the rows came from the store or through a server.
 */
export function toJson(rows: ServedActual[]): string {
  return JSON.stringify(rows.map((r) => Object.fromEntries(FIELDS.flatMap((k) => (k in r ? [[k, r[k]]] : []))))) + '\n';
}

const FIELDS = Object.keys(ActualValue.shape) as Array<keyof ServedActual>;
