import { userInfo } from 'node:os';
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { loadConfig } from '../../core/config.ts';
import { GridcastError } from '../../core/errors.ts';
import { openStore } from '../../store/open.ts';
import { registryRepository } from '../../store/registry.repository.ts';
import { naturalCompare } from '../../core/natural-sort.ts';
import { usageError, usageText } from '../lib/cli.ts';
import { registryServiceOf } from '../lib/registry-service.ts';
import { serverRegistryReads, storeRegistryReads, type RegistryReads } from '../lib/registry-reads.ts';
import { readStoreOrServer } from '../lib/through-server.ts';
import { VERSION_STATUSES, type ModelVersion } from '../../core/registry.ts';
import { describeWeatherInputs } from '../../forecast/inputs.ts';
import { run as runCompare, SYNOPSIS as COMPARE_SYNOPSIS, usage as compareUsage } from '../lib/compare-command.ts';
import { promotionServiceOf } from '../lib/promotion-service.ts';

export const summary = 'the model registry: list versions, show one, print the audit log, put a version in shadow or retire it';

const SYNOPSES = {
  list: `gridcast models [list] [--model NAME] [--status ${VERSION_STATUSES.join('|')}]`,
  show: 'gridcast models show VERSION',
  audit: 'gridcast models audit [VERSION|MODEL] [--limit N]',
  shadow: 'gridcast models shadow VERSION --reason TEXT [--by USER]',
  retire: 'gridcast models retire VERSION --reason TEXT [--by USER]',
  rollback: 'gridcast models rollback MODEL --reason TEXT [--by USER]',
  history: 'gridcast models history MODEL',
  compare: COMPARE_SYNOPSIS,
};
const VERSION_NOTE = '  VERSION: MODEL@N as listed by gridcast models, e.g. load@3';
export const subcommands = {
  list: usageText([SYNOPSES.list], '  the registered versions, newest first, with the MAPE of their first backtest'),
  show: usageText([SYNOPSES.show], `  a version's spec, features, training window, data hash and backtest scores\n${VERSION_NOTE}`),
  audit: usageText([SYNOPSES.audit], '  the audit log (every status change), of one version or model, at most N most recent entries'),
  shadow: usageText([SYNOPSES.shadow], `  a candidate starts shadow scoring: its forecasts are stored, never published\n${VERSION_NOTE}`),
  retire: usageText([SYNOPSES.retire], `  retires a version (retiring the champion leaves its model without one)\n${VERSION_NOTE}`),
  rollback: usageText([SYNOPSES.rollback], '  one step back: the champion is retired and the champion it replaced serves again (audited, a rollback event)'),
  history: usageText([SYNOPSES.history], '  which version was champion from when to when, who proposed and signed off, why, and the paired test'),
  compare: compareUsage,
};
export const usage = usageText(Object.values(SYNOPSES), VERSION_NOTE);

/** Who acts: --by, else the login user. */
export const actorOf = (by: string | undefined) => by ?? userInfo().username;

/** Columns padded to their widest cell. */
export function printTable(head: string[], rows: string[][]): void {
  const w = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  for (const r of [head, ...rows]) console.log(r.map((c, i) => c.padEnd(w[i])).join('  ').trimEnd());
}

const fmt = (v: unknown, d = 2) => (typeof v === 'number' && Number.isFinite(v) ? v.toFixed(d) : '—');
const day = (d: Date) => d.toISOString().slice(0, 16).replace('T', ' ');

interface ScoreLike {
  mape?: number | null;
  mae?: number;
  rmse?: number;
  pinball?: number | null;
  coverage?: number | null;
  n?: number;
  error?: string;
}

/** One row per scored series (and 'all' first) of a backtest stored in metrics. */
export function printBacktest(name: string, m: { horizon: number; origins: number; from: string; to: string; weather?: string; all: ScoreLike | null; series: Record<string, ScoreLike> }): void {
  console.log(`backtest ${name}: ${m.origins} origins × ${m.horizon} h, ${m.from} … ${m.to}${m.weather ? `, weather ${m.weather}` : ''}`);
  const rows = [['all', m.all ?? {}] as const, ...Object.entries(m.series).sort(([x], [y]) => naturalCompare(x, y))].map(([id, s]) =>
    s.error ? [id, `error: ${s.error}`, '', '', '', '', ''] : [id, fmt(s.mape), fmt(s.mae, 3), fmt(s.rmse, 3), fmt(s.pinball, 3), fmt(s.coverage, 1), String(s.n ?? '')],
  );
  printTable(['series', 'MAPE %', 'MAE', 'RMSE', 'pinball', 'P10-P90 cov %', 'targets'], rows);
}

/** The weather a version was trained on, grouped by input; and its weather-free companion. */
export function weatherLines(v: ModelVersion): string[] {
  const inputs = describeWeatherInputs(v.weather);
  if (inputs.length === 0) return [`weather          none: ${v.kind} was trained on the calendar alone`];
  return [
    ...inputs.map((line, i) => `${i === 0 ? 'weather' : ''}`.padEnd(17) + line),
    `${'weather-free'.padEnd(16)} ${v.hasCompanion ? 'companion stored (serves runs whose horizon has no weather forecast)' : 'no companion stored'}`,
  ];
}

/** MAPE of the first backtest stored with a version, for the list. */
const headlineMape = (v: ModelVersion) => {
  const first = Object.entries(v.metrics ?? {})[0] as [string, { all?: ScoreLike }] | undefined;
  return first ? `${fmt(first[1].all?.mape)} (${first[0]})` : '';
};

const Options = z.object({
  model: z.string().min(1).optional(),
  status: z.enum(VERSION_STATUSES, { error: `--status must be one of ${VERSION_STATUSES.join(', ')}` }).optional(),
  limit: z.string().regex(/^\d+$/, '--limit must be a whole number').transform(Number).optional(),
  reason: z.string().optional(),
  by: z.string().min(1, '--by must name someone').optional(),
});

export async function run(args: string[]): Promise<number> {
  if (args[0] === 'compare') return runCompare(args.slice(1));
  let parsed;
  try {
    parsed = parseArgs({ args, allowPositionals: true, options: Object.fromEntries(['model', 'status', 'limit', 'reason', 'by'].map((k) => [k, { type: 'string' as const }])) });
  } catch (e) {
    throw usageError((e as Error).message);
  }
  const [action = 'list', target, ...rest] = parsed.positionals;
  const opts = Options.safeParse(parsed.values);
  if (!opts.success) throw usageError(opts.error.issues.map((i) => i.message).join('; '));
  const o = opts.data;
  if (rest.length > 0 || !Object.hasOwn(subcommands, action)) throw usageError(`unknown arguments: ${parsed.positionals.join(' ')}`);
  if (['show', 'shadow', 'retire'].includes(action) && !target) throw usageError(`'models ${action}' needs a VERSION, e.g. load@3`);
  if (['shadow', 'retire', 'rollback'].includes(action) && !o.reason?.trim()) throw usageError(`--reason is required to ${action} ${action === 'rollback' ? 'a model' : 'a version'}`);
  if (['rollback', 'history'].includes(action) && !target) throw usageError(`'models ${action}' needs a MODEL, e.g. load`);

  const config = loadConfig();
  if (action === 'list' || action === 'show' || action === 'audit') {
    return readStoreOrServer(config, (db) => print(storeRegistryReads(registryRepository(db))), (api) => print(serverRegistryReads(api)));
  }
  const db = await openStore(config);
  try {
    const by = { actor: actorOf(o.by), reason: o.reason! };
    if (action === 'rollback') {
      const r = await promotionServiceOf(db, config).rollback(target!, by);
      console.log(`${r.version.id} is the champion of ${r.version.model} again (${r.replaced.id} retired)`);
      return 0;
    }
    if (action === 'history') {
      const periods = await promotionServiceOf(db, config).history(target!);
      if (periods.length === 0) console.log(`${target} has never had a champion`);
      printTable(
        ['version', 'from', 'to', 'how', 'proposed by', 'signed by', 'DM', 'p-value', 'pairs', 'reason'],
        periods.map((p) => [p.version, day(p.from), p.to ? day(p.to) : 'now', p.how, p.proposedBy ?? '', p.signedBy ?? p.by, fmt(p.test?.dm, 3), fmt(p.test?.pValue, 4), String(p.test?.n ?? ''), p.reason ?? '']),
      );
      return 0;
    }
    const registry = registryServiceOf(db);
    const v = action === 'shadow' ? await registry.shadow(target!, by) : await registry.retire(target!, by);
    console.log(`${v.id} is now ${v.status}`);
    return 0;
  } finally {
    await db.close();
  }

  /** list, show and audit: one printing code whether the registry is read from the store or through a server. */
  async function print(reads: RegistryReads): Promise<number> {
    if (action === 'list') {
      const versions = await reads.versions({ ...(o.model ? { model: o.model } : {}), ...(o.status ? { status: o.status } : {}) });
      if (versions.length === 0) console.log('no model versions (train one with gridcast train)');
      else
        printTable(
          ['version', 'status', 'kind', 'series', 'train end', 'created', 'by', 'MAPE % (backtest)'],
          versions.map((v) => [v.id, v.status, v.kind, String(v.seriesIds.length), day(v.trainEnd), day(v.createdAt), v.createdBy, headlineMape(v)]),
        );
    } else if (action === 'show') {
      const v = await reads.version(target!);
      if (!v) throw new GridcastError('VERSION_NOT_FOUND', `no model version '${target}' (see 'gridcast models list')`, { id: target });
      const lines: Array<[string, string]> = [
        ['version', v.id],
        ['status', `${v.status} since ${v.statusAt.toISOString()}`],
        ['kind', `${v.kind} (spec v${v.spec.version}) ${JSON.stringify(v.spec.params)}`],
        ['features', v.features.join(', ')],
        ['series', v.seriesIds.join(', ')],
        ['training window', `${v.trainStart.toISOString()} … ${v.trainEnd.toISOString()}`],
        ['data sha256', v.dataHash],
        ['code version', v.codeVersion],
        ['created', `${v.createdAt.toISOString()} by ${v.createdBy}`],
      ];
      for (const [k, val] of lines) console.log(`${k.padEnd(16)} ${val}`);
      for (const line of weatherLines(v)) console.log(line);
      for (const w of v.warnings) console.log(`${'warning'.padEnd(16)} ${w}`);
      for (const [name, m] of Object.entries(v.metrics ?? {})) printBacktest(name, m as Parameters<typeof printBacktest>[1]);
    } else {
      const filter = target ? (target.includes('@') ? { entityId: target } : { model: target }) : {};
      const entries = await reads.audit({ ...filter, ...(o.limit ? { limit: o.limit } : {}) });
      printTable(
        ['at', 'actor', 'action', 'entity', 'from', 'to', 'reason', 'details'],
        entries.map((e) => [e.at.toISOString(), e.actor, e.action, e.entityId, e.fromStatus ?? '', e.toStatus ?? '', e.reason ?? '', JSON.stringify(e.details)]),
      );
    }
    return 0;
  }
}
