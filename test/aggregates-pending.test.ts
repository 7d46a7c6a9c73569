import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Log } from '../core/log.ts';
import { ingestCsvFile } from '../ingest/csv/ingest-csv.ts';
import { ingestStore } from '../store/ingest.repository.ts';
import type { Db } from '../store/db.ts';
import { openStore } from '../store/open.ts';
import { backends } from './db.ts';
import { cliStore, createSeries } from './aggregates-fixtures.ts';

/**
 * `gridcast ingest csv` commits its rows with dirty marks and stores the aggregates after the
 * commit. Killed in between, the marks stay: the next process that opens the store stores them
 * (a one-shot command within its budget, `start` all of them).
 */
const dir = mkdtempSync(join(tmpdir(), 'gridcast-pending-'));
const file = join(dir, 'import.csv');
const SERIES = ['p-1', 'p-2', 'p-3'];
const lines = ['series_id,ts,value'];
for (let t = Date.parse('2026-01-01T00:00:00Z'); t < Date.parse('2026-01-11T00:00:00Z'); t += 600_000) {
  for (const s of SERIES) lines.push(`${s},${new Date(t).toISOString()},${(t / 600_000) % 97}`);
}
writeFileSync(file, lines.join('\n') + '\n');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function recordingLog(): Log & { lines: Array<{ level: string; msg?: string; obj: Record<string, unknown> }> } {
  const out: Array<{ level: string; msg?: string; obj: Record<string, unknown> }> = [];
  const at = (level: string) => (obj: object, msg?: string) => void out.push({ level, msg, obj: obj as Record<string, unknown> });
  return { lines: out, info: at('info'), warn: at('warn'), error: at('error') };
}

const state = async (db: Db) =>
  (
    await db.query<{ marks: number; h: number; want: number }>(
      `SELECT (SELECT count(*) FROM aggregates_dirty)::int AS marks, (SELECT count(*) FROM measurements_1h)::int AS h,
         (SELECT count(DISTINCT (series_id, date_trunc('hour', ts AT TIME ZONE 'UTC'))) FROM measurements)::int AS want`,
    )
  ).rows[0];

describe.each(backends)('aggregates left pending by a killed import (%s)', (kind) => {
  it('are stored by the next command that opens the store, within its budget', async () => {
    const store = await cliStore(kind);
    try {
      // The import commits its rows with marks only; the process dies before it stores them.
      let db = await store.open();
      await createSeries(db, SERIES.map((id) => ({ id, unit: 'MW' })));
      expect((await ingestCsvFile(ingestStore(db), file, { deferAggregates: true })).status).toBe('committed');
      const killed = await state(db);
      expect(killed.marks).toBeGreaterThan(0);
      expect(killed.h).toBe(0);
      await db.close();

      // A command with no time to spare leaves them and says so.
      const config = kind === 'pg' ? { databaseUrl: store.env.DATABASE_URL, dataDir: './data' } : { dataDir: store.env.GRIDCAST_DATA_DIR! };
      const log = recordingLog();
      db = await openStore(config, { pendingAggregatesBudgetMs: 0, log });
      expect(await state(db)).toEqual(killed);
      await db.close();
      expect(log.lines).toEqual([expect.objectContaining({ level: 'warn', obj: expect.objectContaining({ stored: 0, left: killed.marks }) })]);

      // Any command opening the store with its default budget stores them.
      db = await store.open();
      const after = await state(db);
      await db.close();
      expect(after.marks).toBe(0);
      expect(after.h).toBe(after.want);
      expect(after.h).toBe(SERIES.length * 240);
    } finally {
      await store.cleanup();
    }
  });
});
