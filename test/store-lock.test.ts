import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { isGridcastError } from '../core/errors.ts';
import { openPglite } from '../store/db.ts';
import { announceStoreUrl, STORE_LOCK_FILE } from '../store/store-lock.ts';

/**
 * One process at a time on an embedded store: a second `gridcast` command gets STORE_LOCKED
 * naming the owner (no wasm abort), the lock goes with its owner (close, exit or SIGKILL).
 */
const dir = mkdtempSync(join(tmpdir(), 'gridcast-lock-'));
const data = join(dir, 'data');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const cli = (args: string[]) => {
  const env: NodeJS.ProcessEnv = { ...process.env, GRIDCAST_DATA_DIR: data };
  delete env.DATABASE_URL;
  return spawnSync(process.execPath, ['bin/gridcast.mjs', ...args], { env, encoding: 'utf8', timeout: 60_000 });
};

function hold(): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['bin/run-ts.mjs', 'test/fixtures/store/hold-store.ts', data], { stdio: ['pipe', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    child.stdout!.once('data', () => resolve(child));
    child.once('exit', (code) => reject(new Error(`holder exited with ${code}`)));
  });
}

const codeOf = async (p: Promise<unknown>) => p.then(() => 'opened', (e: unknown) => (isGridcastError(e) ? e.code : String(e)));

describe('embedded store lock', () => {
  it('refuses a second process with STORE_LOCKED naming the owner, and frees the store when the owner is gone', async () => {
    const owner = await hold();
    try {
      const r = cli(['topology', 'show']);
      expect(r.status, r.stderr).toBe(1);
      expect(r.stderr).toMatch(new RegExp(`^gridcast: error STORE_LOCKED: The store .* is in use by gridcast process ${owner.pid} `));
      expect(r.stderr).toMatch(/DATABASE_URL/);
      expect(r.stderr).not.toMatch(/RuntimeError|wasm|Aborted/);
      // In-process too.
      expect(await codeOf(openPglite(data))).toBe('STORE_LOCKED');
    } finally {
      owner.kill('SIGKILL');
      await new Promise((r) => owner.once('exit', r));
    }
    // Killed: its lock file is left behind, and taken over since its pid is gone.
    expect(existsSync(join(data, STORE_LOCK_FILE))).toBe(true);
    const after = await openPglite(data);
    await after.close();
    expect(existsSync(join(data, STORE_LOCK_FILE))).toBe(false);
  });

  it('is released on close and refused to a second open in the same process; a lock from before the last boot is stale', async () => {
    const a = await openPglite(data);
    expect(await codeOf(openPglite(data))).toBe('STORE_LOCKED');
    await a.close();
    expect(existsSync(join(data, STORE_LOCK_FILE))).toBe(false);

    // A lock naming a running process (this one's parent) but written under another boot id.
    const lock = { pid: process.ppid, host: hostname(), bootId: 'another-boot', command: 'start', since: '2026-01-01T00:00:00.000Z' };
    writeFileSync(join(data, STORE_LOCK_FILE), JSON.stringify(lock));
    const bootKnown = existsSync('/proc/sys/kernel/random/boot_id');
    expect(await codeOf(openPglite(data).then((db) => db.close()))).toBe(bootKnown ? 'opened' : 'STORE_LOCKED');
    // The same lock from this boot: the owner runs, the store stays locked.
    if (bootKnown) {
      writeFileSync(join(data, STORE_LOCK_FILE), JSON.stringify({ ...lock, bootId: readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim() }));
      expect(await codeOf(openPglite(data))).toBe('STORE_LOCKED');
      rmSync(join(data, STORE_LOCK_FILE));
    }
  });

  it('records the URL its owner serves, and is still released on close', async () => {
    const db = await openPglite(data);
    announceStoreUrl(data, 'http://127.0.0.1:8123');
    expect(JSON.parse(readFileSync(join(data, STORE_LOCK_FILE), 'utf8'))).toMatchObject({ pid: process.pid, url: 'http://127.0.0.1:8123' });
    await db.close();
    expect(existsSync(join(data, STORE_LOCK_FILE))).toBe(false);
  });
});
