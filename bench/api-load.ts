import { execFile } from 'node:child_process';
import { cpus, loadavg } from 'node:os';
import { createRequire } from 'node:module';
import { parseArgs, promisify } from 'node:util';
import { buildApp } from '../api/app.ts';
import { listen } from '../api/server.ts';
import { storeAppDeps } from '../bin/lib/app-deps.ts';
import { readServices } from '../bin/lib/read-services.ts';
import { authAs } from '../test/api-auth.ts';
import { benchConfig as config, storeWithRun } from './api-store.ts';

/**
 * Sustained load: GET /api/v1/forecasts/latest for one node at a fixed rate (autocannon's overall
 * rate, in a child process over loopback) for --duration seconds, with the server's RSS and heap
 * sampled every 10 s. After --warmup seconds (not sampled for flatness: caches fill, the JIT
 * settles), memory must stay within 10 % of its first sample, and no request may fail.
 * The rate is a target: the table says what was sustained.
 * Usage: npm run bench:api-load -- [--duration S] [--rate REQ_PER_S] [--connections N] [--warmup S] [--database-url URL]
 */
const { values } = parseArgs({
  options: {
    duration: { type: 'string', default: '300' },
    rate: { type: 'string', default: '1000' },
    connections: { type: 'string', default: '32' },
    warmup: { type: 'string', default: '20' },
    'database-url': { type: 'string' },
  },
});
const duration = Number(values.duration);
const rate = Number(values.rate);
const warmup = Number(values.warmup);
const SAMPLE_MS = 10_000;
const FLAT = 0.1;

const exec = promisify(execFile);
const AUTOCANNON = createRequire(import.meta.url).resolve('autocannon/autocannon.js');
const mb = (b: number) => (b / 2 ** 20).toFixed(0);

const t0 = Date.now();
const { db, series, drop } = await storeWithRun(values['database-url']);
console.log(`store: ${db.kind}, simulated grid, one day-ahead run over ${series} series (set up in ${((Date.now() - t0) / 1000).toFixed(0)} s)`);
const app = await buildApp({ ...storeAppDeps(db), limits: config.api, rateLimitPerMinute: 1e9, reads: readServices(db, config), health: { dbKind: db.kind, pingDb: async () => {}, lastIngestAt: () => null, sources: () => [] } });
const { url: base } = await listen(app, { host: '127.0.0.1', port: 0 });
const headers = await authAs(db, 'viewer');
const url = `${base}/api/v1/forecasts/latest?horizon=day-ahead&node=ss.paris-nord`;

const cannon = (seconds: number) =>
  exec(process.execPath, [AUTOCANNON, '--json', '-c', values.connections!, '-d', String(seconds), '-R', String(rate), '-H', `authorization=${headers.authorization}`, url], { maxBuffer: 1 << 26 });

interface Sample {
  at: number;
  rss: number;
  heap: number;
}
try {
  // Warm-up: the same load, its numbers dropped.
  if (warmup > 0) await cannon(warmup);
  const samples: Sample[] = [];
  const sample = () => {
    const m = process.memoryUsage();
    samples.push({ at: Math.round((Date.now() - start) / 1000), rss: m.rss, heap: m.heapUsed });
  };
  const start = Date.now();
  const load1 = loadavg()[0];
  sample();
  const timer = setInterval(sample, SAMPLE_MS);
  const { stdout } = await cannon(duration);
  clearInterval(timer);
  sample();
  const r = JSON.parse(stdout);
  const total = r.requests.total + r.errors + r.timeouts;
  const failed = r.non2xx + r.errors + r.timeouts;
  const rss = samples.map((s) => s.rss);
  const first = rss[0];
  const drift = Math.max(...rss.map((x) => Math.abs(x - first))) / first;

  console.log(`\nautocannon -c ${values.connections} -R ${rate} -d ${duration} (child process, loopback), after ${warmup} s of warm-up; ${new Date().toISOString()}; load average ${load1.toFixed(1)} → ${loadavg()[0].toFixed(1)} (${cpus().length} cores)\n`);
  console.log('| target req/s | sustained req/s | requests | failed | p50 ms | p90 ms | p99 ms | max ms | RSS first → last MB | RSS max drift |');
  console.log('|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|');
  console.log(
    `| ${rate} | ${r.requests.average.toFixed(0)} | ${total} | ${failed} | ${r.latency.p50} | ${r.latency.p90} | ${r.latency.p99} | ${r.latency.max} | ${mb(first)} → ${mb(rss[rss.length - 1])} | ${(drift * 100).toFixed(1)} % |`,
  );
  console.log('\nmemory every 10 s:\n');
  console.log('| s | RSS MB | heap used MB |');
  console.log('|---:|---:|---:|');
  for (const s of samples) console.log(`| ${s.at} | ${mb(s.rss)} | ${mb(s.heap)} |`);
  const sustained = r.requests.average >= rate * 0.95;
  const ok = failed === 0 && drift <= FLAT;
  console.log(
    `\nerrors ${failed} (target 0), RSS within ${(drift * 100).toFixed(1)} % of its first sample (target ≤ ${FLAT * 100} %): ${ok ? 'met' : 'NOT MET'}; ` +
      `rate ${sustained ? 'sustained' : `NOT sustained (${r.requests.average.toFixed(0)} of ${rate} req/s)`}`,
  );
  if (!ok) process.exitCode = 1;
} finally {
  await app.close();
  await db.close();
  await drop();
}
