/**
 * Rupture detection and the fallback switch (REQUIREMENTS D3) on real load: GEFCom2012 (Hong,
 * Pinson & Fan, IJF 30(2), 2014). Three parts, all with the production service
 * (monitoring/rupture.service.ts, default settings: thresholds calibrated per series by its rule,
 * never tuned here) called every hour, and the run's plan for a monitored
 * series (forecast/run/monitor-plan.ts) choosing each day's day-ahead forecast:
 *
 * 1. Steps of −10, −20, −30 and −50 % injected into real zones (several zones × several dates
 *    and hours): detection delay, share detected within 24 h, and MAPE over the 28 days after
 *    the step of the monitored system (switching to the fallback and back) against the same
 *    model unmonitored.
 * 2. The same zones without a step, 2006-01 to 2008-06: false fallback switches per series-year.
 * 3. Zone 10's real jump (×3.5 on 2008-01-02): delay and MAPE.
 *
 * The monitored zone's siblings are the other zones (children of the system) less its copies,
 * read with what the unmonitored model published for them: the service corrects the zone's
 * residuals by theirs (monitoring/peers.ts).
 *
 * The day-ahead model is cheap but honest: the project's GAM (temperature and calendar with US
 * federal holidays, as configured for this utility; mean of
 * the 11 stations, observed temperature over the horizon) fitted on the 364 days before each
 * calendar year (below a year the GAM has no annual trend to extrapolate), rescaled every day at
 * 09:00 to the level of the last week, for the next local day. A weather-free
 * profile gives hourly residuals of ~15 % of the level, against which a 30 % step is 2 σ: with
 * it the detector needs days (README).
 *
 * Environment: GRIDCAST_SHARED_DATA; BENCH_ONLY=z1,z2 (some zones only); BENCH_RUPTURE='{"confirmPoints":12}'
 * (settings other than the defaults, to show what one does; the table prints the settings that ran).
 * Run: npm run bench:monitoring (prints the table, writes .bench-out/monitoring.md; GAM predictions
 * cached in .bench-out/monitoring-gam/).
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ResidualHour, ResidualSource } from '../../core/monitor-state.ts';
import type { Series } from '../../core/types.ts';
import { monitoredPlan, RUPTURE_FALLBACK_DAYS } from '../../forecast/run/monitor-plan.ts';
import { buildForecaster } from '../../models/auto.ts';
import { detectRuptures } from '../../monitoring/rupture.service.ts';
import { DEFAULT_RUPTURE_SETTINGS } from '../../core/rupture-settings.ts';
import { fakeEvents } from '../../test/fakes/events.ts';
import { fakeMonitorState } from '../../test/fakes/monitor-state.ts';
import { gefcom2012, sharedDataDir } from '../datasets.ts';
import { gamCache, gamPredictions } from './gam-cache.ts';

const H = 3_600_000;
const DAY = 24 * H;
/** The bench's day-ahead model (see dayAhead) as the monitor's plan names it. */
const MODEL = { kind: 'gam-rescaled', params: {} };
const LEVEL_DAYS = 7;
const STEPS = [-0.1, -0.2, -0.3, -0.5];
const INJECT_SERIES = ['z1', 'z2', 'z3', 'z5', 'z12', 'z18'];
const INJECT_AT = ['2006-10-10T13:00:00Z', '2007-02-07T22:00:00Z', '2007-06-20T03:00:00Z', '2008-03-12T07:00:00Z'];
const QUIET_FROM = Date.parse('2006-01-01T00:00:00Z');
const QUIET_TO = Date.parse('2008-06-29T00:00:00Z');
const Z10_RUPTURE = Date.parse('2008-01-02T00:00:00Z');
const AFTER_DAYS = 28;
/** The production defaults; BENCH_RUPTURE='{"blockHours":672}' overrides some, to show what a setting does (the table says which ran). */
const SETTINGS = { ...DEFAULT_RUPTURE_SETTINGS, ...(process.env.BENCH_RUPTURE ? (JSON.parse(process.env.BENCH_RUPTURE) as Partial<typeof DEFAULT_RUPTURE_SETTINGS>) : {}) };
const ONLY = process.env.BENCH_ONLY?.split(',');
const WARMUP_DAYS = 120;

const t0 = Date.now();
const log = (m: string) => process.stderr.write(`[${((Date.now() - t0) / 1000).toFixed(0)}s] ${m}\n`);

const cases = new Map(gefcom2012(sharedDataDir()).map((c) => [c.seriesId, c]));
const ZONES = Array.from({ length: 20 }, (_, i) => `z${i + 1}`);
const data = new Map(ZONES.map((id) => [id, cases.get(id)!.input.series]));

/**
 * Day-ahead forecast of the local day after the origin's, as the run at 09:00 publishes it. The
 * model: the GAM of the year before, rescaled to the level of the last LEVEL_DAYS (a cheap
 * stand-in for gam-arima's correction of the level by recent residuals); from `since` on only,
 * when the monitor's plan says so (the refit on post-rupture history). The rupture fallback is
 * the production shallow-history model on the raw values.
 */
async function dayAhead(gam: Float64Array, s: Series, values: Float64Array, originIdx: number, plan: { fit: { kind: string; params: Record<string, unknown> }; since?: string }): Promise<Float64Array> {
  const target = originIdx + 15;
  if (plan.fit.kind === MODEL.kind) {
    const sinceIdx = plan.since ? Math.ceil((Date.parse(plan.since) - s.start.getTime()) / H) : 0;
    let sa = 0;
    let sg = 0;
    for (let i = Math.max(0, originIdx - LEVEL_DAYS * 24, sinceIdx); i < originIdx; i++) {
      if (Number.isFinite(values[i]) && Number.isFinite(gam[i])) {
        sa += values[i];
        sg += gam[i];
      }
    }
    if (sg > 0) return Float64Array.from(gam.subarray(target, target + 24), (g) => g * (sa / sg));
  }
  const from = Math.max(0, originIdx - 8 * 7 * 24);
  const history: Series = { id: s.id, start: new Date(s.start.getTime() + from * H), stepSec: 3600, values: values.slice(from, originIdx), timeZone: 'UTC' };
  const spec = plan.fit.kind === MODEL.kind ? { kind: 'shallow-history', params: { days: RUPTURE_FALLBACK_DAYS } } : plan.fit;
  const [f] = await (await buildForecaster(spec).fit([history])).predict(39, undefined, [0.5]);
  return f.mean.slice(15);
}

/** A zone's actuals and the forecasts published for it. */
interface Published {
  actual: Float64Array;
  published: Float64Array;
}

/**
 * The monitored series and its siblings as the service's residual port. The siblings (the other
 * GEFCom zones, children of the same system) are read but not monitored themselves; what was
 * published for them is the unmonitored model's forecast.
 */
function source(id: string, startMs: number, own: Published, peers: Map<string, Published>): ResidualSource {
  const idx = (d: Date) => Math.ceil((d.getTime() - startMs) / H);
  return {
    async forecastSeries() {
      return [id];
    },
    async dayAhead(sid, from, to) {
      const { actual, published } = sid === id ? own : peers.get(sid)!;
      const out: ResidualHour[] = [];
      for (let i = Math.max(0, idx(from)); i < Math.min(actual.length, idx(to)); i++) {
        if (Number.isFinite(actual[i]) && Number.isFinite(published[i])) out.push({ ts: new Date(startMs + i * H), actual: actual[i], forecast: published[i], modelVersion: 'fit:profile', fallbackReason: null });
      }
      return out;
    },
    async siblings() {
      return new Map([[id, [...peers.keys()]]]);
    },
  };
}

interface Simulation {
  switches: Array<{ at: number; ruptureAt: number; shift: number; threshold: number }>;
  dismissed: number;
  monitored: Float64Array;
  unmonitored: Float64Array;
  /** Hours monitored in model mode (the exposure of false alarms). */
  modelHours: number;
}

/**
 * Hour by hour from `fromMs` to `toMs`: the monitor at :20 past each hour reads what was
 * published for the hours before; at 09:00 the run publishes the next day, by the plan the
 * monitor's state gives (and, beside it, the unmonitored model).
 */
async function simulate(gam: Float64Array, s: Series, values: Float64Array, fromMs: number, toMs: number, clean: Float64Array | null, cleanUntil: number): Promise<Simulation> {
  const n = values.length;
  const monitored = new Float64Array(n).fill(Number.NaN);
  const unmonitored = new Float64Array(n).fill(Number.NaN);
  const states = fakeMonitorState();
  const events = fakeEvents();
  const residuals = source(s.id, s.start.getTime(), { actual: values, published: monitored }, siblingsOf(s.id));
  const i0 = (fromMs - s.start.getTime()) / H;
  const i1 = Math.min(n - 24, (toMs - s.start.getTime()) / H);
  let dismissed = 0;
  let modelHours = 0;
  // Forecasts published before the monitor starts, so it has residuals to calibrate on.
  for (let i = i0 - SETTINGS.calibrationDays * 24; i < i1; i++) {
    const ms = s.start.getTime() + i * H;
    if (i >= i0) {
      const r = await detectRuptures({ states, residuals, events, now: () => new Date(ms + 20 * 60_000), settings: SETTINGS });
      dismissed += r.dismissed.length;
      if ((await states.states([s.id])).get(s.id)?.mode !== 'fallback') modelHours++;
    }
    if (new Date(ms).getUTCHours() !== 9) continue;
    const target = i + 15;
    const base = clean && ms < cleanUntil ? clean.subarray(target, target + 24) : await dayAhead(gam, s, values, i, { fit: MODEL });
    unmonitored.set(base, target);
    const st = i >= i0 ? (await states.states([s.id])).get(s.id) : undefined;
    const plan = monitoredPlan(st, { origin: new Date(ms), defaultModel: MODEL, historyDays: 365, fallbackDays: RUPTURE_FALLBACK_DAYS });
    monitored.set(plan ? await dayAhead(gam, s, values, i, plan) : base, target);
  }
  const switches = events.rows.filter((e) => e.kind === 'fallback-on').map((e) => ({ at: e.at.getTime(), ruptureAt: Date.parse(e.detail.ruptureAt as string), shift: e.detail.shift as number, threshold: e.detail.threshold as number }));
  return { switches, dismissed, monitored, unmonitored, modelHours };
}

function mape(actual: Float64Array, f: Float64Array, from: number, to: number): number {
  let sum = 0;
  let k = 0;
  for (let i = from; i < to; i++) {
    if (!Number.isFinite(actual[i]) || !Number.isFinite(f[i]) || actual[i] === 0) continue;
    sum += Math.abs((actual[i] - f[i]) / actual[i]);
    k++;
  }
  return (100 * sum) / k;
}

const pct = (q: number, xs: number[]) => {
  if (xs.length === 0) return Number.NaN;
  const v = [...xs].sort((a, b) => a - b);
  return v[Math.min(v.length - 1, Math.floor(q * (v.length - 1) + 0.5))];
};
const f1 = (v: number) => (Number.isFinite(v) ? v.toFixed(1) : '—');

// What the unmonitored model publishes for every zone: the siblings' forecasts throughout, and
// the monitored zone's own before an injected step.
const clean = new Map<string, Float64Array>();
for (const id of ZONES) {
  const s = data.get(id)!;
  const gam = await gamPredictions(cases.get(id)!, [2005, 2006, 2007, 2008]);
  const out = new Float64Array(s.values.length).fill(Number.NaN);
  for (let i = (Date.parse('2005-01-01T09:00:00Z') - s.start.getTime()) / H; i + 39 <= s.values.length; i += 24) out.set(await dayAhead(gam, s, s.values, i, { fit: MODEL }), i + 15);
  clean.set(id, out);
}
/**
 * A zone's siblings: the other zones, less its copies. Some GEFCom2012 zones are one series at
 * different scales (z3 and z7 equal, z2 a constant share of them): as siblings of each other they
 * would predict a zone's own error exactly, which no real grid offers. A copy: the hourly ratio
 * of the two varies by under 1 % (coefficient of variation).
 */
function sameValues(a: Float64Array, b: Float64Array): boolean {
  let n = 0;
  let s = 0;
  let ss = 0;
  for (let i = 0; i < a.length; i++) {
    if (!(a[i] > 0) || !(b[i] > 0)) continue;
    const r = a[i] / b[i];
    n++;
    s += r;
    ss += r * r;
  }
  const m = s / n;
  return n > 0 && Math.sqrt(Math.max(0, ss / n - m * m)) / m < 0.01;
}
function siblingsOf(id: string): Map<string, Published> {
  const own = data.get(id)!.values;
  return new Map(ZONES.filter((z) => z !== id && !sameValues(own, data.get(z)!.values)).map((z) => [z, { actual: data.get(z)!.values, published: clean.get(z)! }]));
}
const copies = ZONES.flatMap((z, i) => ZONES.slice(i + 1).filter((o) => sameValues(data.get(z)!.values, data.get(o)!.values)).map((o) => `${z}~${o}`));
log(`copies left out of each other's siblings: ${copies.join(', ')}`);
log(`series ${INJECT_SERIES.join(', ')}: the quiet run (no step), ${new Date(QUIET_FROM).toISOString().slice(0, 10)} to ${new Date(QUIET_TO).toISOString().slice(0, 10)}`);
const quiet: Array<{ id: string; years: number; switches: number; dismissed: number }> = [];
for (const id of INJECT_SERIES) {
  if (ONLY && !ONLY.includes(id)) continue;
  const s = data.get(id)!;
  const sim = await simulate(gamCache.get(id)!, s, s.values, QUIET_FROM, QUIET_TO, null, 0);
  quiet.push({ id, years: sim.modelHours / 8760, switches: sim.switches.length, dismissed: sim.dismissed });
  log(`${id}: switches ${sim.switches.map((w) => `${new Date(w.at).toISOString().slice(0, 13)} (${(100 * w.shift).toFixed(0)} %, threshold ${(100 * w.threshold).toFixed(0)} %)`).join(', ')}`);
  log(`${id}: ${sim.switches.length} fallback switches, ${sim.dismissed} alarms dismissed by the confirmation, over ${(sim.modelHours / 8760).toFixed(2)} series-years`);
}

interface Injection { step: number; id: string; at: number; delay: number | null; early: number; lastEarly: number | null; mapeMon: number; mapeUnmon: number }
const injections: Injection[] = [];
for (const id of INJECT_SERIES) {
  if (ONLY && !ONLY.includes(id)) continue;
  const s = data.get(id)!;
  for (const at of INJECT_AT.map(Date.parse)) {
    const k0 = (at - s.start.getTime()) / H;
    for (const step of STEPS) {
      const values = Float64Array.from(s.values, (v, i) => (i >= k0 ? v * (1 + step) : v));
      const sim = await simulate(gamCache.get(id)!, s, values, at - WARMUP_DAYS * DAY, at + AFTER_DAYS * DAY, clean.get(id)!, at);
      const hit = sim.switches.find((w) => w.at >= at);
      const before = sim.switches.filter((w) => w.at < at);
      const early = before.length;
      const to = k0 + AFTER_DAYS * 24;
      injections.push({ step, id, at, delay: hit ? (hit.at - at) / H : null, early, lastEarly: early ? before[early - 1].at : null, mapeMon: mape(values, sim.monitored, k0, to), mapeUnmon: mape(values, sim.unmonitored, k0, to) });
    }
  }
  log(`${id}: ${INJECT_AT.length * STEPS.length} injections done`);
}

for (const x of injections.filter((x) => x.step === -0.3 && (x.delay === null || x.delay > 24))) {
  log(`30 % step not detected within 24 h: ${x.id} at ${new Date(x.at).toISOString().slice(0, 13)}, delay ${x.delay === null ? 'none in 28 d' : `${x.delay.toFixed(1)} h`}, ${x.early} false switch(es) in the ${WARMUP_DAYS} days before${x.lastEarly === null ? '' : `, the last ${((x.at - x.lastEarly) / DAY).toFixed(1)} days before the step`}`);
}

const z10 = data.get('z10')!;
const z10gam = gamCache.get('z10')!;
if (ONLY && !ONLY.includes('z10')) process.exit(0);
const z10sim = await simulate(z10gam, z10, z10.values, Z10_RUPTURE - WARMUP_DAYS * DAY, Z10_RUPTURE + AFTER_DAYS * DAY, null, 0);
const z10hit = z10sim.switches.find((w) => w.at >= Z10_RUPTURE);
const zk = (Z10_RUPTURE - z10.start.getTime()) / H;
log(`z10: switches ${JSON.stringify(z10sim.switches.map((w) => new Date(w.at).toISOString()))}`);

const lines: string[] = [];
lines.push('| case | injections | detected ≤ 24 h | median delay (h) | 90th pct delay (h) | not detected in 28 d | switches before the step | MAPE monitored (28 d after) | MAPE unmonitored |');
lines.push('|---|---:|---:|---:|---:|---:|---:|---:|---:|');
for (const step of STEPS) {
  const xs = injections.filter((x) => x.step === step);
  const delays = xs.flatMap((x) => (x.delay === null ? [] : [x.delay]));
  const within = xs.filter((x) => x.delay !== null && x.delay <= 24).length;
  const mean = (k: 'mapeMon' | 'mapeUnmon') => xs.reduce((a, x) => a + x[k], 0) / xs.length;
  lines.push(`| step ${Math.round(step * 100)} % | ${xs.length} | ${within} (${f1((100 * within) / xs.length)} %) | ${f1(pct(0.5, delays))} | ${f1(pct(0.9, delays))} | ${xs.length - delays.length} | ${xs.reduce((a, x) => a + x.early, 0)} | ${f1(mean('mapeMon'))} % | ${f1(mean('mapeUnmon'))} % |`);
}
const z10delay = z10hit ? (z10hit.at - Z10_RUPTURE) / H : null;
lines.push(`| z10 real jump 2008-01-02 (×3.5) | 1 | ${z10delay !== null && z10delay <= 24 ? 'yes' : 'no'} | ${f1(z10delay ?? Number.NaN)} | — | ${z10hit ? 0 : 1} | ${z10sim.switches.filter((w) => w.at < Z10_RUPTURE).length} | ${f1(mape(z10.values, z10sim.monitored, zk, zk + AFTER_DAYS * 24))} % | ${f1(mape(z10.values, z10sim.unmonitored, zk, zk + AFTER_DAYS * 24))} % |`);
const years = quiet.reduce((a, q) => a + q.years, 0);
const sw = quiet.reduce((a, q) => a + q.switches, 0);
const quietLines = [
  '',
  '| no step (same zones, 2006-01 to 2008-06) | series-years monitored | false fallback switches | per series-year | alarms dismissed by the confirmation |',
  '|---|---:|---:|---:|---:|',
  `| ${INJECT_SERIES.join(', ')} | ${years.toFixed(1)} | ${sw} | ${(sw / years).toFixed(2)} | ${quiet.reduce((a, q) => a + q.dismissed, 0)} |`,
  '',
  `Per zone (switches / series-years): ${quiet.map((q) => `${q.id} ${q.switches}/${q.years.toFixed(1)}`).join(', ')}.`,
  `Settings: ${JSON.stringify(SETTINGS)}. Day-ahead model: GAM (temperature, calendar, US holidays) fitted on the 364 days before each calendar year, rescaled daily to the level of the last ${LEVEL_DAYS} days. Runtime ${((Date.now() - t0) / 1000).toFixed(0)} s.`,
];
const table = [...lines, ...quietLines].join('\n');
console.log(table);
mkdirSync('.bench-out', { recursive: true });
writeFileSync('.bench-out/monitoring.md', `${table}\n`);
