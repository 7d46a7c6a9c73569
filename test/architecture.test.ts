import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, normalize, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

// The layering of ../shared/ARCHITECTURE.md, checked on the source files (tests and benchmarks
// are free to reach any layer and to write SQL).

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');

/** Each layer and the layers it may import. */
const LAYERS: Record<string, readonly string[]> = {
  core: [],
  store: ['core'],
  ingest: ['core', 'store'],
  models: ['core'],
  forecast: ['core', 'models', 'store'],
  monitoring: ['core', 'models', 'forecast', 'store'],
  jobs: ['core', 'store', 'ingest', 'forecast', 'monitoring'],
  // Routes call services, never the store.
  api: ['core', 'ingest', 'forecast', 'monitoring', 'jobs'],
  // The dashboard talks to the api over HTTP and shares only types derived from its schemas.
  ui: ['api'],
  // The composition root wires everything.
  bin: ['core', 'store', 'ingest', 'models', 'forecast', 'monitoring', 'jobs', 'api'],
};
/** Top-level folders that are not layers of the application. */
const NOT_SOURCE = new Set(['node_modules', 'test', 'bench', 'deploy', '.git']);

/** Imports against the layer order that remain for now: [file, imported layer, why]. */
const IMPORT_EXCEPTIONS: ReadonlyArray<readonly [string, string, string]> = [];

/** Files outside store/ that still hold SQL: [file, why]. */
const SQL_EXCEPTIONS: ReadonlyArray<readonly [string, string]> = [];

/**
 * A string or template literal opening with a SQL statement: upper-case keywords followed by what
 * makes them a statement (a bare "SELECT" or "Update" in a message is not SQL).
 */
const SQL_LITERAL = new RegExp(
  '[`\'"]\\s*(?:' +
    [
      'SELECT\\s+(?:\\S[\\s\\S]{0,400}?\\bFROM\\b|\\d|[a-z_]+\\s*\\(|\\$\\d|EXISTS\\b)',
      'INSERT\\s+INTO\\s',
      'UPDATE\\s+[a-z_.]+\\s+SET\\s',
      'DELETE\\s+FROM\\s',
      'WITH\\s+(?:RECURSIVE\\s+)?[a-z_]+\\s+AS\\s*\\(',
      '(?:CREATE|ALTER|DROP)\\s+(?:TABLE|INDEX|SCHEMA|VIEW|MATERIALIZED|EXTENSION|FUNCTION|TRIGGER|UNIQUE|TEMP|TEMPORARY|UNLOGGED|OR\\s+REPLACE)\\b',
      'TRUNCATE\\s',
      'COPY\\s+[a-z_]+',
      '(?:SAVEPOINT|RELEASE(?:\\s+SAVEPOINT)?|ROLLBACK(?:\\s+TO(?:\\s+SAVEPOINT)?)?|BEGIN|COMMIT|CHECKPOINT|VACUUM|ANALYZE)\\b\\s*(?:[a-z_]+\\s*)?[`\'";]',
      'SET\\s+(?:LOCAL\\s+|SESSION\\s+)?[A-Za-z_.]+\\s*(?:=|TO\\b)',
      'LOCK\\s+TABLE\\s',
    ].join('|') +
    ')',
);

/** Source files of the application: every .ts under a layer folder, tests excluded. */
export function sourceFiles(root = ROOT): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) {
        if (name !== 'node_modules' && name !== '__fixtures__') walk(path);
      } else if (/\.(ts|mts|tsx)$/.test(name) && !/\.test\.tsx?$/.test(name) && !name.endsWith('.d.ts')) {
        out.push(relative(root, path).split(sep).join('/'));
      }
    }
  };
  for (const top of readdirSync(root)) {
    if (NOT_SOURCE.has(top) || top.startsWith('.') || !statSync(join(root, top)).isDirectory()) continue;
    walk(join(root, top));
  }
  return out.sort();
}

/** The file without its comments (so a comment quoting SQL is no hit). Strings are kept. */
function withoutComments(text: string): string {
  return text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:'"`\\])\/\/.*$/gm, '$1');
}

export function sqlIn(text: string): string | null {
  const m = SQL_LITERAL.exec(withoutComments(text));
  return m ? m[0].trim().slice(0, 60) : null;
}

/** Relative imports of a file (static, re-exports, dynamic), as paths from the root. */
export function importsOf(file: string, text: string): string[] {
  const specs = [...text.matchAll(/(?:\bfrom\s*|\bimport\s*\(\s*|^\s*import\s+)['"](\.{1,2}\/[^'"]+)['"]/gm)].map((m) => m[1]);
  return specs.map((s) => normalize(join(dirname(file), s)).split(sep).join('/'));
}

export function layerViolations(files: Array<{ file: string; text: string }>): string[] {
  const out: string[] = [];
  for (const { file, text } of files) {
    const layer = file.split('/')[0];
    const allowed = LAYERS[layer];
    if (!allowed) {
      out.push(`${file}: folder '${layer}' is not a layer: add it to LAYERS (or NOT_SOURCE) in test/architecture.test.ts`);
      continue;
    }
    for (const target of importsOf(file, text)) {
      const to = target.split('/')[0];
      if (to === layer || allowed.includes(to)) continue;
      if (IMPORT_EXCEPTIONS.some(([f, l]) => f === file && l === to)) continue;
      out.push(`${file} imports ${target}: ${layer}/ may import ${allowed.length ? allowed.join(', ') : 'nothing of ours'}`);
    }
  }
  return out;
}

export function sqlViolations(files: Array<{ file: string; text: string }>): string[] {
  const out: string[] = [];
  for (const { file, text } of files) {
    if (file.startsWith('store/') || SQL_EXCEPTIONS.some(([f]) => f === file)) continue;
    const hit = sqlIn(text);
    if (hit) out.push(`${file}: SQL outside store/ (${hit}…): move it into a store/*.repository.ts function`);
  }
  return out;
}

const read = (file: string) => ({ file, text: readFileSync(join(ROOT, file), 'utf8') });

describe('architecture', () => {
  const files = sourceFiles().map(read);

  it('reads the source files of every layer, and no test', () => {
    const layers = new Set(files.map((f) => f.file.split('/')[0]));
    for (const l of ['core', 'store', 'ingest', 'models', 'forecast', 'jobs', 'api', 'bin']) expect(layers).toContain(l);
    expect(files.some((f) => f.file.endsWith('.test.ts') || f.file.startsWith('test/') || f.file.startsWith('bench/'))).toBe(false);
  });

  it('has SQL only in store/', () => {
    expect(sqlViolations(files)).toEqual([]);
  });

  it('imports only downward', () => {
    expect(layerViolations(files)).toEqual([]);
  });

  it('lists only exceptions that still hold, so the lists only shrink', () => {
    const stale = [
      ...SQL_EXCEPTIONS.filter(([f]) => !files.some((x) => x.file === f && sqlIn(x.text))).map(([f]) => `SQL exception ${f}`),
      ...IMPORT_EXCEPTIONS.filter(([f, l]) => !files.some((x) => x.file === f && importsOf(f, x.text).some((t) => t.startsWith(`${l}/`)))).map(([f, l]) => `import exception ${f} → ${l}`),
    ];
    expect(stale).toEqual([]);
  });

  describe('the checks catch what they are for', () => {
    it('finds SQL statements in literals, single- or multi-line, and not prose or comments', () => {
      const hits = [
        "await q.query('SELECT 1')",
        'q.query(`\n   SELECT id, value FROM measurements WHERE series_id = $1`, [id])',
        'const s = "INSERT INTO job_runs (job) VALUES ($1)"',
        "q.query(`UPDATE job_runs SET status = 'x'`)",
        "q.query('DELETE FROM job_runs WHERE job = $1')",
        'q.query(`WITH last AS (SELECT 1) SELECT * FROM last`)',
        "tx.query('SAVEPOINT ingest_direct')",
        "tx.query('ROLLBACK TO SAVEPOINT ingest_direct')",
        "db.exec('CHECKPOINT')",
        "tx.query(`SET LOCAL lock_timeout = '5s'`)",
        'db.exec(`CREATE TABLE x (id int)`)',
        "q.query('SELECT pg_try_advisory_xact_lock($1, $2) AS got')",
      ];
      for (const h of hits) expect(sqlIn(h), h).not.toBeNull();
      const misses = [
        "throw new Error('Select a series with --series')",
        "log.info({}, 'SELECT is not allowed here')",
        '// SELECT id FROM series — a comment quoting SQL',
        "/* INSERT INTO x VALUES (1) */ const a = 'ok'",
        "const help = 'Update the topology, then run again'",
        "usage('gridcast start [--config file]')",
        "const m = 'DELETE a key with apikey revoke'",
      ];
      for (const m of misses) expect(sqlIn(m), m).toBeNull();
    });

    it('flags an upward import, an api route reading the store, and an unknown folder', () => {
      const bad = [
        { file: 'core/bad.ts', text: "import { openDb } from '../store/db.ts';" },
        { file: 'store/bad.ts', text: "export { planImputation } from '../ingest/impute/plan.ts';" },
        { file: 'models/bad.ts', text: "const m = await import('../forecast/run/service.ts');" },
        { file: 'api/routes/v1/bad.ts', text: "import { listSeries } from '../../../store/series.repository.ts';" },
        { file: 'forecast/bad.ts', text: "import { fakeJobRuns } from '../test/fakes/job-runs.ts';" },
        { file: 'misc/bad.ts', text: '' },
      ];
      expect(layerViolations(bad)).toHaveLength(bad.length);
      const fine = [
        { file: 'forecast/ok.ts', text: "import { listSeries } from '../store/series.repository.ts';\nimport type { Series } from '../core/types.ts';\nimport { z } from 'zod';" },
        { file: 'bin/ok.ts', text: "import { buildApp } from '../api/app.ts';" },
      ];
      expect(layerViolations(fine)).toEqual([]);
    });
  });
});
