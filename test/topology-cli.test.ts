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
    expect(loaded.stdout).toMatch(/^\S+default-grid\.yaml: 33 added, 0 changed, 0 unchanged\nadded: fr, fr\.north, /);
  }, 120_000);
});

// What a reload reports, and the stored tree in natural order: the output does not depend on the backend.
describe(`gridcast topology reload and show on ${backends.at(-1)}`, () => {
  let store: Awaited<ReturnType<typeof cliStore>>;
  const dir = mkdtempSync(join(tmpdir(), 'gridcast-topo-'));
  beforeAll(async () => {
    store = await cliStore(backends.at(-1)!);
  });
  afterAll(async () => {
    await store?.cleanup();
    rmSync(dir, { recursive: true, force: true });
  });

  it('reports only what changed and shows z2 before z10', async () => {
    const env = { ...process.env, ...store.env };
    const file = join(dir, 'grid.yaml');
    const nodes = [
      '  - { id: root, kind: load, unit: MW }',
      '  - { id: z10, parent: root, kind: load, unit: MW }',
      '  - { id: z2, parent: root, kind: load, unit: MW }',
      '  - { id: z1, parent: root, kind: load, unit: MW }',
      '  - { id: sub-10, parent: z1, kind: load, unit: MW }',
      '  - { id: sub-2, parent: z1, kind: load, unit: MW }',
    ];
    writeFileSync(file, `timeZone: UTC\nnodes:\n${nodes.join('\n')}\n`);
    expect((await run('node', [CLI, 'topology', 'load', file], { env })).stdout).toBe(`${file}: 6 added, 0 changed, 0 unchanged\nadded: root, sub-2, sub-10, z1, z2, z10\n`);
    const same = await run('node', [CLI, 'topology', 'load', file], { env });
    expect(same.stdout).toBe(`${file}: no change (6 nodes, all stored as in the file)\n`);

    writeFileSync(file, `timeZone: UTC\nnodes:\n${nodes.filter((n) => !n.includes('sub-10')).join('\n').replace('id: z2,', 'id: z2, name: Zone 2,')}\n`);
    const edited = await run('node', [CLI, 'topology', 'load', file], { env });
    expect(edited.stdout).toBe(`${file}: 0 added, 1 changed, 4 unchanged\nchanged z2: name (none) → "Zone 2"\n`);
    expect(edited.stderr).toBe(`warning: sub-10 is stored under this hierarchy but not in ${file}: kept, and still summed into its parent (gridcast never deletes a series)\n`);

    const shown = await run('node', [CLI, 'topology', 'show'], { env });
    expect(shown.stdout).toBe(['root (load, MW)', '  z1 (load, MW)', '    sub-2 (load, MW)', '    sub-10 (load, MW)', '  z2 "Zone 2" (load, MW)', '  z10 (load, MW)', ''].join('\n'));
  }, 120_000);
});
