import { linkSync, readFileSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { resolve } from 'node:path';
import { GridcastError } from '../core/errors.ts';

/**
 * The exclusive lock of an embedded (PGlite) store directory. PGlite is PostgreSQL compiled to
 * wasm inside one process: a second process opening the same directory corrupts it or aborts
 * in wasm. The owner is a file `gridcast.lock` in the directory holding its pid, host, boot id
 * and command, and once `gridcast start` listens, the URL of its API (announceStoreUrl). It is created atomically (a hard link of a complete file: it never exists
 * half-written), removed on close or on exit, and taken over when its owner is gone: a process
 * that no longer exists, or a lock written before the machine last booted.
 */
export const STORE_LOCK_FILE = 'gridcast.lock';

interface Owner {
  pid: number;
  host: string;
  bootId: string | null;
  command: string;
  since: string;
  /** Where the owner serves the REST API, once it listens (gridcast start): the CLI reads through it. */
  url?: string;
}

export interface StoreLock {
  readonly path: string;
  release(): void;
}

/** Lock files this process holds (a second open of the same directory in-process is refused too). */
const held = new Map<string, { text: string }>();
process.once('exit', () => {
  for (const [path, { text }] of held) removeIfUnchanged(path, text);
});

function bootId(): string | null {
  try {
    return readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
  } catch {
    return null;
  }
}

function readOwner(path: string): { owner: Owner | null; text: string } | null {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw e;
  }
  try {
    const o = JSON.parse(text) as Owner;
    return { owner: Number.isInteger(o.pid) ? o : null, text };
  } catch {
    return { owner: null, text };
  }
}

/** Whether the owner may still be running. A process on another host cannot be checked: assume so. */
function ownerAlive(o: Owner): boolean {
  if (o.host !== hostname()) return true;
  const boot = bootId();
  if (o.bootId && boot && o.bootId !== boot) return false;
  // Our own pid not in `held`: a lock left by an earlier process that had our pid (e.g. pid 1 in a container).
  if (o.pid === process.pid) return false;
  try {
    process.kill(o.pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Creates `path` holding `text`, failing with EEXIST if it exists. */
function createExclusive(path: string, tmp: string, text: string): void {
  try {
    linkSync(tmp, path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    // Some mounted volumes have no hard links: an exclusive create is atomic too, only not complete at once.
    if (code === 'EEXIST' || !['EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'ENOSYS'].includes(code ?? '')) throw e;
    writeFileSync(path, text, { flag: 'wx' });
  }
}

function removeIfUnchanged(path: string, text: string): void {
  try {
    if (readFileSync(path, 'utf8') === text) unlinkSync(path);
  } catch {
    // already gone
  }
}

function lockedError(dir: string, path: string, o: Owner | null): GridcastError {
  const who = o
    ? `gridcast process ${o.pid}${o.host !== hostname() ? ` on host ${o.host}` : ''} (${o.command || 'gridcast'}, since ${o.since})`
    : 'another gridcast process';
  const stop = o && o.host === hostname() ? `stop it first (Ctrl-C where it runs, or kill -INT ${o.pid})` : 'stop it first';
  return new GridcastError(
    'STORE_LOCKED',
    `The store ${dir} is in use by ${who}. The embedded store takes one process at a time: ${stop} and run this command again, ` +
      `or set DATABASE_URL to a PostgreSQL database to share one store between processes. If that process is not running, delete ${path}.`,
    { dataDir: dir, lockFile: path, ...(o ? { pid: o.pid, host: o.host, command: o.command, since: o.since } : {}) },
  );
}

/**
 * Records in the lock this process holds on `dir` the URL its API listens on, so a command that
 * finds the store locked can read through the server instead. The file is replaced by a rename:
 * a reader sees the old owner or the new one, never half of it.
 */
export function announceStoreUrl(dir: string, url: string): void {
  const path = resolve(dir, STORE_LOCK_FILE);
  const mine = held.get(path);
  if (mine === undefined) return;
  const next = JSON.stringify({ ...(JSON.parse(mine.text) as Owner), url }) + '\n';
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, next);
  renameSync(tmp, path);
  mine.text = next;
}

/** The live process holding the store directory `dir` and the URL it serves, if any. */
export function storeOwner(dir: string): { pid: number; url: string | null } | null {
  const path = resolve(dir, STORE_LOCK_FILE);
  if (held.has(path)) return null;
  const found = readOwner(path);
  if (!found?.owner || !ownerAlive(found.owner)) return null;
  return { pid: found.owner.pid, url: typeof found.owner.url === 'string' ? found.owner.url : null };
}

/** Takes the lock of the store directory `dir`, or throws STORE_LOCKED naming its owner. */
export function lockStoreDir(dir: string): StoreLock {
  const path = resolve(dir, STORE_LOCK_FILE);
  if (held.has(path)) throw lockedError(dir, path, JSON.parse(held.get(path)!.text) as Owner);
  const owner: Owner = { pid: process.pid, host: hostname(), bootId: bootId(), command: process.argv.slice(2).join(' '), since: new Date().toISOString() };
  const text = JSON.stringify(owner) + '\n';
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, text);
  try {
    // Two rounds: a stale lock is removed once, then the link must succeed.
    for (let round = 0; round < 2; round++) {
      try {
        createExclusive(path, tmp, text);
        const mine = { text };
        held.set(path, mine);
        return {
          path,
          release() {
            if (held.get(path) !== mine) return;
            held.delete(path);
            removeIfUnchanged(path, mine.text);
          },
        };
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      }
      const found = readOwner(path);
      if (!found) continue; // released meanwhile
      // An unreadable lock file is not ours to judge (a writer never leaves one half-written).
      if (!found.owner || ownerAlive(found.owner)) throw lockedError(dir, path, found.owner);
      removeIfUnchanged(path, found.text);
    }
    throw lockedError(dir, path, readOwner(path)?.owner ?? null);
  } finally {
    try {
      unlinkSync(tmp);
    } catch {
      // nothing to clean
    }
  }
}
