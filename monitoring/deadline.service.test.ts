import { describe, expect, it } from 'vitest';
import { ConfigSchema } from '../core/config.ts';
import type { EventKind } from '../core/events.ts';
import type { Topology } from '../core/topology/schema.ts';
import type { GroupsRunner, RunDeps } from '../forecast/run/ports.ts';
import { reproduceRun } from '../forecast/run/service.ts';
import { fakeClock } from '../test/fakes/clock.ts';
import { fakeEvents } from '../test/fakes/events.ts';
import { fakeRunInputs, type FakeSeries } from '../test/fakes/run-inputs.ts';
import { fakeRunStore } from '../test/fakes/run-store.ts';
import { inlineGroups } from '../forecast/run/workers.ts';
import { deadlinePlan, deadlineService, type InputFreshness } from './deadline.service.ts';
import { forecastJobs } from '../jobs/forecast.job.ts';
import { createScheduler } from '../jobs/scheduler.ts';
import { fakeJobRuns } from '../test/fakes/job-runs.ts';
import { silentLog } from '../core/log.ts';
import { GridcastError } from '../core/errors.ts';

// The deadline policy on a fake clock, an in-memory store and event log: an hour's deadline in microseconds.

const HOUR = 3_600_000;
const MIN = 60_000;
const ZONE = 'Europe/Paris';
const config = ConfigSchema.parse({
  timeZone: ZONE,
  forecast: { defaultModel: { kind: 'profile', params: { weeks: 2 } }, historyDays: 21, reconciliation: 'bottom-up' },
  deadlines: { pollSec: 300, weatherMaxAgeSec: 12 * 3600, scadaMaxAgeSec: 3600 },
});
// Day-ahead at 09:00 Paris; deadline an hour later: early warning at 09:30, budget ends at 09:50.
const TICK = new Date('2026-01-12T08:00:00Z');
const DEADLINE = new Date(TICK.getTime() + HOUR);

const node = (id: string, parent: string | null) => ({ id, parent, kind: 'load' as const, unit: 'MW', timeZone: ZONE, attrs: {} });
const TOPOLOGY: Topology = { timeZone: ZONE, nodes: [node('grid', null), node('a', 'grid'), node('b', 'grid')] };
const daily = (level: number) => (ms: number) => level + 10 * Math.sin((2 * Math.PI * (ms / HOUR)) / 24) + (Math.floor(ms / 86_400_000) % 7);
const SERIES: Record<string, FakeSeries> = { grid: { load: daily(300) }, a: { load: daily(100) }, b: { load: daily(200) } };

/** Stations and series whose last issue / measurement the test moves. */
function fakeFreshness(init: { weather: Record<string, Date | null>; scada: Record<string, Date | null> }): InputFreshness & typeof init {
  return {
    ...init,
    async weatherIssues(_variable, at) {
      return Object.entries(this.weather).map(([stationId, t]) => ({ stationId, issuedAt: t && t <= at ? t : null }));
    },
    async scadaLatest(ids, at) {
      return Object.entries(this.scada).filter(([id]) => !ids || ids.includes(id)).map(([seriesId, t]) => ({ seriesId, ts: t && t <= at ? t : null }));
    },
  };
}

function setup(opts: { workers?: GroupsRunner; weather?: Date | null; scada?: Date | null } = {}) {
  const clock = fakeClock(TICK);
  const store = fakeRunStore({ topology: TOPOLOGY });
  const events = fakeEvents();
  const run: RunDeps = { store, inputs: fakeRunInputs(SERIES), workers: opts.workers ?? inlineGroups, config, now: () => clock.now() };
  const freshness = fakeFreshness({
    weather: { s1: opts.weather === undefined ? new Date(TICK.getTime() - 3 * HOUR) : opts.weather, s2: new Date(TICK.getTime() - 2 * HOUR) },
    scada: { a: opts.scada === undefined ? new Date(TICK.getTime() - 5 * MIN) : opts.scada, b: new Date(TICK.getTime() - 5 * MIN) },
  });
  const svc = deadlineService({ run, fallbackRun: { ...run, workers: inlineGroups }, events, freshness, clock, config });
  const controller = new AbortController();
  const start = () => svc.run({ horizon: 'day-ahead', scheduledAt: TICK, deadline: DEADLINE, signal: controller.signal });
  const kinds = () => [...events.rows].sort((x, y) => x.id - y.id).map((e): [EventKind, string, string] => [e.kind, e.severity, e.at.toISOString()]);
  return { clock, store, events, freshness, controller, start, kinds, run };
}

/** A worker share that answers only when the test says so (a slow or hung worker pool). */
function gatedWorkers() {
  let open!: () => void;
  const gate = new Promise<void>((r) => (open = r));
  const workers: GroupsRunner = async (job, signal, deadline, artifacts) => {
    await Promise.race([gate, new Promise((_, reject) => signal?.addEventListener('abort', () => reject(signal.reason), { once: true }))]);
    return inlineGroups(job, signal, deadline, artifacts);
  };
  return { workers, open: () => open() };
}

const at = (ms: number) => new Date(TICK.getTime() + ms).toISOString();

describe('deadline policy (fake clock, in-memory store and events)', () => {
  it('places the early warning and the budget inside the window, whatever the configured deadline', () => {
    expect(deadlinePlan(config, 'day-ahead', TICK, DEADLINE)).toEqual({ warnAt: new Date(TICK.getTime() + 30 * MIN), budgetEnd: new Date(TICK.getTime() + 50 * MIN) });
    // A 20-minute deadline: the fallback keeps a quarter of it, the warning falls at the tick.
    const short = new Date(TICK.getTime() + 20 * MIN);
    expect(deadlinePlan(config, 'day-ahead', TICK, short)).toEqual({ warnAt: TICK, budgetEnd: new Date(TICK.getTime() + 15 * MIN) });
    const custom = ConfigSchema.parse({ deadlines: { horizons: { 'day-ahead': { warnLeadSec: 600, safetyMarginSec: 300 } } } });
    expect(deadlinePlan(custom, 'day-ahead', TICK, DEADLINE)).toEqual({ warnAt: new Date(TICK.getTime() + 50 * MIN), budgetEnd: new Date(TICK.getTime() + 55 * MIN) });
  });

  it('inputs on time: the model run is published, nothing is raised', async () => {
    const { clock, store, start, kinds } = setup();
    const out = await clock.drive(start());
    expect(out).toEqual({ published: 'run', runId: 1, lateRunId: null });
    expect(kinds()).toEqual([]);
    const values = await store.readValues(1);
    expect(values.every((v) => v.fallbackReason === null && v.model === 'profile')).toBe(true);
  });

  it('weather late: a warning at the tick, the early warning point waited for, then the labelled fallback before the deadline with the alarm', async () => {
    const { clock, store, events, start, kinds } = setup({ weather: new Date(TICK.getTime() - 20 * HOUR) });
    const out = await clock.drive(start());
    expect(out).toEqual({ published: 'fallback', runId: 1, lateRunId: null });
    expect(kinds()).toEqual([
      ['input-late', 'warning', at(0)],
      ['run-late', 'alarm', at(30 * MIN)],
      ['fallback-published', 'warning', at(30 * MIN)],
    ]);
    const [late] = await events.list({ kinds: ['input-late'] });
    expect(late.detail).toMatchObject({
      input: 'weather-forecast', check: 'start', lastSeen: new Date(TICK.getTime() - 20 * HOUR).toISOString(), maxAgeSec: 43_200, count: 1,
      late: [{ id: 's1', lastSeen: new Date(TICK.getTime() - 20 * HOUR).toISOString() }], deadline: DEADLINE.toISOString(), horizon: 'day-ahead',
    });
    const run = await store.readRun(1);
    expect(run.issuedAt).toEqual(new Date(TICK.getTime() + 30 * MIN));
    expect(run.issuedAt.getTime()).toBeLessThan(DEADLINE.getTime());
    expect(run.settings).toMatchObject({ fallbackReason: 'deadline: inputs late (weather-forecast)', defaultModel: config.deadlines.fallbackModel, historyDays: 35 });
    const values = await store.readValues(1);
    expect(new Set(values.map((v) => `${v.model} | ${v.fallbackReason}`))).toEqual(new Set(['seasonal-naive | deadline: inputs late (weather-forecast)']));
    const [published] = await events.list({ kinds: ['fallback-published'] });
    expect(published).toMatchObject({ runId: 1, modelVersion: 'fit:seasonal-naive', detail: { fallbackReason: 'deadline: inputs late (weather-forecast)' } });
  });

  it('a late weather issue that arrives before the early warning: the model run, after the one warning', async () => {
    const { clock, store, freshness, start, kinds } = setup({ weather: new Date(TICK.getTime() - 20 * HOUR) });
    const p = start();
    await clock.advance(); // first look again, 5 minutes in: still late
    freshness.weather.s1 = new Date(TICK.getTime() + 7 * MIN);
    const out = await clock.drive(p);
    expect(out.published).toBe('run');
    expect(kinds()).toEqual([['input-late', 'warning', at(0)]]);
    // Issued when it was made (after the wait), as of its tick.
    expect((await store.readRun(out.runId!)).issuedAt).toEqual(new Date(TICK.getTime() + 10 * MIN));
    expect((await store.readValues(out.runId!)).every((v) => v.fallbackReason === null)).toBe(true);
  });

  it('SCADA going stale while the weather is waited for is reported at the early warning', async () => {
    const { clock, start, events } = setup({ weather: new Date(TICK.getTime() - 13 * HOUR), scada: new Date(TICK.getTime() - 40 * MIN) });
    await clock.drive(start());
    const late = (await events.list({ kinds: ['input-late'] })).reverse().map((e) => [e.detail.input, e.detail.check, e.at.toISOString()]);
    // SCADA is 40 minutes old at the tick (max 1 h), 70 at the early warning.
    expect(late).toEqual([['weather-forecast', 'start', at(0)], ['scada', 'lead', at(30 * MIN)]]);
    const [scada] = await events.list({ kinds: ['input-late'] });
    expect(scada.detail).toMatchObject({ lastSeen: new Date(TICK.getTime() - 40 * MIN).toISOString(), late: [{ id: 'a' }], count: 1 });
  });

  it('stale SCADA alone is a warning: the model run goes on; a feed that never existed is not watched', async () => {
    const { clock, start, kinds, store } = setup({ weather: null, scada: new Date(TICK.getTime() - 3 * HOUR) });
    expect(await clock.drive(start())).toEqual({ published: 'run', runId: 1, lateRunId: null });
    // Station s1 never issued a forecast: nothing about it.
    expect(kinds()).toEqual([['input-late', 'warning', at(0)]]);
    expect((await store.readValues(1)).every((v) => v.fallbackReason === null)).toBe(true);
  });

  it('without the budget (a replay), a slow model run is waited for, however long it takes', async () => {
    const slow = gatedWorkers();
    const clock = fakeClock(TICK);
    const events = fakeEvents();
    const store = fakeRunStore({ topology: TOPOLOGY });
    const run: RunDeps = { store, inputs: fakeRunInputs(SERIES), workers: slow.workers, config, now: () => clock.now() };
    const svc = deadlineService({ run, fallbackRun: run, events, freshness: fakeFreshness({ weather: {}, scada: {} }), clock, config, enforceBudget: false });
    const p = svc.run({ horizon: 'day-ahead', scheduledAt: TICK, deadline: DEADLINE, signal: new AbortController().signal });
    setTimeout(slow.open, 50);
    expect(await clock.drive(p)).toEqual({ published: 'run', runId: 1, lateRunId: null });
    expect(events.rows).toEqual([]);
  });

  it('a slow model run: the fallback at the end of the budget; the run finishing later is stored with its own, later issue time', async () => {
    const slow = gatedWorkers();
    const { clock, store, start, kinds, run } = setup({ workers: slow.workers });
    const p = start();
    await clock.advance(); // to the end of the budget: the fallback is published
    expect(kinds()).toEqual([['run-late', 'alarm', at(50 * MIN)], ['fallback-published', 'warning', at(50 * MIN)]]);
    clock.set(new Date(TICK.getTime() + 55 * MIN));
    slow.open();
    const out = await clock.drive(p);
    expect(out).toEqual({ published: 'fallback', runId: 1, lateRunId: 2 });
    const [fallback, late] = [await store.readRun(1), await store.readRun(2)];
    expect(fallback.issuedAt).toEqual(new Date(TICK.getTime() + 50 * MIN));
    expect(late.issuedAt).toEqual(new Date(TICK.getTime() + 55 * MIN));
    // Its inputs are those known when it started; a reproduction reads the store as of then.
    expect(late.settings.knownAt).toBe(TICK.toISOString());
    expect((await reproduceRun(run, 2)).identical).toBe(true);
    expect((await reproduceRun(run, 1)).identical).toBe(true);
  });

  it('a hung worker pool aborted at the deadline: the fallback stands, no deadline missed', async () => {
    const hung = gatedWorkers();
    const { clock, controller, start, kinds } = setup({ workers: hung.workers });
    const p = start();
    await clock.advance();
    controller.abort(new Error('deadline reached'));
    expect(await clock.drive(p)).toEqual({ published: 'fallback', runId: 1, lateRunId: null });
    expect(kinds().map(([k]) => k)).toEqual(['run-late', 'fallback-published']);
  });

  it('a failed model run: the fallback at once; a fallback that fails too is a missed deadline', async () => {
    const failing: GroupsRunner = () => Promise.reject(new Error('boom'));
    const a = setup({ workers: failing });
    a.store.failSave = new Error('disk full');
    expect(await a.clock.drive(a.start())).toEqual({ published: 'fallback', runId: 1, lateRunId: null });
    expect(a.kinds()).toEqual([['run-late', 'alarm', at(0)], ['fallback-published', 'warning', at(0)]]);
    expect((await a.events.list({ kinds: ['run-late'] }))[0].detail).toMatchObject({ reason: 'run-failed', error: 'disk full' });

    const b = setup({ weather: new Date(TICK.getTime() - 13 * HOUR) });
    const save = b.store.saveRun.bind(b.store);
    b.store.saveRun = async (r, v) => (r.settings.fallbackReason ? Promise.reject(new Error('store down')) : save(r, v));
    expect(await b.clock.drive(b.start())).toEqual({ published: 'none', runId: null, lateRunId: null });
    expect(b.kinds().map(([k, s]) => `${k}/${s}`)).toEqual(['input-late/warning', 'run-late/alarm', 'deadline-missed/alarm']);
    expect((await b.events.list({ kinds: ['deadline-missed'] }))[0].detail).toMatchObject({ reason: 'the fallback could not be made', error: 'store down' });
  });

  it('a model run cut by a lost store connection is thrown for the scheduler to retry: no fallback, no alarm', async () => {
    const a = setup();
    a.store.failSave = new GridcastError('DB_CONNECTION_LOST', 'The connection to PostgreSQL was lost');
    await expect(a.clock.drive(a.start())).rejects.toMatchObject({ code: 'DB_CONNECTION_LOST' });
    expect(a.kinds()).toEqual([]);
  });
});

describe('missed forecast ticks (scheduler hook)', () => {
  it('a tick no instance ran before its deadline is one deadline-missed alarm, written once across instances', async () => {
    const { events, run } = setup();
    const clock = fakeClock(new Date('2026-01-14T08:30:00Z'));
    const svc = deadlineService({ run, fallbackRun: run, events, freshness: fakeFreshness({ weather: {}, scada: {} }), clock, config });
    const runs = fakeJobRuns();
    // The last run was on the 12th; the tick of the 13th passed with every instance down.
    await runs.recordMissed('forecast-day-ahead', [TICK], 'gone', 'x');
    const jobs = forecastJobs(run, svc).filter((j) => j.name === 'forecast-day-ahead').map((j) => ({ ...j, run: async () => {} }));
    const schedulers = ['a', 'b'].map((instance) => createScheduler({ runs, jobs, log: silentLog, instance, timeZone: ZONE, now: () => clock.now() }));
    await Promise.all(schedulers.map((s) => s.catchUp('forecast-day-ahead')));
    const missed = await events.list({ kinds: ['deadline-missed'] });
    expect(missed.map((e) => [e.severity, e.detail.scheduledAt, e.detail.deadline])).toEqual([
      ['alarm', '2026-01-13T08:00:00.000Z', '2026-01-13T09:00:00.000Z'],
    ]);
  });
});
