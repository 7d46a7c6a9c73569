/**
 * Distributed runs (issue 13): a day-ahead run of a synthetic hierarchy through the pg-boss queue,
 * answered by 1, 2 or 4 `gridcast worker` processes on this machine.
 *
 *   npm run bench:scale -- [--sizes 100,1000] [--workers 1,2,4] [--model gam-arima|seasonal-naive]
 *                          [--history-days 730] [--batch 4] [--db postgres://…]
 *
 * The hierarchy: a nation, regions, and substations under them (N series in all), hourly, with one
 * temperature; the substations are smooth daily/weekly/annual shapes with a heating effect and a
 * deterministic wiggle, the aggregates their sums. What is real: the stored topology, the run
 * service (runForecast: plans, weather paths, groups, reconciliation, local days, one transaction
 * storing the run), the composition root's runner (pooledGroups → queueGroups: shares in
 * run_job_shares, jobs in pg-boss) and the worker processes. What is not: the inputs come from
 * memory (the RunInputsSource port) instead of the measurements tables, and with --model gam-arima
 * the champions are one GAM + ARIMA trained once on a synthetic substation, its artifact cloned
 * per series (series id rewritten) and registered in the registry as that series' champion (one
 * model per series, registration not timed), so each job names its champion's version, the worker
 * reads the artifact from the registry (counted in its handling CPU), conditions it on its series' history (the GAM's state is
 * moved over the history, the ARIMA refitted on the last 42 days of residuals) and predicts with
 * the temperature forecast. One store per size: the workers' counts run on the same registry. --model seasonal-naive fits the default model in the job: milliseconds, so the
 * run measures the queue itself. Reconciliation is bottom-up with comonotonic bands (MinT on
 * 10,000 series is another question than the queue's).
 *
 * Columns: wall = the run (runForecast) from start to stored; phase = first job queued to last
 * answer read; worker CPU/series = the workers' CPU after start-up over the series; model CPU/series
 * = the part inside the model (forecastGroups); handling CPU/job = the workers' CPU outside the
 * model per job (pg-boss fetch and completion, reading the share and the champion's artifact,
 * (de)serialisation, writing the answer): the queue's cost in CPU, which a busy machine does not inflate as it does wall times;
 * run-maker CPU = the run's own process (inputs, shares, reconciliation, storing); overhead/job = (workers × phase − the time workers spent inside the model) / jobs, i.e. every
 * cost of a job that is not the model: enqueue, pg-boss fetch and completion, reading the share,
 * (de)serialisation, writing the answer, polling, idle at the end.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { ConfigSchema, type Config } from '../core/config.ts';
import type { Covariates, ModelArtifact, Series } from '../core/types.ts';
import { validateTopology } from '../core/topology/validate.ts';
import { forecasterFor } from '../bin/lib/models.ts';
import { pooledGroups } from '../bin/lib/run-deps.ts';
import { TEMPERATURE, type RunInputs } from '../forecast/inputs.ts';
import type { GroupsRunner, RunDeps } from '../forecast/run/ports.ts';
import { runForecast } from '../forecast/run/service.ts';
import { openPg } from '../store/db.ts';
import { createModel, insertVersion, setStatus } from '../store/registry.repository.ts';
import { runStoreRepository } from '../store/run-store.repository.ts';
import { saveTopology } from '../store/topology.repository.ts';
import { openBenchStore } from './scratch-store.ts';

const { values: args } = parseArgs({
  options: {
    sizes: { type: 'string', default: '100,1000' },
    workers: { type: 'string', default: '1,2,4' },
    model: { type: 'string', default: 'gam-arima' },
    'history-days': { type: 'string', default: '730' },
    db: { type: 'string' },
    batch: { type: 'string', default: '4' },
  },
});
const SIZES = args.sizes.split(',').map(Number);
const WORKERS = args.workers.split(',').map(Number);
const MODEL = args.model;
if (!['gam-arima', 'seasonal-naive'].includes(MODEL)) throw new Error('--model is gam-arima or seasonal-naive');
const HISTORY_DAYS = Number(args['history-days']);
const BATCH = Number(args.batch);
const BASE_URL = args.db ?? process.env.BENCH_DATABASE_URL ?? process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const ZONE = 'Europe/Paris';
const H = 3_600_000;
/** The run is made as of this time: a winter Tuesday morning; day-ahead = the next local day. */
const AS_OF = new Date('2026-02-10T08:00:00Z');
const CLI = new URL('../bin/gridcast.mjs', import.meta.url).pathname;

const hourOf = (t: number) => (((t / H + 1) % 24) + 24) % 24;
const weekend = (t: number) => [0, 6].includes(new Date(t + H).getUTCDay());
const temperature = (t: number) => 11 - 8 * Math.cos((2 * Math.PI * (t / H - 480)) / 8766) + 4 * Math.sin((2 * Math.PI * (hourOf(t) - 9)) / 24) + 2 * Math.sin(t / H / 170);
/** Substation k: its own level, phase and heating, the same kind of shape as every other. */
const substation = (k: number, t: number) => {
  const level = 20 * (1 + 0.3 * Math.sin(k * 1.7));
  const daily = 0.25 * Math.sin((2 * Math.PI * (hourOf(t) - 7 - (k % 3))) / 24);
  const heat = 0.02 * Math.max(0, 15 - temperature(t));
  const wiggle = 0.03 * Math.sin(t / H / 3.7 + k) + 0.02 * Math.sin(t / H / 11.3 + 2 * k);
  return level * (1 + daily - (weekend(t) ? 0.12 : 0) + heat + wiggle);
};

interface Hierarchy {
  ids: string[];
  parent: Map<string, string | null>;
  leaves: string[];
}

function hierarchy(n: number): Hierarchy {
  const regions = Math.max(2, Math.round(Math.sqrt(n) / 3));
  const parent = new Map<string, string | null>([['nation', null]]);
  for (let r = 0; r < regions; r++) parent.set(`r${r}`, 'nation');
  const leaves: string[] = [];
  for (let k = 0; k < n - 1 - regions; k++) {
    leaves.push(`s${k}`);
    parent.set(`s${k}`, `r${k % regions}`);
  }
  return { ids: [...parent.keys()], parent, leaves };
}

/** The run's inputs in memory, as loadRunInputs shapes them: history before the origin, temperature observed and forecast. */
function syntheticInputs(h: Hierarchy): RunDeps['inputs'] {
  return {
    async load(req) {
      const start = req.origin.getTime() - req.historyDays * 86_400_000;
      const n = req.historyDays * 24;
      const temp = Float64Array.from({ length: n }, (_, i) => temperature(start + i * H));
      const forecast = Float64Array.from({ length: req.horizonSteps }, (_, i) => temperature(req.origin.getTime() + i * H) + 0.5);
      const values = new Map<string, Float64Array>();
      for (const id of h.leaves) {
        const k = Number(id.slice(1));
        values.set(id, Float64Array.from({ length: n }, (_, i) => substation(k, start + i * H)));
      }
      for (const id of [...h.ids].reverse()) {
        if (values.has(id)) continue;
        values.set(id, new Float64Array(n));
      }
      // Aggregates are the sums of their children (children come after parents in ids).
      for (const id of [...h.ids].reverse()) {
        const p = h.parent.get(id);
        if (!p) continue;
        const a = values.get(p)!;
        const v = values.get(id)!;
        for (let i = 0; i < n; i++) a[i] += v[i];
      }
      const history = new Map<string, Series>();
      const fit = new Map<string, Covariates>();
      const predict = new Map<string, Covariates>();
      const quality = new Map<string, { imputed: number; suspect: number; missing: number }>();
      for (const id of req.seriesIds) {
        history.set(id, { id, start: new Date(start), stepSec: 3600, values: values.get(id)!, timeZone: ZONE });
        fit.set(id, { future: { [TEMPERATURE]: temp } });
        predict.set(id, { future: { [TEMPERATURE]: forecast } });
        quality.set(id, { imputed: 0, suspect: 0, missing: 0 });
      }
      const inputs: RunInputs = { stepSec: 3600, history, weather: new Map(req.seriesIds.map((id) => [id, null])), warnings: [], fitCovariates: fit, predictCovariates: predict, quality, hash: `synthetic-${req.seriesIds.length}-${req.historyDays}` };
      return inputs;
    },
  };
}

/** One GAM + ARIMA trained on a synthetic substation over the history, to be cloned per series. */
async function trainTemplate(): Promise<{ artifact: ModelArtifact; trainStart: Date; trainEnd: Date; sec: number }> {
  const end = Math.floor(AS_OF.getTime() / H) * H - 7 * 86_400_000;
  const start = end - HISTORY_DAYS * 86_400_000;
  const n = (end - start) / H;
  const series: Series = { id: 'template', start: new Date(start), stepSec: 3600, values: Float64Array.from({ length: n }, (_, i) => substation(1, start + i * H)), timeZone: ZONE };
  const temp = Float64Array.from({ length: n }, (_, i) => temperature(start + i * H));
  const t0 = performance.now();
  const fitted = await forecasterFor('gam-arima', {}, { holidays: 'FR' }).fit([series], new Map([['template', { future: { [TEMPERATURE]: temp } }]]));
  return { artifact: fitted.toArtifact(), trainStart: new Date(start), trainEnd: new Date(end), sec: (performance.now() - t0) / 1000 };
}

/** The template's artifact for another series: every occurrence of its id replaced. */
const renamed = (text: string, id: string): ModelArtifact => JSON.parse(text.replaceAll('"template"', JSON.stringify(id))) as ModelArtifact;

interface Proc {
  p: ChildProcess;
  out: string;
  exit: Promise<unknown>;
}

function startWorker(url: string, configFile: string, name: string): Promise<Proc> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [CLI, 'worker', '--id', name], { env: { ...process.env, DATABASE_URL: url, GRIDCAST_CONFIG: configFile }, stdio: ['ignore', 'pipe', 'pipe'] });
    const w: Proc = { p, out: '', exit: new Promise((r) => p.on('exit', r)) };
    let err = '';
    p.stdout!.on('data', (d) => {
      w.out += d;
      if (/ready .* cpu_ms=\d+/.test(w.out)) resolve(w);
    });
    p.stderr!.on('data', (d) => (err += d));
    void w.exit.then(() => reject(new Error(`worker ${name} exited before it was ready: ${err}`)));
  });
}

interface Row {
  series: number;
  model: string;
  workers: number;
  jobs: number;
  wallSec: number;
  phaseSec: number;
  cpuPerSeries: number;
  /** CPU inside the model (forecastGroups) only. */
  modelCpuPerSeries: number;
  /** Worker CPU outside the model per job: pg-boss, reading the share, (de)serialisation, the answer. */
  handlingCpuMsPerJob: number;
  makerCpuSec: number;
  enqueueMsPerJob: number;
  overheadMsPerJob: number;
  fallbacks: number;
}

/** The size's store: its topology, and with a template one registered champion per series (cloned artifact). */
async function prepareStore(n: number, template: { text: string; trainStart: Date; trainEnd: Date } | null): Promise<{ store: Awaited<ReturnType<typeof openBenchStore>>; h: Hierarchy }> {
  const store = await openBenchStore(BASE_URL);
  const h = hierarchy(n);
  await saveTopology(store.db, validateTopology({ timeZone: ZONE, nodes: h.ids.map((id) => ({ id, ...(h.parent.get(id) ? { parent: h.parent.get(id) } : {}), kind: 'load', unit: 'MW' })) }));
  if (template) {
    const t0 = performance.now();
    const register = async (id: string) => {
      await createModel(store.db, { name: `bench-${id}`, family: 'gam-arima' });
      const v = await insertVersion(store.db, {
        model: `bench-${id}`, kind: 'gam-arima', spec: { kind: 'gam-arima', version: 2, params: {} }, features: [TEMPERATURE], seriesIds: [id],
        trainStart: template.trainStart, trainEnd: template.trainEnd, dataHash: 'synthetic', codeVersion: 'bench', metrics: null, weather: {}, warnings: [], createdBy: 'bench',
        artifact: renamed(template.text, id),
      });
      await store.db.transaction((tx) => setStatus(tx, v.id, 'champion', { actor: 'bench', reason: 'scale bench champion' }));
    };
    // Four at a time: the server stores one while this process packs the next.
    for (let i = 0; i < h.ids.length; i += 4) await Promise.all(h.ids.slice(i, i + 4).map(register));
    console.log(`${h.ids.length} champions registered in ${fmt((performance.now() - t0) / 1000, 0)} s`);
  }
  return { store, h };
}

async function measure(n: number, w: number, prepared: { store: Awaited<ReturnType<typeof openBenchStore>>; h: Hierarchy }, withChampions: boolean): Promise<Row> {
  const { store, h } = prepared;
  const url = store.url!;
  const schema = `bq_${process.pid}_${Date.now()}`;
  const dir = mkdtempSync(join(tmpdir(), 'gridcast-scale-'));
  const queue = { schema, jobTimeoutSec: 1800, retryLimit: 2, heartbeatSec: 5, workerStaleSec: 600, pollSec: 0.5, maintenanceSec: 10, batchSize: BATCH };
  const configFile = join(dir, 'config.json');
  writeFileSync(configFile, JSON.stringify({ queue }));
  const config: Config = ConfigSchema.parse({ timeZone: ZONE, forecast: { defaultModel: { kind: 'seasonal-naive' }, historyDays: HISTORY_DAYS, holidays: 'FR', reconciliation: 'bottom-up', bands: 'comonotonic' }, queue });
  const procs: Proc[] = [];
  try {
    // The registry's own store: a queued job names its champion's version and the worker reads it.
    const runStore = runStoreRepository(store.db);
    for (let k = 0; k < w; k++) procs.push(await startWorker(url, configFile, `w${k}`));
    const readyCpu = procs.map((p) => Number(/ready .* cpu_ms=(\d+)/.exec(p.out)![1]));
    let first = Infinity;
    let last = 0;
    let queuedAt = 0;
    // The run maker's queue log says when its shares and jobs are in: the enqueue cost.
    const log = { info: (_o: object, msg?: string) => void (msg === 'run shares queued' && (queuedAt = Math.max(queuedAt, performance.now()))), warn: (o: object, m?: string) => console.error(m, o), error: (o: object, m?: string) => console.error(m, o) };
    const pooledWithLog = pooledGroups(store.db, config, log);
    const runner: GroupsRunner = async (job, signal, deadline, artifacts) => {
      first = Math.min(first, performance.now());
      try {
        return await pooledWithLog(job, signal, deadline, artifacts);
      } finally {
        last = Math.max(last, performance.now());
      }
    };
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    const s = await runForecast({ store: runStore, inputs: syntheticInputs(h), workers: runner, config, now: () => AS_OF }, { horizon: 'day-ahead', asOf: AS_OF });
    const wallSec = (performance.now() - t0) / 1000;
    const cpu = process.cpuUsage(cpu0);
    for (const p of procs) p.p.kill('SIGTERM');
    await Promise.all(procs.map((p) => p.exit));
    const stats = procs.map((p) => {
      const m = /stopped: jobs=(\d+) compute_ms=(\d+) compute_cpu_ms=(\d+) handler_ms=(\d+) cpu_ms=(\d+)/.exec(p.out);
      if (!m) throw new Error(`a worker did not report: ${p.out.slice(-500)}`);
      return { jobs: Number(m[1]), computeMs: Number(m[2]), computeCpuMs: Number(m[3]), handlerMs: Number(m[4]), cpuMs: Number(m[5]) };
    });
    const jobs = stats.reduce((a, x) => a + x.jobs, 0);
    const phaseMs = last - first;
    const computeMs = stats.reduce((a, x) => a + x.computeMs, 0);
    const workerCpuMs = stats.reduce((a, x, i) => a + x.cpuMs - readyCpu[i], 0);
    const modelCpuMs = stats.reduce((a, x) => a + x.computeCpuMs, 0);
    return {
      series: n,
      model: withChampions ? 'gam-arima (conditioned champion)' : 'seasonal-naive (fitted in job)',
      workers: w,
      jobs,
      wallSec,
      phaseSec: phaseMs / 1000,
      cpuPerSeries: workerCpuMs / 1000 / n,
      modelCpuPerSeries: modelCpuMs / 1000 / n,
      handlingCpuMsPerJob: (workerCpuMs - modelCpuMs) / Math.max(1, jobs),
      makerCpuSec: (cpu.user + cpu.system) / 1e6,
      enqueueMsPerJob: (queuedAt - first) / Math.max(1, jobs),
      overheadMsPerJob: (w * phaseMs - computeMs) / Math.max(1, jobs),
      fallbacks: s.fallbacks,
    };
  } finally {
    for (const p of procs) if (p.p.exitCode === null && p.p.signalCode === null) p.p.kill('SIGKILL');
    await Promise.all(procs.map((p) => p.exit));
    const admin = await openPg(BASE_URL, 1);
    await admin.exec(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await admin.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

const fmt = (x: number, d = 2) => x.toFixed(d);

async function main() {
  let template: { text: string; trainStart: Date; trainEnd: Date } | null = null;
  if (MODEL === 'gam-arima') {
    const t = await trainTemplate();
    template = { text: JSON.stringify(t.artifact), trainStart: t.trainStart, trainEnd: t.trainEnd };
    console.log(`template GAM + ARIMA trained on ${HISTORY_DAYS} days in ${fmt(t.sec, 1)} s; artifact ${(template.text.length / 1024).toFixed(0)} KiB (JSON), cloned per series into the registry`);
  }
  const rows: Row[] = [];
  for (const n of SIZES) {
    const prepared = await prepareStore(n, template);
    try {
      for (const w of WORKERS) {
        const r = await measure(n, w, prepared, template !== null);
        rows.push(r);
        console.log(`measured: ${n} series, ${w} worker(s): ${fmt(r.wallSec, 1)} s`);
      }
    } finally {
      await prepared.store.done();
    }
  }
  console.log(`\nday-ahead run, history ${HISTORY_DAYS} days hourly with temperature, bottom-up; workers are separate processes on this 2-core machine (shared)\n`);
  const head = ['series', 'model (per job)', 'history d', 'workers', 'batch', 'jobs', 'wall s', 'phase s', 'worker CPU s/series', 'model CPU s/series', 'handling CPU ms/job', 'run-maker CPU s', 'enqueue ms/job', 'overhead ms/job', 'fallbacks'];
  const body = rows.map((r) => [String(r.series), r.model, String(HISTORY_DAYS), String(r.workers), String(BATCH), String(r.jobs), fmt(r.wallSec, 1), fmt(r.phaseSec, 1), fmt(r.cpuPerSeries, 3), fmt(r.modelCpuPerSeries, 3), fmt(r.handlingCpuMsPerJob, 1), fmt(r.makerCpuSec, 1), fmt(r.enqueueMsPerJob, 2), fmt(r.overheadMsPerJob, 1), String(r.fallbacks)]);
  console.log(`| ${head.join(' | ')} |`);
  console.log(`|${head.map(() => '---').join('|')}|`);
  for (const b of body) console.log(`| ${b.join(' | ')} |`);
  for (const w of WORKERS) {
    const a = rows.find((r) => r.workers === w && r.series === 1000);
    const b = rows.find((r) => r.workers === w && r.series === 10_000);
    if (a && b) console.log(`growth 1,000 → 10,000 series at ${w} worker(s): ${fmt(b.wallSec / a.wallSec, 1)}x wall time (target ≤ 11x)`);
  }
}

await main();
