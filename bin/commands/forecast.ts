import { parseArgs } from 'node:util';
import { z } from 'zod';
import { HORIZONS, loadConfig, RECONCILIATION_METHODS } from '../../core/config.ts';
import { reproduceRun, runForecast } from '../../forecast/run/service.ts';
import { describeWeatherInputs } from '../../forecast/inputs.ts';
import { readRun, runSeriesLabels } from '../../store/forecasts.repository.ts';
import { forecastValue, type ForecastValue } from '../../api/routes/v1/forecasts.ts';
import { runMeta, type RunMeta } from '../../api/routes/v1/runs.ts';
import { MAX_LIMIT } from '../../api/paging.ts';
import { readStoreOrServer } from '../lib/through-server.ts';
import { runReader } from '../lib/read-services.ts';
import { openStore } from '../../store/open.ts';
import { usageError, usageText } from '../lib/cli.ts';
import { timeInZone } from '../../core/time-input.ts';
import { csvNumber } from '../../core/number-format.ts';
import { reproduceDeps, runDeps } from '../lib/run-deps.ts';
import { fallbackSwitchesOf } from '../../jobs/registry.ts';
import { eventsRepository } from '../../store/events.repository.ts';

export const summary = 'make and store a reconciled forecast run, show a stored run, or reproduce one';

const RUN = 'gridcast forecast --horizon H [--as-of T] [--root NODE] [--method M] [--allocation A] [--series ID[,ID...]]';
const SHOW = 'gridcast forecast show (RUN_ID | --latest --horizon H) [--series ID] [--grain 1h|1d] [--allocation A|none] [--format csv|json]';
const REPRODUCE = 'gridcast forecast reproduce RUN_ID';
const H = `  H: ${HORIZONS.join(', ')}`;
const A = '  A: average or worst-case, how substation views spread moving loads (show: default the run\'s own)';

export const usage = usageText(
  [RUN, SHOW, REPRODUCE],
  `${H}
  M: ${RECONCILIATION_METHODS.join(', ')} (default: config forecast.reconciliation)
${A}
  --as-of: the time the run is made as of (default now); the model sees data before that hour
  --series: series the run must cover (an error names any that are not under the root)`,
);
export const subcommands = {
  show: usageText([SHOW], `  prints a stored run (CSV, or JSON with the run record)\n${H}\n${A}`),
  reproduce: usageText([REPRODUCE], '  runs a stored run again from its recorded inputs and compares every number (exit 1 when different)'),
};

const horizon = z.enum(HORIZONS, { error: `--horizon must be one of ${HORIZONS.join(', ')}` });
const allocation = z.enum(['average', 'worst-case'], { error: '--allocation must be average or worst-case' });
const runId = z
  .string({ error: 'a RUN_ID is required' })
  .regex(/^\d+$/, 'RUN_ID must be a run number')
  .transform(Number);

const RunArgs = z.strictObject({
  horizon: z.string({ error: '--horizon is required' }).pipe(horizon),
  'as-of': z.string().optional(),
  root: z.string().min(1).optional(),
  method: z.enum(RECONCILIATION_METHODS, { error: `--method must be one of ${RECONCILIATION_METHODS.join(', ')}` }).optional(),
  allocation: allocation.optional(),
  series: z
    .string()
    .transform((s) => s.split(',').filter(Boolean))
    .optional(),
});

const ShowArgs = z
  .strictObject({
    id: runId.optional(),
    latest: z.boolean().optional(),
    horizon: horizon.optional(),
    series: z.string().min(1).optional(),
    grain: z.enum(['1h', '1d'], { error: '--grain must be 1h or 1d' }).optional(),
    allocation: z.union([allocation, z.literal('none')], { error: '--allocation must be average, worst-case or none' }).optional(),
    format: z.enum(['csv', 'json'], { error: '--format must be csv or json' }).default('csv'),
  })
  .refine((a) => (a.id === undefined) !== !a.latest, 'give either a RUN_ID or --latest')
  .refine((a) => !a.latest || a.horizon !== undefined, '--latest needs --horizon');

const OPTIONS = {
  horizon: { type: 'string' },
  'as-of': { type: 'string' },
  root: { type: 'string' },
  method: { type: 'string' },
  allocation: { type: 'string' },
  series: { type: 'string' },
  latest: { type: 'boolean' },
  grain: { type: 'string' },
  format: { type: 'string' },
} as const;

const issues = (e: z.ZodError) => e.issues.map((i) => i.message).join('; ');

export async function run(args: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ args, options: OPTIONS, allowPositionals: true, strict: true });
  } catch (e) {
    throw usageError((e as Error).message);
  }
  const { values, positionals } = parsed;
  const [action, ...rest] = positionals;
  if (action === 'show') {
    if (rest.length > 1) throw usageError(`unexpected argument '${rest[1]}'`);
    const a = ShowArgs.safeParse({ ...values, ...(rest[0] !== undefined ? { id: rest[0] } : {}) });
    if (!a.success) throw usageError(issues(a.error));
    return show(a.data);
  }
  if (action === 'reproduce') {
    if (rest.length !== 1 || Object.keys(values).length > 0) throw usageError('reproduce takes one RUN_ID and no options');
    const id = runId.safeParse(rest[0]);
    if (!id.success) throw usageError(issues(id.error));
    return withStore((db) => reproduce(db, id.data));
  }
  if (action !== undefined) throw usageError(`unknown action '${action}'`);
  const a = RunArgs.safeParse(values);
  if (!a.success) throw usageError(issues(a.error));
  const config = loadConfig();
  // The time rule of core/time-input.ts; a date is a local day of the grid's zone.
  const asOf = a.data['as-of'] === undefined ? undefined : timeInZone(a.data['as-of'], config.timeZone, '--as-of');
  return withStore(async (db) => {
    const s = await runForecast(
      runDeps(db, config),
      {
        horizon: a.data.horizon,
        ...(asOf ? { asOf } : {}),
        ...(a.data.root ? { root: a.data.root } : {}),
        ...(a.data.method ? { method: a.data.method } : {}),
        ...(a.data.allocation ? { allocation: a.data.allocation } : {}),
        ...(a.data.series ? { series: a.data.series } : {}),
      },
    );
    await fallbackSwitchesOf(db, eventsRepository(db))(s.runId);
    const run = await readRun(db, s.runId);
    console.log(`run ${s.runId} stored: ${s.horizon} from ${run.windowStart.toISOString()} to ${run.windowEnd.toISOString()} (origin ${s.origin.toISOString()}), ${s.series} series, ${s.fallbacks} on a fallback`);
    console.log(`reconciliation: ${s.method}; inputs ${s.inputsHash}`);
    const weather = describeWeatherInputs(s.weather);
    weather.forEach((line, i) => console.log(`${i === 0 ? 'weather:' : '        '} ${line}`));
    printTable(
      ['series', 'model', 'version', 'fallback'],
      (await runSeriesLabels(db, s.runId)).map((l) => [l.seriesId, l.model, l.modelVersion.replace(/^(fit:[^:]+:[0-9a-f]{12})[0-9a-f]+$/, '$1…'), l.fallbackReason ?? '']),
    );
    for (const w of s.warnings) console.error(`warning: ${w}`);
    return 0;
  }, config);
}

async function withStore(fn: (db: Awaited<ReturnType<typeof openStore>>) => Promise<number>, config = loadConfig()): Promise<number> {
  const db = await openStore(config);
  try {
    return await fn(db);
  } finally {
    await db.close();
  }
}

async function show(a: z.infer<typeof ShowArgs>): Promise<number> {
  const view = { ...(a.series ? { seriesId: a.series } : {}), ...(a.grain ? { grain: a.grain } : {}), ...(a.allocation ? { allocation: a.allocation } : {}) };
  const config = loadConfig();
  const text = await readStoreOrServer(
    config,
    async (db) => {
      const { run, rows } = await runReader(db, config).forecasts(a.id !== undefined ? { runId: a.id } : { horizon: a.horizon! }, view);
      const values = rows.map(forecastValue);
      return a.format === 'json' ? toJson(runMeta(run, new Set(rows.map((r) => r.seriesId))), values) : toCsv(values, run.settings.quantiles);
    },
    async (api) => {
      const path = a.id !== undefined ? `/runs/${a.id}/forecasts` : '/forecasts/latest';
      const query = { horizon: a.horizon, node: a.series, grain: a.grain, allocation: a.allocation, limit: MAX_LIMIT };
      const values: ForecastValue[] = [];
      let run: RunMeta | undefined;
      let cursor: string | undefined;
      do {
        const page = await api.get<{ run: RunMeta; values: ForecastValue[]; nextCursor: string | null }>(path, { ...query, cursor });
        // Each page lists the models of its own series: the whole view's are their union.
        run = run ? { ...run, method: { ...run.method, models: { ...run.method.models, ...page.run.method.models } } } : page.run;
        values.push(...page.values);
        cursor = page.nextCursor ?? undefined;
      } while (cursor);
      return a.format === 'json' ? toJson(run!, values) : toCsv(values, run!.quantiles);
    },
  );
  process.stdout.write(text);
  return 0;
}

/**
 * The API's answer for the whole view at once (GET /forecasts/latest or /runs/{id}/forecasts
 * without nextCursor), the models listed by series id, so the store and a server print the same bytes.
 */
function toJson(run: RunMeta, values: ForecastValue[]): string {
  const models = Object.fromEntries(Object.entries(run.method.models).sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0)));
  return JSON.stringify({ run: { ...run, method: { ...run.method, models } }, values }) + '\n';
}

/** `series_id,grain,ts,mean,p10,p50,p90,model,model_version,fallback_reason,allocated`. */
function toCsv(rows: ForecastValue[], levels: number[]): string {
  const cell = (s: string) => (/[",\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s);
  const head = ['series_id', 'grain', 'ts', 'mean', ...levels.map((l) => `p${Number((l * 100).toPrecision(6))}`), 'model', 'model_version', 'fallback_reason', 'allocated'];
  const lines = rows.map((r) =>
    [
      r.seriesId,
      r.grain,
      r.ts,
      csvNumber(r.mean),
      ...levels.map((l) => (r.quantiles[String(l)] === undefined ? '' : csvNumber(r.quantiles[String(l)]))),
      r.model,
      r.modelVersion,
      cell(r.fallbackReason ?? ''),
      r.allocated ? `${r.allocated.rule}:${r.allocated.movingLoads.join('+')}` : '',
    ].join(','),
  );
  return [head.join(','), ...lines].join('\n') + '\n';
}

async function reproduce(db: Awaited<ReturnType<typeof openStore>>, id: number): Promise<number> {
  const r = await reproduceRun(reproduceDeps(db), id);
  console.log(`run ${id}: ${r.identical ? 'identical' : 'DIFFERENT'} (${r.values} values; largest difference ${r.maxAbsDiff}; rows differing ${r.rowsDiffering})`);
  console.log(`inputs hash ${r.inputsHashMatches ? 'matches' : 'differs'}; model versions ${r.modelVersionsMatch ? 'match' : 'differ'}; code version ${r.codeVersionMatches ? 'matches' : 'differs'}`);
  return r.identical ? 0 : 1;
}

function printTable(head: string[], rows: string[][]): void {
  const w = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  console.log(head.map((h, i) => h.padEnd(w[i])).join('  ').trimEnd());
  for (const r of rows) console.log(r.map((c, i) => c.padEnd(w[i])).join('  ').trimEnd());
}
