import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPg } from '../store/db.ts';
import { backends, scratchSchema } from './db.ts';

const CLI = new URL('../bin/gridcast.mjs', import.meta.url).pathname;

describe.each(backends)('gridcast start on a busy port (%s)', (kind) => {
  let busy: Server;
  let port: number;
  let dir: string;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'gridcast-port-'));
    busy = createServer();
    await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', resolve));
    port = (busy.address() as { port: number }).port;
  });
  afterAll(async () => {
    await new Promise((resolve) => busy.close(resolve));
    rmSync(dir, { recursive: true, force: true });
  });

  it('stops with PORT_IN_USE and the hint before it opens, migrates or fills the store', async () => {
    const scratch = kind === 'pg' ? await scratchSchema(process.env.TEST_DATABASE_URL!, 't_port') : undefined;
    const dataDir = join(dir, 'data');
    try {
      const env = { ...process.env, PORT: String(port), HOST: '127.0.0.1', GRIDCAST_DATA_DIR: dataDir, DATABASE_URL: scratch?.url ?? '', GRIDCAST_CONFIG: '' };
      const r = await new Promise<{ code: number; stdout: string; stderr: string }>((done) =>
        execFile(process.execPath, [CLI, 'start'], { env }, (err, stdout, stderr) => done({ code: err ? Number(err.code) : 0, stdout, stderr })),
      );
      expect(r.code, r.stderr).toBe(1);
      expect(r.stderr).toBe(`gridcast: error PORT_IN_USE: port ${port} on 127.0.0.1 is in use; stop the other process or set PORT=... (or port in the config file) to a free port\n`);
      expect(r.stdout).toBe('');
      // Nothing written: no embedded store created, no table in the PostgreSQL schema.
      expect(existsSync(dataDir)).toBe(false);
      if (scratch) {
        const db = await openPg(scratch.url, 1);
        try {
          const { rows } = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM information_schema.tables WHERE table_schema = current_schema()');
          expect(rows[0].n).toBe(0);
        } finally {
          await db.close();
        }
      }
    } finally {
      await scratch?.drop();
    }
  });
});
