import { describe, expect, it } from 'vitest';
import { backends, freshDb } from '../test/db.ts';
import { planMigrations } from './migrate.ts';
import { timescaleAvailable } from './timescale.ts';

describe('planMigrations', () => {
  it('applies shared files everywhere and variants only on their backend', () => {
    const plan = planMigrations(['010_aggregates.sql', '011_timescale.timescale.sql', '012_x.plain.sql', '012_x.timescale.sql', 'README.md']);
    expect(plan).toEqual([
      { version: '010_aggregates', files: { timescale: '010_aggregates.sql', plain: '010_aggregates.sql' } },
      { version: '011_timescale', files: { timescale: '011_timescale.timescale.sql' } },
      { version: '012_x', files: { plain: '012_x.plain.sql', timescale: '012_x.timescale.sql' } },
    ]);
  });

  it('refuses a version with a shared file and a variant', () => {
    expect(() => planMigrations(['013_y.sql', '013_y.plain.sql'])).toThrow(expect.objectContaining({ code: 'MIGRATION_CONFLICT' }));
  });
});

describe.each(backends)('migrations without TimescaleDB on %s', (kind) => {
  it('skips the TimescaleDB-only version and records the file of each applied one', async () => {
    const db = await freshDb(kind);
    try {
      expect(await timescaleAvailable(db)).toBe(false);
      const { rows } = await db.query<{ version: string; file: string }>('SELECT version, file FROM schema_migrations ORDER BY version');
      expect(rows).toContainEqual({ version: '010_aggregates', file: '010_aggregates.sql' });
      expect(rows.map((r) => r.version)).not.toContain('011_timescale');
    } finally {
      await db.close();
    }
  });
});
