import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { loadConfig } from '../../core/config.ts';
import { timeInZone } from '../../core/time-input.ts';
import { compareVersions, comparisonReport, pairedErrorsCsv, type ComparisonReport } from '../../monitoring/compare.service.ts';
import { comparisonRepository } from '../../store/comparison.repository.ts';
import { usageError, usageText } from './cli.ts';
import { readStoreOrServer } from './through-server.ts';
import { printTable } from '../commands/models.ts';

export const SYNOPSIS = 'gridcast models compare CHAMPION CHALLENGER [--from T] [--to T] [--format text|json] [--errors-out FILE.csv]';
export const usage = usageText(
  [SYNOPSIS],
  `  the champion's published forecasts against the challenger's shadow forecasts of the same series, hour and run,
  scored on the actuals: Diebold–Mariano (HLN correction, HAC variance, squared-error loss) over all paired errors,
  per lead and on the per-run mean loss. The printed test is dm.test(champion_error, challenger_error, h, power = 2)
  over exactly the rows --errors-out writes (ts,series_id,lead,champion_error,challenger_error; error = actual − forecast).
  h is the largest lead in hours (lead 1: the hour starting at the run's origin).
  --from/--to: target times, half-open [from, to) (a date is a local day of config.timeZone); default: all, up to now`,
);

const Args = z.object({
  champion: z.string({ error: 'CHAMPION is required (MODEL@N)' }).regex(/^[^@\s]+@\d+$/, 'CHAMPION must look like MODEL@N'),
  challenger: z.string({ error: 'CHALLENGER is required (MODEL@N)' }).regex(/^[^@\s]+@\d+$/, 'CHALLENGER must look like MODEL@N'),
  from: z.string().optional(),
  to: z.string().optional(),
  format: z.enum(['text', 'json'], { error: '--format must be text or json' }).default('text'),
  'errors-out': z.string().min(1).optional(),
});

const num = (x: number | null, d = 4) => (x === null || !Number.isFinite(x) ? '—' : Math.abs(x) >= 1e4 || (x !== 0 && Math.abs(x) < 1e-3) ? x.toExponential(3) : x.toFixed(d));

export async function run(args: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ args, allowPositionals: true, options: { from: { type: 'string' }, to: { type: 'string' }, format: { type: 'string' }, 'errors-out': { type: 'string' } } });
  } catch (e) {
    throw usageError((e as Error).message);
  }
  if (parsed.positionals.length > 2) throw usageError(`CHAMPION and CHALLENGER only, got ${parsed.positionals.join(' ')}`);
  const a = Args.safeParse({ champion: parsed.positionals[0], challenger: parsed.positionals[1], ...parsed.values });
  if (!a.success) throw usageError(a.error.issues.map((i) => i.message).join('; '));
  const config = loadConfig();
  const from = a.data.from ? timeInZone(a.data.from, config.timeZone, '--from') : new Date(0);
  const to = a.data.to ? timeInZone(a.data.to, config.timeZone, '--to') : new Date();
  const withErrors = a.data['errors-out'] !== undefined;
  const report = await readStoreOrServer<ComparisonReport>(
    config,
    async (db) => comparisonReport(await compareVersions(comparisonRepository(db), { champion: a.data.champion, challenger: a.data.challenger, from, to }), withErrors),
    (api) =>
      api.get<ComparisonReport>(`/models/${encodeURIComponent(a.data.champion.split('@')[0])}/compare`, {
        champion: a.data.champion,
        challenger: a.data.challenger,
        from: from.toISOString(),
        to: to.toISOString(),
        ...(withErrors ? { errors: 'true' } : {}),
      }),
  );
  if (withErrors) writeFileSync(a.data['errors-out']!, pairedErrorsCsv(report.errors ?? []));
  const { errors: _errors, ...shown } = report;
  if (a.data.format === 'json') {
    console.log(JSON.stringify(shown, null, 2));
    return 0;
  }
  console.log(`${report.champion} (champion, published) vs ${report.challenger} (challenger, shadow), targets ${report.from} … ${report.to}: ${report.n} paired errors`);
  if (report.dm === null) {
    console.log('too few paired errors for a test (need 3): let the challenger run in shadow longer');
    return 0;
  }
  console.log(`Diebold–Mariano ${num(report.dm)} (h ${report.h}, power 2, HLN-corrected), p-value ${num(report.pValue)} (two-sided)`);
  console.log(`mean loss difference (champion − challenger, squared error) ${num(report.meanLossDiff)}, ${(report.level! * 100).toFixed(0)} % CI [${num(report.ci![0])}, ${num(report.ci![1])}]`);
  if (report.daily) console.log(`per run mean loss (${report.daily.n} runs, h ${report.daily.h}): DM ${num(report.daily.dm)}, p-value ${num(report.daily.pValue)}, mean loss difference ${num(report.daily.meanLossDiff)}`);
  printTable(
    ['lead h', 'pairs', 'DM', 'p-value', 'HAC h', 'mean loss diff'],
    report.perLead.map((p) => [String(p.lead), String(p.n), num(p.dm), num(p.pValue), String(p.h), num(p.meanLossDiff)]),
  );
  if (withErrors) console.log(`paired errors written to ${a.data['errors-out']}`);
  return 0;
}
