import { execFile } from 'node:child_process';
import { storeAppDeps } from '../bin/lib/app-deps.ts';
import { benchConfig as config, storeWithRun } from './api-store.ts';
import { createRequire } from 'node:module';
import { parseArgs, promisify } from 'node:util';
import { buildApp } from '../api/app.ts';
import { listen } from '../api/server.ts';
import { readServices } from '../bin/lib/read-services.ts';
import { authAs } from '../test/api-auth.ts';

/**
 * API load: GET /api/v1/forecasts/latest for one node and for the whole hierarchy, against a
 * fastify hello-world route of the same app in the same process. The store holds the simulated
 * grid (npm start's default topology) and one day-ahead run made by the forecast service;
 * autocannon runs in a child process over loopback. Targets: one node ≥ 0.3x hello-world req/s
 * and p99 < 50 ms.
 * Usage: npm run bench:api -- [--duration S] [--connections N] [--database-url URL]
 */
const { values } = parseArgs({
  options: {
    duration: { type: 'string', default: '10' },
    connections: { type: 'string', default: '10' },
    'database-url': { type: 'string' },
  },
});

interface Result {
  name: string;
  reqPerSec: number;
  p50: number;
  p99: number;
  bytes: number;
}

const exec = promisify(execFile);
const AUTOCANNON = createRequire(import.meta.url).resolve('autocannon/autocannon.js');

async function load(name: string, url: string, headers: Record<string, string>): Promise<Result> {
  const args = [AUTOCANNON, '--json', '-c', values.connections!, '-d', values.duration!, ...Object.entries(headers).flatMap(([k, v]) => ['-H', `${k}=${v}`]), url];
  const { stdout } = await exec(process.execPath, args, { maxBuffer: 1 << 24 });
  const r = JSON.parse(stdout);
  if (r.non2xx > 0 || r.errors > 0) throw new Error(`${name}: ${r.non2xx} non-2xx answers and ${r.errors} errors`);
  return { name, reqPerSec: r.requests.average, p50: r.latency.p50, p99: r.latency.p99, bytes: r.throughput.average / r.requests.average };
}

const t0 = Date.now();
const { db, series, drop } = await storeWithRun(values['database-url']);
console.log(`store: ${db.kind}, simulated grid, one day-ahead run over ${series} series (set up in ${((Date.now() - t0) / 1000).toFixed(0)} s)`);
// The limiter runs on every request as in production, with a limit the load never reaches.
const app = await buildApp({ ...storeAppDeps(db), rateLimitPerMinute: 1e9, reads: readServices(db, config), health: { dbKind: db.kind, pingDb: async () => {}, lastIngestAt: () => null, sources: () => [] } });
app.get('/hello', { config: { public: true } }, async () => ({ hello: 'world' }));
const { url: base } = await listen(app, { host: '127.0.0.1', port: 0 });
// A viewer's API key, checked by the auth hook on every request (scrypt once, then its cache).
const headers = await authAs(db, 'viewer');
try {
  const node = 'ss.paris-nord';
  const results = [
    await load('hello-world', `${base}/hello`, {}),
    await load(`forecasts/latest, one node (${node})`, `${base}/api/v1/forecasts/latest?horizon=day-ahead&node=${node}`, headers),
    await load('forecasts/latest, whole hierarchy', `${base}/api/v1/forecasts/latest?horizon=day-ahead`, headers),
  ];
  const hello = results[0].reqPerSec;
  console.log(`\nautocannon -c ${values.connections} -d ${values.duration} (child process, loopback), ${new Date().toISOString()}\n`);
  console.log('| route | req/s | p50 ms | p99 ms | bytes/answer | vs hello-world |');
  console.log('|---|---:|---:|---:|---:|---:|');
  for (const r of results) {
    console.log(`| ${r.name} | ${r.reqPerSec.toFixed(0)} | ${r.p50} | ${r.p99} | ${r.bytes.toFixed(0)} | ${(r.reqPerSec / hello).toFixed(2)}x |`);
  }
  const one = results[1];
  const ok = one.reqPerSec / hello >= 0.3 && one.p99 < 50;
  console.log(`\none node: ${(one.reqPerSec / hello).toFixed(2)}x hello-world (target ≥ 0.3x), p99 ${one.p99} ms (target < 50 ms): ${ok ? 'met' : 'NOT MET'}`);
} finally {
  await app.close();
  await db.close();
  await drop();
}
