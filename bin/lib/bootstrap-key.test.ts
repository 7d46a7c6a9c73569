import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ApiKeyService } from '../../api/auth/api-key.service.ts';
import { fakeApiKeyRepository } from '../../test/fake-api-keys.ts';
import { ensureAdminKey } from './bootstrap-key.ts';

describe('ensureAdminKey', () => {
  const dirs: string[] = [];
  afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));
  const setup = () => {
    const dir = mkdtempSync(join(tmpdir(), 'gridcast-key-'));
    dirs.push(dir);
    const lines: Array<[object, string | undefined]> = [];
    const log = { info: (o: object, m?: string) => void lines.push([o, m]), warn: () => {}, error: () => {} };
    return { dataDir: join(dir, 'data'), keys: new ApiKeyService(fakeApiKeyRepository()), log, lines };
  };

  it('writes a new admin key to <dataDir>/admin.key (0600) and logs the path, never the key', async () => {
    const { dataDir, keys, log, lines } = setup();
    const path = await ensureAdminKey(keys, dataDir, log);
    expect(path).toBe(join(dataDir, 'admin.key'));
    expect(statSync(path!).mode & 0o777).toBe(0o600);
    const key = readFileSync(path!, 'utf8').trim();
    expect(await keys.verify(key)).toMatchObject({ role: 'admin', name: 'admin-bootstrap' });
    expect(JSON.stringify(lines)).toContain(path);
    expect(JSON.stringify(lines)).not.toContain(key);
  });

  it('does nothing while an active admin key exists, and makes a new one once it is revoked', async () => {
    const { dataDir, keys, log } = setup();
    await keys.create({ name: 'boss', role: 'admin' });
    expect(await ensureAdminKey(keys, dataDir, log)).toBeNull();
    await keys.revoke('boss');
    expect(await ensureAdminKey(keys, dataDir, log)).toBe(join(dataDir, 'admin.key'));
  });

  it('takes the key back and says what to do when the file cannot be written', async () => {
    const { dataDir, keys, log } = setup();
    writeFileSync(dataDir, 'a file where the data directory should be');
    await expect(ensureAdminKey(keys, dataDir, log)).rejects.toMatchObject({ code: 'ADMIN_KEY_UNWRITABLE', message: expect.stringContaining('gridcast apikey create') });
    expect(await keys.hasActiveAdmin()).toBe(false);
  });
});
