import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { DEFAULT_GRID_PATH } from '../ingest/simulator/default-grid.ts';
import { backends } from './db.ts';
import { cliStore } from './aggregates-fixtures.ts';

const run = promisify(execFile);
const CLI = new URL('../bin/gridcast.mjs', import.meta.url).pathname;

describe('gridcast topology without a store', () => {
  const dir = mkdtempSync(join(tmpdir(), 'gridcast-topo-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('shows a file as a tree and reports a bad file with its code and node', async () => {
    const { stdout } = await run('node', [CLI, 'topology', 'show', DEFAULT_GRID_PATH]);
    expect(stdout).toMatch(/^fr "Nation" \(load, MW\)\n {2}fr\.north/);
    expect(stdout).toContain('    train.rer-b "Suburban line B" (load, MW; moving load over ss.saint-denis+ss.paris-nord+ss.paris-sud (average))');
    const bad = join(dir, 'bad.yaml');
    writeFileSync(bad, 'nodes:\n  - { id: a, kind: load, unit: MW }\n  - { id: b, parent: a, kind: load, unit: kW }\n');
    const failed = await run('node', [CLI, 'topology', 'load', bad]).then(
      () => undefined,
      (e: { code: number; stderr: string }) => e,
    );
    expect(failed?.code).toBe(1);
    expect(failed?.stderr).toContain("TOPOLOGY_UNIT_MISMATCH: Topology node 'b'");
  });
});

describe.each(backends)('gridcast topology load/show on %s', (kind) => {
  let store: Awaited<ReturnType<typeof cliStore>>;
  beforeAll(async () => {
    store = await cliStore(kind);
  });
  afterAll(() => store?.cleanup());

  // Reading back and printing the stored tree are covered in-process (topology-store, show FILE): one CLI start per backend is enough.
  it('stores the default grid, and reports what it stored', async () => {
    const env = { ...process.env, ...store.env };
    const loaded = await run('node', [CLI, 'topology', 'load', DEFAULT_GRID_PATH], { env });
    expect(loaded.stdout).toContain('33 nodes stored (33 new, 0 updated)');
  }, 120_000);
});
