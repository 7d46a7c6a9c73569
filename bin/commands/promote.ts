import { parseArgs } from 'node:util';
import { z } from 'zod';
import { loadConfig } from '../../core/config.ts';
import { promoteVersion } from '../../forecast/registry/service.ts';
import { openStore } from '../../store/open.ts';
import { usageError, usageText } from '../lib/cli.ts';
import { actorOf } from './models.ts';

export const summary = 'make a model version the champion of its model (the previous champion is retired), with a reason';

export const usage = usageText(
  ['gridcast promote VERSION --reason TEXT [--by USER]'],
  '  VERSION: MODEL@N as listed by gridcast models, e.g. load@3\n  --by: who promotes (default: the login user); the change and its reason go to the audit log',
);

const Args = z.object({
  version: z.string({ error: 'VERSION is required' }).regex(/^[^@\s]+@\d+$/, 'VERSION must look like MODEL@N, e.g. load@3'),
  reason: z.string({ error: '--reason is required: say why this version should serve' }).trim().min(1, '--reason must not be empty'),
  by: z.string().min(1, '--by must name someone').optional(),
});

export async function run(args: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ args, allowPositionals: true, options: { reason: { type: 'string' }, by: { type: 'string' } } });
  } catch (e) {
    throw usageError((e as Error).message);
  }
  if (parsed.positionals.length > 1) throw usageError(`one VERSION only, got ${parsed.positionals.join(' ')}`);
  const a = Args.safeParse({ version: parsed.positionals[0], ...parsed.values });
  if (!a.success) throw usageError(a.error.issues.map((i) => i.message).join('; '));
  const db = await openStore(loadConfig());
  try {
    const { version, previousChampion } = await promoteVersion(db, a.data.version, { actor: actorOf(a.data.by), reason: a.data.reason });
    console.log(
      `${version.id} is now the champion of ${version.model}` + (previousChampion ? ` (${previousChampion.id} retired; it stays in the registry)` : ' (it had no champion)'),
    );
    return 0;
  } finally {
    await db.close();
  }
}
