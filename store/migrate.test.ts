import { describe, expect, it } from 'vitest';
import { backends, freshDb } from '../test/db.ts';
import { migrate } from './migrate.ts';

describe.each(backends)('migrate on %s', (kind) => {
  it('applies every migration once and is idempotent', async () => {
    const db = await freshDb(kind);
    try {
      const again = await migrate(db);
      expect(again).toEqual([]);
      const { rows } = await db.query<{ version: string }>('SELECT version FROM schema_migrations ORDER BY version');
      expect(rows.map((r) => r.version)).toContain('001_core');
      const tz = await db.query<{ tz: string }>("SELECT extract(timezone FROM now()) AS tz");
      expect(Number(tz.rows[0].tz)).toBe(0);
    } finally {
      await db.close();
    }
  });
});
