import { parseArgs } from 'node:util';
import { buildApp } from '../api/app.ts';
import type { Role } from '../api/auth/roles.ts';
import { openPg, openPglite } from '../store/db.ts';
import { migrate } from '../store/migrate.ts';
import { authAs } from '../test/api-auth.ts';
import { scratchSchema } from '../test/db.ts';
import { mutatingOperations, type Operation } from '../test/fuzz/generate.ts';
import { fuzzEndpoints, reportTable, trackHandlers } from '../test/fuzz/run.ts';
import { fuzzAppDeps, fuzzConfig, seedFuzzStore } from '../test/fuzz/store.ts';

/**
 * Hostile input: every mutating route of the OpenAPI document gets --per-endpoint generated bad
 * requests (test/fuzz/generate.ts: wrong types, missing and extra fields, huge and deep bodies, bad
 * encodings and content types, malformed JSON and CSV, injection strings, numeric extremes, bad
 * dates, bad auth, bad paths and queries) through app.inject. Prints a table: answers by code, 5xx,
 * and rejected requests after which a table's row count changed; exits 1 on any 5xx, non-problem
 * 4xx or such change. Reproducible from --seed.
 * Usage: npm run bench:fuzz -- [--per-endpoint N] [--seed S] [--endpoint SUBSTRING] [--database-url URL] [--verbose]
 */
const { values } = parseArgs({
  options: {
    'per-endpoint': { type: 'string', default: '10000' },
    seed: { type: 'string', default: '1' },
    endpoint: { type: 'string' },
    'database-url': { type: 'string' },
    /** Log the server's errors (the cause of a 5xx) to stderr. */
    verbose: { type: 'boolean', default: false },
  },
});
const perEndpoint = Number(values['per-endpoint']);
const seed = Number(values.seed);

const url = values['database-url'];
const scratch = url ? await scratchSchema(url, 'bench_fuzz') : null;
const db = scratch ? await openPg(scratch.url, 4) : await openPglite();
await migrate(db);
const targets = await seedFuzzStore(db);
const config = fuzzConfig;
const app = await buildApp({
  ...fuzzAppDeps(db),
  ...(values.verbose && { logger: { level: 'error' } }),
});
const handlers = trackHandlers(app);
await app.ready();
const operations = mutatingOperations(app.swagger()).filter((op) => !values.endpoint || `${op.method} ${op.path}`.includes(values.endpoint));
const keys = new Map<string, Record<string, string>>();
for (const role of new Set([...operations.map((o) => o.role), 'viewer'])) keys.set(role, await authAs(db, role as Role));
const bodyLimit = (op: Operation) => (op.consumes.includes('text/csv') ? config.api.bodyLimitBytes : config.api.commandBodyLimitBytes);

const t0 = Date.now();
try {
  const reports = await fuzzEndpoints({
    app, handlers, db, operations, perEndpoint, seed, keyOf: (role) => keys.get(role)!, pathValue: targets.pathValues, limits: { bodyLimit },
    onProgress: (r) => console.error(`  ${r.endpoint}: ${r.requests} (${((Date.now() - t0) / 1000).toFixed(0)} s)`),
    onEndpoint: (r) => {
      console.error(`${r.endpoint}: ${r.requests} requests, ${r.serverErrors} 5xx, ${r.rowChanges} row changes, ${r.failures.length} failures (${((Date.now() - t0) / 1000).toFixed(0)} s)`);
      // The row of the table as soon as the endpoint is done: a long run stopped early keeps what it measured.
      console.error(reportTable([r]).split('\n')[2]);
      for (const f of r.failures.slice(0, 5)) console.error(`  ${JSON.stringify(f)}`);
      if (values.verbose) console.error(`  ms by class: ${[...r.msByClass].map(([c, ms]) => `${c} ${ms.toFixed(0)}`).join(', ')}`);
    },
  });
  console.log(`\nfuzz: ${perEndpoint} requests per endpoint, seed ${seed}, store ${db.kind}, ${operations.length} endpoints, ${((Date.now() - t0) / 1000).toFixed(0)} s, ${new Date().toISOString()}\n`);
  console.log(reportTable(reports));
  const failures = reports.flatMap((r) => r.failures.map((f) => ({ endpoint: r.endpoint, ...f })));
  if (failures.length > 0) {
    console.log(`\n${failures.length} failures (first ${Math.min(failures.length, 40)}):`);
    for (const f of failures.slice(0, 40)) console.log(JSON.stringify(f));
    process.exitCode = 1;
  }
} finally {
  await app.close();
  await db.close();
  await scratch?.drop();
}
