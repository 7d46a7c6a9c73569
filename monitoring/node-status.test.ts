import { describe, expect, it } from 'vitest';
import type { MonitoringEvent } from '../core/events.ts';
import { expectedPerHour, horizonLateness, nodeStatuses, type HorizonState, type NodeStatusInput, type SeriesDataHealth, type StatusNode, type StatusRun } from './node-status.ts';

const T = (s: string) => new Date(`2026-03-10T${s}:00Z`);
const event = (e: Partial<MonitoringEvent> & Pick<MonitoringEvent, 'id' | 'kind'>): MonitoringEvent => ({
  at: T('09:00'), severity: 'alarm', seriesId: null, modelVersion: null, runId: null, detail: {}, recordedAt: T('09:00'), ...e,
});

//   grid ── north ── a, b
//        └─ south ── c
const NODES: StatusNode[] = [
  { id: 'grid', parent: null, name: 'Grid', kind: 'load', derived: false },
  { id: 'north', parent: 'grid', name: null, kind: 'load', derived: false },
  { id: 'south', parent: 'grid', name: null, kind: 'load', derived: false },
  { id: 'a', parent: 'north', name: null, kind: 'load', derived: false },
  { id: 'b', parent: 'north', name: null, kind: 'load', derived: false },
  { id: 'c', parent: 'south', name: null, kind: 'load', derived: false },
  { id: 'ws', parent: null, name: null, kind: 'weather', derived: false },
];
const ALL = ['grid', 'north', 'south', 'a', 'b', 'c'];
const full = (id: string): SeriesDataHealth => ({ seriesId: id, hoursWithData: 24, imputedHours: 0, suspectHours: 0, shortMeteredHours: 0, declaredPerHour: null, counts: Array(24).fill(12) });
const run = (id: number, over: Partial<StatusRun> = {}): StatusRun => ({
  id, horizon: 'day-ahead', issuedAt: T('08:05'), origin: T('08:00'), scheduledAt: T('08:00'), deadline: T('09:00'), deadlineFallback: null, seriesIds: ALL, ...over,
});
const noRuns = (): HorizonState[] => [];

const input = (over: Partial<NodeStatusInput> = {}): NodeStatusInput => ({
  asOf: T('12:00'),
  window: { from: T('00:00'), to: T('12:00'), hours: 24 },
  nodes: NODES,
  health: ['a', 'b', 'c'].map(full),
  lastSeen: new Map(),
  horizons: noRuns(),
  fallbacks: [],
  ruptures: [],
  dayAhead: null,
  ...over,
});

const byId = (r: ReturnType<typeof nodeStatuses>) => new Map(r.nodes.map((n) => [n.id, n]));

describe('node status rules', () => {
  it('is ok with complete data, no alarm, no fallback; weather stations are not listed', () => {
    const r = nodeStatuses(input());
    expect(r.nodes.map((n) => [n.id, n.status, n.worstBelow])).toEqual([
      ['grid', 'ok', 'ok'], ['north', 'ok', 'ok'], ['south', 'ok', 'ok'], ['a', 'ok', null], ['b', 'ok', null], ['c', 'ok', null],
    ]);
    expect(r.nodes[0]).toMatchObject({ statuses: ['ok'], reasons: [], dayAheadMape: null, runs: { intraday: null, 'day-ahead': null, 'week-ahead': null, 'mid-term': null } });
  });

  it('flags missing, incomplete, imputed and suspect hours of a leaf, and its roll-ups through their leaves', () => {
    const r = byId(nodeStatuses(input({
      health: [{ seriesId: 'a', hoursWithData: 22, imputedHours: 2, suspectHours: 1, shortMeteredHours: 0, declaredPerHour: null, counts: [...Array(21).fill(360), 200] }, full('b')],
      lastSeen: new Map([['a', T('11:00')], ['c', null]]),
    })));
    expect(r.get('a')!.reasons.map((x) => [x.code, x.details.hours])).toEqual([['data-missing', 2], ['data-incomplete', 1], ['data-imputed', 2], ['data-suspect', 1]]);
    expect(r.get('a')!.reasons[0].since).toEqual(T('11:00'));
    // c has no point in the window, nor ever.
    expect(r.get('c')!.reasons).toMatchObject([{ code: 'data-missing', details: { hours: 24, lastSeen: null }, message: expect.stringContaining('no point ever') }]);
    expect(r.get('north')!.reasons).toMatchObject([{ status: 'partial-data', code: 'children-partial', details: { count: 1, leaves: 2, series: ['a'] } }]);
    expect(r.get('grid')!.reasons).toMatchObject([{ code: 'children-partial', details: { count: 2, leaves: 3, series: ['a', 'c'] } }]);
    expect(r.get('b')!.status).toBe('ok');
    expect(r.get('grid')!.worstBelow).toBe('partial-data');
  });

  it('expects the declared cadence, else the median count of the hours', () => {
    expect(expectedPerHour({ declaredPerHour: 6, counts: [360, 360] })).toBe(6);
    expect(expectedPerHour({ declaredPerHour: null, counts: [360, 200, 361, 359] })).toBe(359);
    expect(expectedPerHour({ declaredPerHour: null, counts: [1, 1, 1] })).toBe(1);
    expect(expectedPerHour({ declaredPerHour: null, counts: [] })).toBeNull();
    const r = byId(nodeStatuses(input({ health: [full('a'), full('b'), { ...full('c'), counts: Array(20).fill(4), shortMeteredHours: 4 }], nodes: NODES.map((n) => n) })));
    expect(r.get('c')!.reasons).toMatchObject([{ code: 'data-incomplete', details: { hours: 4, fewerPoints: 0, meteringShort: 4 } }]);
    const declared = byId(nodeStatuses(input({ health: [full('a'), full('b'), { ...full('c'), declaredPerHour: 360 }] })));
    expect(declared.get('c')!.reasons).toMatchObject([{ code: 'data-incomplete', details: { hours: 24, expectedPerHour: 360, fewerPoints: 24 } }]);
  });

  it('judges a roll-up with data of its own by its own data only', () => {
    const r = byId(nodeStatuses(input({ health: [full('a'), full('b'), full('c'), { ...full('north'), imputedHours: 3 }] })));
    expect(r.get('north')!.reasons.map((x) => x.code)).toEqual(['data-imputed']);
    expect(r.get('grid')!.status).toBe('ok');
  });

  it('marks the fallbacks of the latest runs, with the horizon and reason', () => {
    const r = byId(nodeStatuses(input({
      horizons: [{ horizon: 'day-ahead', latest: run(7), latestOnTime: { id: 7, scheduledAt: T('08:00'), issuedAt: T('08:05') }, latestAlarm: null }],
      fallbacks: [{ runId: 7, seriesId: 'b', model: 'shallow-history', fallbackReason: 'rupture (since 2026-03-08)' }],
    })));
    expect(r.get('b')!).toMatchObject({ status: 'fallback', reasons: [{ code: 'fallback-in-run', horizon: 'day-ahead', runId: 7, details: { model: 'shallow-history' } }] });
    expect(r.get('a')!.runs['day-ahead']).toBe(7);
    expect(r.get('north')!.worstBelow).toBe('fallback');
  });

  it('puts an open rupture first, with its event and acknowledgement', () => {
    const rupture = event({ id: 42, kind: 'rupture', seriesId: 'b', modelVersion: 'grid@2', detail: { reason: 'level shift of -30.0 % confirmed over 6 hours', shift: -0.3 } });
    const out = nodeStatuses(input({
      health: [full('a'), { ...full('b'), imputedHours: 1 }, full('c')],
      horizons: [{ horizon: 'day-ahead', latest: run(7), latestOnTime: null, latestAlarm: null }],
      fallbacks: [{ runId: 7, seriesId: 'b', model: 'shallow-history', fallbackReason: 'rupture (since …)' }],
      ruptures: [rupture],
      acknowledged: new Set([42]),
    }));
    const b = byId(out).get('b')!;
    expect(b.status).toBe('rupture');
    expect(b.statuses).toEqual(['rupture', 'fallback', 'partial-data']);
    expect(b.reasons[0]).toMatchObject({ code: 'open-rupture', eventId: 42, acknowledged: true, details: { modelVersion: 'grid@2', shift: -0.3 } });
    expect(b.reasons.find((x) => x.code === 'fallback-in-run')!.acknowledged).toBeNull();
    expect(byId(out).get('grid')!.worstBelow).toBe('rupture');
  });
});

describe('horizon lateness', () => {
  const base = (over: Partial<HorizonState>): HorizonState => ({ horizon: 'day-ahead', latest: run(7), latestOnTime: { id: 7, scheduledAt: T('08:00'), issuedAt: T('08:05') }, latestAlarm: null, ...over });
  const runLate = event({ id: 5, kind: 'run-late', detail: { horizon: 'day-ahead', scheduledAt: T('08:00').toISOString(), deadline: T('09:00').toISOString(), reason: 'over-budget' } });

  it('is on time without alarm and with the latest run issued by its deadline', () => {
    expect(horizonLateness(base({}))).toEqual([]);
  });

  it('is late after a run-late alarm of the latest tick, the model run stored after the deadline', () => {
    const late = horizonLateness(base({
      latest: run(9, { issuedAt: T('09:20') }),
      latestOnTime: { id: 3, scheduledAt: new Date('2026-03-09T08:00:00Z'), issuedAt: new Date('2026-03-09T08:05:00Z') },
      latestAlarm: runLate,
    }));
    expect(late.map((r) => [r.code, r.eventId ?? r.runId])).toEqual([['run-late', 5], ['issued-after-deadline', 9]]);
    expect(late[0]).toMatchObject({ status: 'late-run', horizon: 'day-ahead', since: T('08:00'), details: { reason: 'over-budget' } });
  });

  it('is cleared by a model run on time for the alarm tick or a later one, scheduled or by hand', () => {
    expect(horizonLateness(base({ latestAlarm: runLate, latestOnTime: { id: 8, scheduledAt: T('08:00'), issuedAt: T('08:40') } }))).toEqual([]);
    expect(horizonLateness(base({ latestAlarm: runLate, latestOnTime: { id: 8, scheduledAt: null, issuedAt: T('10:00') } }))).toEqual([]);
    const missed = event({ id: 6, kind: 'deadline-missed', detail: { horizon: 'day-ahead', scheduledAt: T('08:00').toISOString(), reason: 'no instance ran the tick before its deadline' } });
    expect(horizonLateness(base({ latestAlarm: missed, latestOnTime: { id: 2, scheduledAt: T('07:00'), issuedAt: T('07:05') } }))).toMatchObject([{ code: 'deadline-missed', eventId: 6 }]);
  });

  it('makes the nodes its latest run covers late, or every node of the hierarchy without a run', () => {
    const covered = nodeStatuses(input({ horizons: [base({ latest: run(9, { seriesIds: ['a'] }), latestOnTime: null, latestAlarm: runLate })] }));
    expect(covered.nodes.filter((n) => n.status === 'late-run').map((n) => n.id)).toEqual(['a']);
    expect(covered.horizons).toMatchObject([{ horizon: 'day-ahead', late: true, reasons: [{ code: 'run-late', acknowledged: false }] }]);
    const none = nodeStatuses(input({ horizons: [base({ latest: null, latestOnTime: null, latestAlarm: runLate })] }));
    expect(none.nodes.every((n) => n.status === 'late-run')).toBe(true);
  });
});
