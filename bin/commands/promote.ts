import { parseArgs } from 'node:util';
import { z } from 'zod';
import { loadConfig } from '../../core/config.ts';
import { openStore } from '../../store/open.ts';
import { usageError, usageText } from '../lib/cli.ts';
import { promotionServiceOf } from '../lib/promotion-service.ts';
import { actorOf } from './models.ts';

export const summary = 'make a model version the champion of its model (the previous champion is retired), with a reason, if it passes the promotion rule';

export const usage = usageText(
  ['gridcast promote VERSION --reason TEXT [--by USER] [--replace-overlap]'],
  `  VERSION: MODEL@N as listed by gridcast models, e.g. load@3
  --by: who promotes (default: the login user); the change and its reason go to the audit log
  --replace-overlap: VERSION serves the series it shares with another model's champion (refused otherwise: CHAMPION_OVERLAP)
  The store's owner acts as admin: a model's first champion needs only this sign-off. Over a champion, VERSION
  must pass the paired test on its shadow period (config promotion.rule; see gridcast models compare), else
  PROMOTION_REFUSED; with promotion.twoPerson one person cannot propose and sign off: use the API's proposals.`,
);

const Args = z.object({
  version: z.string({ error: 'VERSION is required' }).regex(/^[^@\s]+@\d+$/, 'VERSION must look like MODEL@N, e.g. load@3'),
  reason: z.string({ error: '--reason is required: say why this version should serve' }).trim().min(1, '--reason must not be empty'),
  by: z.string().min(1, '--by must name someone').optional(),
  'replace-overlap': z.boolean().optional(),
});

export async function run(args: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ args, allowPositionals: true, options: { reason: { type: 'string' }, by: { type: 'string' }, 'replace-overlap': { type: 'boolean' } } });
  } catch (e) {
    throw usageError((e as Error).message);
  }
  if (parsed.positionals.length > 1) throw usageError(`one VERSION only, got ${parsed.positionals.join(' ')}`);
  const a = Args.safeParse({ version: parsed.positionals[0], ...parsed.values });
  if (!a.success) throw usageError(a.error.issues.map((i) => i.message).join('; '));
  const config = loadConfig();
  const db = await openStore(config);
  try {
    const { version, previousChampion, overlaps, proposal } = await promotionServiceOf(db, config).promote(a.data.version, {
      actor: actorOf(a.data.by),
      reason: a.data.reason,
      ...(a.data['replace-overlap'] ? { replaceOverlap: true } : {}),
    });
    console.log(
      `${version.id} is now the champion of ${version.model}` + (previousChampion ? ` (${previousChampion.id} retired; it stays in the registry)` : ' (it had no champion)'),
    );
    if (proposal.test.compared) console.log(`paired test: ${proposal.test.reason}`);
    for (const o of overlaps) console.log(`it now serves ${o.series.join(', ')} instead of ${o.id} (--replace-overlap; audited)`);
    return 0;
  } finally {
    await db.close();
  }
}
