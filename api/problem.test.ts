import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { hasExplicitStatus, problem, statusOf } from './problem.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const SKIP = new Set(['node_modules', '.git', 'data', 'test']);

function sourceFiles(dir = ROOT): string[] {
  return readdirSync(dir).flatMap((f) => {
    if (SKIP.has(f)) return [];
    const p = join(dir, f);
    if (statSync(p).isDirectory()) return sourceFiles(p);
    return p.endsWith('.ts') && !p.endsWith('.test.ts') ? [p] : [];
  });
}

// Upper-snake literals that are not error codes but live in files that build codes in helpers.
const NOT_CODES = new Set(['RECONCILE_NEEDS' /* a prefix tested with startsWith */]);

/**
 * Every code thrown in the source: literal `new GridcastError('CODE'`, and in files that pass a
 * variable code to GridcastError (helpers such as `fail(code, …)`), every upper-snake string literal.
 */
function thrownCodes(): Map<string, string> {
  const codes = new Map<string, string>();
  for (const file of sourceFiles()) {
    const text = readFileSync(file, 'utf8');
    const where = relative(ROOT, file);
    for (const m of text.matchAll(/GridcastError\(\s*['"`]([A-Z][A-Z0-9_]*)['"`]/g)) codes.set(m[1], where);
    if (/GridcastError\(\s*[^'"`\s)]/.test(text)) {
      for (const m of text.matchAll(/['"`]([A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+)['"`]/g)) if (!NOT_CODES.has(m[1]) && !codes.has(m[1])) codes.set(m[1], where);
    }
  }
  return codes;
}

describe('problem codes', () => {
  it('gives every code thrown in the source an explicit HTTP status', () => {
    const codes = thrownCodes();
    expect(codes.size).toBeGreaterThan(100);
    const missing = [...codes].filter(([code]) => !hasExplicitStatus(code)).map(([code, file]) => `${code} (${file})`);
    expect(missing, 'add these codes to api/problem.ts').toEqual([]);
  });

  it('finds codes made by helpers, not only literal ones', () => {
    const codes = thrownCodes();
    expect(codes.get('TOPOLOGY_UNIT_KIND')).toBe('core/topology/validate.ts');
    expect(codes.get('TS_NO_OFFSET')).toBe('core/time-input.ts');
  });

  it('answers server faults 5xx and client errors 4xx', () => {
    expect(statusOf('WORKER_TIMEOUT')).toBe(503);
    expect(statusOf('DB_UNREACHABLE')).toBe(503);
    expect(statusOf('ARTIFACT_CORRUPT')).toBe(500);
    expect(statusOf('RUN_NOT_FOUND')).toBe(404);
    expect(statusOf('VERSION_ALREADY_CHAMPION')).toBe(409);
    expect(statusOf('TOPOLOGY_CYCLE')).toBe(422);
    expect(statusOf('REQUEST_INVALID')).toBe(400);
    expect(statusOf('BODY_TOO_LARGE')).toBe(413);
    expect(statusOf('RATE_LIMITED')).toBe(429);
    expect(statusOf('SOME_NEW_UNLISTED_CODE')).toBe(500);
  });

  it('keeps details for client errors and drops them for server faults', () => {
    expect(problem('RUN_NOT_FOUND', 'no run 7', '/api/v1/runs/7', { runId: 7 })).toEqual({
      type: '/docs#problem-RUN_NOT_FOUND', title: 'Not Found', status: 404, detail: 'no run 7', code: 'RUN_NOT_FOUND', instance: '/api/v1/runs/7', details: { runId: 7 },
    });
    expect(problem('WORKER_TIMEOUT', 'the fit timed out', '/api/v1/runs', { worker: 'gam', path: '/srv/x' })).not.toHaveProperty('details');
  });
});
