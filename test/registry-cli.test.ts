import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { simulatedLoad } from './backtest-fixtures.ts';
import { cliStore } from './aggregates-fixtures.ts';
import { backends } from './db.ts';

const CLI = fileURLToPath(new URL('../bin/gridcast.mjs', import.meta.url));
const TOPOLOGY = fileURLToPath(new URL('./fixtures/registry/grid.yaml', import.meta.url));

function spawn(env: NodeJS.ProcessEnv, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((done) => {
    execFile(process.execPath, [CLI, ...args], { env: { ...process.env, FORCE_COLOR: '0', ...env } }, (err, stdout, stderr) => {
      done({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr });
    });
  });
}

// The whole life cycle through the real command; one backend (PostgreSQL when available) keeps it short.
const kind = backends.at(-1)!;

describe(`gridcast train / promote / models on ${kind}`, () => {
  let store: Awaited<ReturnType<typeof cliStore>>;
  let dir: string;
  const gridcast = (...args: string[]) => spawn(store.env, args);

  beforeAll(async () => {
    store = await cliStore(kind);
    dir = mkdtempSync(join(tmpdir(), 'gridcast-registry-'));
    const lines = ['series_id,ts,value'];
    for (const [id, level] of [['feeder.a', 100], ['feeder.b', 60]] as const) {
      const s = simulatedLoad(id, '2025-01-06T00:00:00Z', 21 * 24, level);
      s.values.forEach((v, i) => lines.push(`${id},${new Date(s.start.getTime() + i * 3_600_000).toISOString()},${v.toFixed(3)}`));
    }
    writeFileSync(join(dir, 'load.csv'), lines.join('\n') + '\n');
    expect((await gridcast('topology', 'load', TOPOLOGY)).code).toBe(0);
    expect((await gridcast('ingest', 'csv', join(dir, 'load.csv'))).code).toBe(0);
  });
  afterAll(async () => {
    await store?.cleanup();
    rmSync(dir, { recursive: true, force: true });
  });

  it('trains two candidates, promotes them in turn and shows the registry and its audit log', async () => {
    // The actuals end 2025-01-27T00:00Z: the backtest scores the two days after the window.
    const t1 = await gridcast('train', '--model', 'grid', '--kind', 'seasonal-naive', '--train-end', '2025-01-24T00:00:00Z', '--backtest', 'next-2-days', '--origins', '2', '--by', 'alice');
    expect(t1.stderr).toBe('');
    expect(t1.code).toBe(0);
    expect(t1.stdout).toContain('registered grid@1 (candidate): seasonal-naive on 3 series, 2022-01-25T00:00:00.000Z … 2025-01-24T00:00:00.000Z');
    expect(t1.stdout).toMatch(/backtest next-2-days: 2 origins × 24 h, 2025-01-24T23:00:00\.000Z … 2025-01-25T23:00:00\.000Z/);
    expect(t1.stdout).toMatch(/^feeder\.a\s+\d+\.\d\d\s/m);
    const t2 = await gridcast('train', '--model', 'grid', '--kind', 'profile', '--series', 'feeder.a,feeder.b', '--history-days', '14', '--train-end', '2025-01-26T00:00:00Z');
    expect(t2.stdout).toContain('registered grid@2 (candidate): profile on 2 series, 2025-01-12T00:00:00.000Z … 2025-01-26T00:00:00.000Z');

    expect((await gridcast('promote', 'grid@1', '--reason', 'first model', '--by', 'carol')).stdout).toContain('grid@1 is now the champion of grid (it had no champion)');
    // Over a champion the paired test decides: grid@2 never ran in shadow, so it has no paired errors.
    const p2 = await gridcast('promote', 'grid@2', '--reason', 'profile is steadier');
    expect(p2.code).toBe(1);
    expect(p2.stderr).toMatch(/^gridcast: error PROMOTION_REFUSED: promotion of grid@2 refused: 0 paired errors, fewer than the 72 required/);

    const again = await gridcast('promote', 'grid@1', '--reason', 'back');
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/^gridcast: error VERSION_ALREADY_CHAMPION: /);
    const retired = await gridcast('models', 'retire', 'grid@2', '--reason', 'not better');
    expect(retired.stdout).toContain('grid@2 is now retired');

    const list = (await gridcast('models', 'list')).stdout.split('\n');
    expect(list[0]).toMatch(/^version\s+status\s+kind/);
    expect(list.find((l) => l.startsWith('grid@1'))).toMatch(/grid@1\s+champion\s+seasonal-naive\s+3\s.*alice\s+[\d.]+ \(next-2-days\)/);
    expect(list.find((l) => l.startsWith('grid@2'))).toMatch(/grid@2\s+retired\s+profile\s+2\s/);

    const show = (await gridcast('models', 'show', 'grid@2')).stdout;
    expect(show).toMatch(/^data sha256\s+[0-9a-f]{64}$/m);
    expect(show).toMatch(/^code version\s+\S+$/m);
    expect(show).toMatch(/^status\s+retired since /m);

    const audit = (await gridcast('models', 'audit', 'grid')).stdout.trim().split('\n').slice(1);
    const rows = audit.map((l) => l.split(/\s{2,}/).slice(1, 6));
    const me = userInfo().username;
    expect(rows).toEqual([
      ['alice', 'register', 'grid@1', 'candidate', 'trained seasonal-naive on 3 series'],
      [me, 'register', 'grid@2', 'candidate', 'trained profile on 2 series'],
      ['carol', 'propose', 'grid@1', 'candidate', 'candidate'],
      ['carol', 'promote', 'grid@1', 'candidate', 'champion'],
      [me, 'propose', 'grid@2', 'candidate', 'candidate'],
      [me, 'promote-refused', 'grid@2', 'candidate', 'candidate'],
      [me, 'retire', 'grid@2', 'candidate', 'retired'],
    ]);
  });
});

// Arguments are checked before any store is opened.
it.concurrent.each([
  [['promote', 'grid@1'], /--reason is required/],
  [['train', '--model', 'm', '--kind', 'prophet'], /--kind must be one of/],
  [['train', '--model', 'm', '--kind', 'profile', '--series', 'a', '--root', 'r'], /--series and --root exclude each other/],
  [['models', 'retire', 'grid@1'], /--reason is required/],
])('gridcast %j is refused with exit code 2', async (args, message) => {
  const r = await spawn({}, args);
  expect(r.code).toBe(2);
  expect(r.stderr).toMatch(/^gridcast: error USAGE: /);
  expect(r.stderr).toMatch(message);
});
