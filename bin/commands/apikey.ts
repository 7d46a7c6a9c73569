import { parseArgs } from 'node:util';
import { z } from 'zod';
import { loadConfig } from '../../core/config.ts';
import { ROLES } from '../../api/auth/roles.ts';
import { KeyName, type ApiKeyInfo } from '../../api/auth/api-key.service.ts';
import { openStore } from '../../store/open.ts';
import { apiKeyService } from '../lib/app-deps.ts';
import { usageError, usageText } from '../lib/cli.ts';

export const summary = 'create, list and revoke API keys of the REST API';

const ROLE_NOTE = `  roles: ${ROLES.join(', ')} (admin covers every role; operator and data-scientist cover viewer)`;
export const subcommands = {
  create: usageText(
    ['gridcast apikey create --name NAME --role ROLE'],
    `  prints the key's details, then the key alone on the last line; it is shown only now (the store keeps a hash)\n${ROLE_NOTE}`,
  ),
  list: usageText(['gridcast apikey list'], '  every key: id, name, role, created, last used, revoked (never a secret)'),
  revoke: usageText(['gridcast apikey revoke ID|NAME'], '  the key stops working at once on this store (a running server may accept it for up to a minute)'),
};
export const usage = usageText(['gridcast apikey create --name NAME --role ROLE', 'gridcast apikey list', 'gridcast apikey revoke ID|NAME'], ROLE_NOTE);

const CreateArgs = z.object({
  name: z.string({ error: '--name is required' }).pipe(KeyName),
  role: z.enum(ROLES, { error: `--role must be one of ${ROLES.join(', ')}` }),
});

const when = (d: Date | null) => (d ? d.toISOString().replace(/\.\d{3}Z$/, 'Z') : '-');

function table(keys: ApiKeyInfo[]): string {
  const rows = [['id', 'name', 'role', 'created', 'last used', 'revoked'], ...keys.map((k) => [k.id, k.name, k.role, when(k.createdAt), when(k.lastUsedAt), when(k.revokedAt)])];
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  return rows.map((r) => r.map((c, i) => c.padEnd(widths[i])).join('  ').trimEnd()).join('\n') + '\n';
}

export async function run(args: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ args, allowPositionals: true, options: { name: { type: 'string' }, role: { type: 'string' } } });
  } catch (e) {
    throw usageError((e as Error).message);
  }
  const [action, target, ...rest] = parsed.positionals;
  if (action !== 'create' && action !== 'list' && action !== 'revoke') throw usageError(action ? `unknown action '${action}': create, list or revoke` : 'give an action: create, list or revoke');
  if (rest.length > 0 || (target !== undefined && action !== 'revoke')) throw usageError(`unexpected argument '${rest[0] ?? target}'`);
  if (action !== 'create' && (parsed.values.name !== undefined || parsed.values.role !== undefined)) throw usageError(`--name and --role go with 'apikey create'`);
  if (action === 'revoke' && !target) throw usageError('apikey revoke needs the ID or NAME of a key (see gridcast apikey list)');
  const create = action === 'create' ? CreateArgs.safeParse(parsed.values) : undefined;
  if (create && !create.success) throw usageError(create.error.issues.map((i) => i.message).join('; '));

  const db = await openStore(loadConfig());
  try {
    const keys = apiKeyService(db);
    if (create?.success) {
      const { key, info } = await keys.create(create.data);
      process.stdout.write(`created API key '${info.name}': id ${info.id}, role ${info.role}; it is shown only now, keep it safe\n${key}\n`);
    } else if (action === 'list') {
      process.stdout.write(table(await keys.list()));
    } else {
      const info = await keys.revoke(target!);
      process.stdout.write(`revoked API key '${info.name}' (id ${info.id}, role ${info.role})\n`);
    }
    return 0;
  } finally {
    await db.close();
  }
}
