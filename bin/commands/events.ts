import { z } from 'zod';
import { loadConfig } from '../../core/config.ts';
import { EVENT_KINDS, type EventKind } from '../../core/events.ts';
import { parseTimeInput } from '../../core/time-input.ts';
import { eventView, type EventView } from '../../api/routes/v1/events.ts';
import { MAX_LIMIT } from '../../api/paging.ts';
import { usageText } from '../lib/cli.ts';
import { parseStringArgs } from '../lib/args.ts';
import { readStoreOrServer } from '../lib/through-server.ts';
import { eventReader } from '../lib/read-services.ts';
import { printTable } from './models.ts';

export const summary = 'the monitoring event log: ruptures, fallback switches, drift, alarms, retraining proposals, promotions, rollbacks';

export const usage = usageText(
  ['gridcast events [--kind K[,K…]] [--series ID] [--from T] [--to T] [--limit N] [--format table|json|csv]'],
  `  newest first, at most N (default 1000); --from/--to: [from, to)
  K: ${EVENT_KINDS.join(', ')}
  T: an instant with its offset (2026-12-03T00:00:00Z) or a date (local midnight of the store's time zone)
  csv columns: at,kind,series_id,model_version,detail (detail as compact JSON), as gridcast replay --events-out writes them`,
);

const Args = z.object({
  kind: z
    .string()
    .optional()
    .transform((s, ctx) => {
      const kinds = (s ?? '').split(',').map((k) => k.trim()).filter(Boolean);
      const unknown = kinds.filter((k) => !(EVENT_KINDS as readonly string[]).includes(k));
      if (unknown.length) ctx.addIssue({ code: 'custom', message: `--kind: unknown event kind ${unknown.join(', ')}; the kinds are ${EVENT_KINDS.join(', ')}` });
      return kinds as EventKind[];
    }),
  series: z.string().min(1).optional(),
  from: z.string().optional(),
  to: z.string().optional(),
  limit: z.coerce.number({ error: '--limit must be a whole number from 1' }).int().min(1, '--limit must be a whole number from 1').default(1000),
  format: z.enum(['table', 'json', 'csv'], { error: '--format must be table, json or csv' }).default('table'),
});

export async function run(args: string[]): Promise<number> {
  const a = parseStringArgs(args, Args);
  // Unreadable times fail before the store opens.
  for (const name of ['from', 'to'] as const) if (a[name] !== undefined) parseTimeInput(a[name], `--${name}`);
  const config = loadConfig();
  const events = await readStoreOrServer(
    config,
    async (db) => (await eventReader(db, config).list({ kinds: a.kind, ...(a.series && { seriesId: a.series }), ...(a.from && { from: a.from }), ...(a.to && { to: a.to }), limit: a.limit })).events.map(eventView),
    async (api) => {
      const all: EventView[] = [];
      let beforeId: number | undefined;
      do {
        const page = await api.get<{ events: EventView[]; nextBeforeId: number | null }>('/events', {
          kind: a.kind.length ? a.kind.join(',') : undefined, series: a.series, from: a.from, to: a.to, beforeId, limit: Math.min(MAX_LIMIT, a.limit - all.length),
        });
        all.push(...page.events);
        beforeId = page.nextBeforeId ?? undefined;
      } while (beforeId !== undefined && all.length < a.limit);
      return all;
    },
  );
  if (a.format === 'json') process.stdout.write(JSON.stringify(events) + '\n');
  else if (a.format === 'csv') process.stdout.write(eventsCsv(events));
  else printTable(['at', 'kind', 'severity', 'series', 'model version', 'run', 'detail'], events.map((e) => [e.at, e.kind, e.severity, e.seriesId ?? '', e.modelVersion ?? '', e.runId === null ? '' : String(e.runId), JSON.stringify(e.detail)]));
  return 0;
}

/** RFC 4180 quoting: a cell holding a comma, a quote or a line break is quoted, its quotes doubled. */
const cell = (s: string) => (/[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);

/** `at,kind,series_id,model_version,detail`: the event CSV of `gridcast events` and of a replay. */
export function eventsCsv(events: Array<Pick<EventView, 'at' | 'kind' | 'seriesId' | 'modelVersion' | 'detail'>>): string {
  const lines = events.map((e) => [e.at, e.kind, e.seriesId ?? '', e.modelVersion ?? '', JSON.stringify(e.detail)].map(cell).join(','));
  return ['at,kind,series_id,model_version,detail', ...lines].join('\n') + '\n';
}
