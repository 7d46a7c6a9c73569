import type { Queryable } from './db.ts';

const quoteIdent = (s: string) => `"${s.replaceAll('"', '""')}"`;

/**
 * The row count of every table of the current schema, by table name: what a check that a refused
 * request wrote nothing (bench/fuzz, test/api-fuzz.test.ts) compares before and after. The list of
 * tables is read on each call, so a table a migration adds is counted too.
 */
export async function tableRowCounts(db: Queryable): Promise<Map<string, number>> {
  const { rows: tables } = await db.query<{ name: string }>(
    "SELECT table_name AS name FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' ORDER BY table_name",
  );
  if (tables.length === 0) return new Map();
  const sql = tables.map((t) => `SELECT ${quoteLiteral(t.name)} AS name, count(*)::int AS n FROM ${quoteIdent(t.name)}`).join(' UNION ALL ');
  const { rows } = await db.query<{ name: string; n: number }>(sql);
  return new Map(rows.map((r) => [r.name, Number(r.n)]));
}

const quoteLiteral = (s: string) => `'${s.replaceAll("'", "''")}'`;

/** Tables whose count differs between two snapshots, with the change (after − before). */
export function countChanges(before: Map<string, number>, after: Map<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const name of new Set([...before.keys(), ...after.keys()])) {
    const d = (after.get(name) ?? 0) - (before.get(name) ?? 0);
    if (d !== 0) out[name] = d;
  }
  return out;
}
