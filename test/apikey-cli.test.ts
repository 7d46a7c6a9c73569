import { execFile } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiKeyService } from '../api/auth/api-key.service.ts';
import { apiKeysRepository } from '../store/api-keys.repository.ts';
import { cliStore } from './aggregates-fixtures.ts';

const CLI = new URL('../bin/gridcast.mjs', import.meta.url).pathname;

const gridcast = (args: string[], env: NodeJS.ProcessEnv) =>
  new Promise<{ code: number; stdout: string; stderr: string }>((done) =>
    execFile(process.execPath, [CLI, ...args], { env: { ...process.env, GRIDCAST_CONFIG: '', ...env } }, (err, stdout, stderr) =>
      done({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr }),
    ),
  );

// One backend: the commands are thin over the service and repository, which run on both in their own tests.
describe('gridcast apikey (pglite, real CLI)', () => {
  let store: Awaited<ReturnType<typeof cliStore>>;
  beforeAll(async () => {
    store = await cliStore('pglite');
  });
  afterAll(async () => {
    await store?.cleanup();
  });

  it('creates a key shown once on the last line, lists it without secrets, revokes it', async () => {
    const created = await gridcast(['apikey', 'create', '--name', 'scada-gw', '--role', 'operator'], store.env);
    expect(created, created.stderr).toMatchObject({ code: 0, stderr: '' });
    const lines = created.stdout.trimEnd().split('\n');
    const key = lines.at(-1)!;
    expect(key).toMatch(/^gck_[0-9a-f]{12}_[A-Za-z0-9_-]{43}$/);
    expect(lines[0]).toMatch(/^created API key 'scada-gw': id [0-9a-f]{12}, role operator;/);

    const db = await store.open();
    try {
      expect(await new ApiKeyService(apiKeysRepository(db)).verify(key)).toMatchObject({ name: 'scada-gw', role: 'operator' });
    } finally {
      await db.close();
    }

    const taken = await gridcast(['apikey', 'create', '--name', 'scada-gw', '--role', 'viewer'], store.env);
    expect(taken.code).toBe(1);
    expect(taken.stderr).toMatch(/^gridcast: error APIKEY_NAME_TAKEN: /);

    const listed = await gridcast(['apikey', 'list'], store.env);
    expect(listed.code).toBe(0);
    expect(listed.stdout).toMatch(/^id +name +role +created +last used +revoked\n[0-9a-f]{12} +scada-gw +operator +\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ +\d{4}-.*Z +-\n$/);
    expect(listed.stdout).not.toContain(key.slice(17));

    const revoked = await gridcast(['apikey', 'revoke', 'scada-gw'], store.env);
    expect(revoked).toMatchObject({ code: 0, stdout: expect.stringMatching(/^revoked API key 'scada-gw' \(id [0-9a-f]{12}, role operator\)\n$/) });
    expect((await gridcast(['apikey', 'list'], store.env)).stdout).toMatch(/operator +\S+ +\S+ +\d{4}-\d\d-\d\dT\S+Z\n$/);
    const again = await gridcast(['apikey', 'revoke', 'scada-gw'], store.env);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/^gridcast: error APIKEY_NOT_FOUND: /);
  });
});
