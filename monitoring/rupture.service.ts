import type { EventLog } from '../core/events.ts';
import type { Log } from '../core/log.ts';
import type { CusumDetectorState, DetectorState, MonitorStateStore, PeerCorrection, ResidualHour, ResidualSource, SeriesMonitorState, WindowDetectorV2State } from '../core/monitor-state.ts';
import { DEFAULT_RUPTURE_SETTINGS, type RuptureSettings } from '../core/rupture-settings.ts';
import type { PlannedChangeSource } from '../core/planned.ts';
import { corrected, fitCorrection, peerReader, type PeerReader } from './peers.ts';
import { PlannedWindows } from './planned.ts';
import { calibrateWindowThreshold } from './stats/calibrate.ts';
import { confirmShift } from './stats/confirm.ts';
import { median } from './stats/robust.ts';
import { windowMeanRun } from './stats/window-mean.ts';

export interface RuptureDeps {
  states: MonitorStateStore;
  residuals: ResidualSource;
  events: EventLog;
  now: () => Date;
  settings?: RuptureSettings;
  log?: Log;
  /** Where plans come from (planned transfers; schedules at merge): a level change a plan explains is `planned`, no rupture. */
  planned?: PlannedChangeSource[];
}

export interface RuptureCheck {
  checked: number;
  /** Series without enough residuals yet to calibrate on. */
  uncalibrated: string[];
  ruptures: string[];
  returned: string[];
  dismissed: string[];
  /** Series whose confirmed level change a plan explained (a `planned` event, no rupture). */
  planned: string[];
}

const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;
const iso = (d: Date) => d.toISOString();

/**
 * Online rupture detection (D3) over the residuals of the published day-ahead forecasts
 * (actual − forecast, hourly). Day-ahead rather than one-step residuals: they are what was
 * published, they exist for every series and every model without refitting, and a level shift
 * shows in them fully until the model catches up.
 *
 * A series' own residual is taken against its forecast corrected by what its siblings (same
 * parent) did that hour: weather and calendar errors hit siblings together (a cold snap
 * under-forecast by 20 % everywhere is not a rupture of one substation), a rupture hits one.
 * The correction f·(1 + beta·m), m the median relative error of the siblings, beta fitted at
 * calibration (monitoring/peers.ts); none below minPeers siblings. A shift of a whole group
 * shows at its parent, monitored with its own siblings (or uncorrected at the root).
 *
 * Per series, each check: (re)calibrates the correction, centre, level and threshold on the
 * series' own residuals when due; feeds the hours since the last check to a chart on the mean of the last
 * windowHours residuals as shares of the level (monitoring/stats/window-mean.ts);
 * an alarm waits for confirmation (median shift of at least minRelativeShift of the level over
 * at least confirmPoints hours since the estimated change), then a `rupture` and a `fallback-on`
 * event are appended and the series is put on the fallback, which the next run serves
 * (forecast/run/monitor-plan.ts). After returnAfterDays of post-rupture history the series returns
 * to its model with a `fallback-off` event, and the detector is recalibrated at once on the last
 * year of residuals without those from the rupture to the return.
 *
 * Plans (issue 14): a confirmed shift within windowHours of the start of a planned change of the
 * series (a transfer, a schedule) in its direction, or of its end in the other, is the plan's: a
 * `planned` event, no rupture, no fallback, and the detector skips the plan's hours until its
 * end. Hours under a plan are left out of calibration and of the siblings' errors.
 */
export async function detectRuptures(deps: RuptureDeps): Promise<RuptureCheck> {
  const s = deps.settings ?? DEFAULT_RUPTURE_SETTINGS;
  const now = deps.now();
  const out: RuptureCheck = { checked: 0, uncalibrated: [], ruptures: [], returned: [], dismissed: [], planned: [] };
  const ids = await deps.residuals.forecastSeries(new Date(now.getTime() - s.calibrationDays * DAY_MS), now);
  const states = await deps.states.states(ids);
  const onFallback = new Set([...states].filter(([, st]) => st.mode === 'fallback').map(([id]) => id));
  const planned = PlannedWindows.of(await PlannedWindows.read(deps.planned ?? [], { seriesIds: ids, from: new Date(now.getTime() - s.calibrationDays * DAY_MS), to: now, knownAt: now }));
  const reader = peerReader(deps.residuals, await deps.residuals.siblings(ids), s.minPeers, onFallback, (id, ts) => planned.covers(id, ts));
  for (const id of ids) {
    out.checked++;
    const st = states.get(id);
    if (st?.mode === 'fallback') {
      if (await maybeReturn(deps, s, st, now)) out.returned.push(id);
      continue;
    }
    const r = await checkSeries(deps, reader, planned, s, id, st, now);
    if (r === 'uncalibrated') out.uncalibrated.push(id);
    if (r === 'rupture') {
      out.ruptures.push(id);
      reader.markBroken(id);
    }
    if (r === 'dismissed') out.dismissed.push(id);
    if (r === 'planned') out.planned.push(id);
  }
  return out;
}

async function maybeReturn(deps: RuptureDeps, s: RuptureSettings, st: SeriesMonitorState, now: Date): Promise<boolean> {
  const ruptureAt = st.ruptureAt ?? st.since;
  const days = (now.getTime() - ruptureAt.getTime()) / DAY_MS;
  if (days < s.returnAfterDays) return false;
  await deps.states.save({ seriesId: st.seriesId, mode: 'model', since: now, ruptureAt, detector: null, modelVersion: st.modelVersion }, now);
  await deps.events.append({
    at: now,
    kind: 'fallback-off',
    severity: 'info',
    seriesId: st.seriesId,
    modelVersion: st.modelVersion,
    detail: {
      reason: `${Math.floor(days)} days of history since the rupture (${s.returnAfterDays} needed): the model returns, fitted on post-rupture history only`,
      ruptureAt: iso(ruptureAt),
      fallbackSince: iso(st.since),
      postRuptureDays: Math.floor(days),
    },
  });
  deps.log?.info({ seriesId: st.seriesId, ruptureAt: iso(ruptureAt) }, 'series back on its model after a rupture');
  return true;
}

type Outcome = 'uncalibrated' | 'quiet' | 'pending' | 'rupture' | 'dismissed' | 'planned';

async function checkSeries(deps: RuptureDeps, reader: PeerReader, planned: PlannedWindows, s: RuptureSettings, id: string, st: SeriesMonitorState | undefined, now: Date): Promise<Outcome> {
  // A detector stored by an earlier rule is recalibrated at once: the first (a CUSUM) loses its
  // pending alarm, the second (no sibling correction) keeps its window and goes on from its last hour.
  const stored = st?.detector ?? null;
  let detector: DetectorState | null = stored?.rule === 3 ? stored : null;
  const since = st?.since ?? new Date(0);
  const due = !detector || (!detector.pending && (now.getTime() - Date.parse(detector.calibratedAt) >= s.recalibrateDays * DAY_MS || reader.weighsBroken(detector.peers)));
  let modelVersion = st?.modelVersion ?? null;
  /** Hours of [from, now) with the forecast corrected by the siblings, by the detector's correction. */
  const hoursFrom = async (from: Date, stored: PeerCorrection | null) => {
    const c = reader.usable(stored);
    const used = Object.keys(c?.weights ?? {});
    return corrected(await reader.read(id, from, now), used.length > 0 ? await reader.errors(used, from, now) : null, c);
  };
  if (due) {
    // The last year, less the hours from the last rupture to the return (the broken model, then the fallback).
    const gap = st?.ruptureAt ? [st.ruptureAt.getTime(), since.getTime()] : null;
    const from = new Date(now.getTime() - s.calibrationDays * DAY_MS);
    const all = await reader.read(id, from, now);
    // Nor the hours a plan changed: they are the plan's level, not the model's errors.
    const hours = all.filter((h) => (!gap || h.ts.getTime() < gap[0] || h.ts.getTime() >= gap[1]) && !planned.covers(id, h.ts));
    if (hours.length < s.minCalibrationDays * 24) {
      if (!st) await deps.states.save({ seriesId: id, mode: 'model', since: now, ruptureAt: null, detector: null, modelVersion: null }, now);
      return 'uncalibrated';
    }
    const sibs = reader.siblingsOf(id);
    const errors = sibs.length > 0 ? await reader.errors(sibs, from, now) : null;
    const peers = fitCorrection(hours, errors, s.windowHours, s.maxPeers);
    const previous = stored?.rule === 3 || stored?.rule === 2 ? stored : null;
    detector = calibrate(corrected(hours, errors, peers), peers, s, now, previous, stored && stored.rule === undefined ? stored : null, all[all.length - 1].ts);
    modelVersion = hours[hours.length - 1].modelVersion;
  }
  const d = detector!;
  const save = (patch: Partial<Omit<SeriesMonitorState, 'updatedAt'>>) =>
    deps.states.save({ seriesId: id, mode: 'model', since, ruptureAt: st?.ruptureAt ?? null, detector: d, modelVersion, ...patch }, now);

  if (!d.pending) {
    const from = d.lastTs ? new Date(Date.parse(d.lastTs) + HOUR_MS) : now;
    let hours = await hoursFrom(from, d.peers);
    if (d.plannedUntil) {
      const until = Date.parse(d.plannedUntil);
      const skipped = hours.filter((h) => h.ts.getTime() < until);
      if (skipped.length > 0) d.lastTs = iso(skipped[skipped.length - 1].ts);
      hours = hours.filter((h) => h.ts.getTime() >= until);
      if (now.getTime() >= until) delete d.plannedUntil;
    }
    if (hours.length > 0) {
      modelVersion = hours[hours.length - 1].modelVersion;
      const r = hours.map((h) => (h.actual - h.forecast - d.center) / d.level);
      const run = windowMeanRun(r, d.windowHours, d.threshold, d.window);
      d.window = run.window;
      d.lastTs = iso(hours[run.read - 1].ts);
      if (run.alarm) {
        const a = run.alarm;
        const at = hours[a.index].ts;
        d.pending = { at: iso(at), side: a.side, statistic: a.statistic, changeAt: iso(new Date(at.getTime() - (a.run - 1) * HOUR_MS)) };
      }
    }
  }
  if (!d.pending) {
    await save({});
    return 'quiet';
  }
  const p = d.pending;
  // Confirmed on the corrected residuals and on the raw ones: a series whose siblings did not
  // move (the raw shift) and which moved beyond what they did (the corrected one). The raw check
  // stops a sibling's own rupture that the correction carried into this series' statistic.
  const confirm = (hs: ResidualHour[]) => confirmShift(hs.map((h) => h.actual), hs.map((h) => h.forecast), p.side, { points: s.confirmPoints, minRelativeShift: s.minRelativeShift });
  const raw = await reader.read(id, new Date(p.changeAt), now);
  const hasPeers = Object.keys(reader.usable(d.peers)?.weights ?? {}).length > 0;
  const c0 = confirm(hasPeers ? await hoursFrom(new Date(p.changeAt), d.peers) : raw);
  const cRaw = hasPeers ? confirm(raw) : c0;
  const c = c0.status === 'confirmed' && cRaw.status !== 'confirmed' ? cRaw : c0;
  if (c.status === 'pending') {
    await save({});
    return 'pending';
  }
  if (c.status === 'dismissed') {
    deps.log?.info({ seriesId: id, ...p, relativeShift: c.relativeShift }, 'rupture alarm not confirmed: detector restarted');
    // restarted: a full window of hours after the alarm's before it can fire again
    d.window = [];
    d.pending = null;
    d.lastTs = iso(raw[raw.length - 1].ts);
    await save({});
    return 'dismissed';
  }
  const explained = planned.explaining(id, new Date(p.changeAt), p.side, s.windowHours);
  if (explained) {
    const w = explained.window;
    await deps.events.append({
      at: now,
      kind: 'planned',
      severity: 'info',
      seriesId: id,
      modelVersion,
      detail: {
        reason: `level shift of ${(c.relativeShift * 100).toFixed(1)} % at the ${explained.edge} of planned ${w.kind} ${w.source}/${w.ref} v${w.version} (${iso(w.start)} → ${iso(w.end)}): no rupture, no fallback`,
        plan: { kind: w.kind, source: w.source, ref: w.ref, version: w.version, start: iso(w.start), end: iso(w.end), ...(w.direction && { direction: w.direction }), ...(w.share !== undefined && { share: w.share }), ...(w.plannedValue !== undefined && { plannedValue: w.plannedValue }) },
        edge: explained.edge,
        side: p.side,
        changeAt: p.changeAt,
        alarmAt: p.at,
        statistic: p.statistic,
        threshold: d.threshold,
        shift: c.relativeShift,
        confirmPoints: c.points,
      },
    });
    // The detector restarts after the plan's hours: until its end the level is the plan's.
    d.window = [];
    d.pending = null;
    d.lastTs = iso(raw[raw.length - 1].ts);
    if (explained.edge === 'start' && w.end.getTime() > Date.parse(d.lastTs)) d.plannedUntil = iso(w.end);
    await save({});
    deps.log?.info({ seriesId: id, plan: `${w.source}/${w.ref}`, edge: explained.edge, shift: c.relativeShift }, 'level change explained by a plan: no rupture');
    return 'planned';
  }
  const ruptureAt = new Date(p.changeAt);
  const detail = {
    reason: `level shift of ${(c.relativeShift * 100).toFixed(1)} % confirmed over ${c.points} hours${hasPeers ? `, beyond what its siblings moved (${Object.keys(d.peers!.weights).length} of ${d.peers!.count} weighed)` : ''}`,
    detector: 'window-mean',
    peers: d.peers,
    statistic: p.statistic,
    threshold: d.threshold,
    windowHours: d.windowHours,
    side: p.side,
    alarmAt: p.at,
    ruptureAt: p.changeAt,
    shift: c.relativeShift,
    confirmPoints: c.points,
    calibratedAlarmsPerYear: d.calibratedAlarmsPerYear,
  };
  await deps.events.append({ at: now, kind: 'rupture', severity: 'alarm', seriesId: id, modelVersion, detail });
  await deps.events.append({
    at: now,
    kind: 'fallback-on',
    severity: 'warning',
    seriesId: id,
    modelVersion,
    detail: { ...detail, reason: 'rupture', fallback: 'shallow-history on post-rupture data', returnAfterDays: s.returnAfterDays },
  });
  d.window = [];
  d.pending = null;
  await save({ mode: 'fallback', since: now, ruptureAt });
  deps.log?.warn({ seriesId: id, modelVersion, ...detail }, 'rupture confirmed: series on the fallback from the next run');
  return 'rupture';
}

/**
 * Centre, level and threshold from the series' own residuals. A recalibrated chart keeps its
 * window and goes on from the last hour it read, as does a first-rule detector; a new one (and
 * one after a return) starts after the latest hour there is, with an empty window: the hours
 * from a rupture to the return are the broken model's and the fallback's.
 */
function calibrate(hours: ResidualHour[], peers: PeerCorrection | null, s: RuptureSettings, now: Date, previous: DetectorState | WindowDetectorV2State | null, legacy: CusumDetectorState | null, latest: Date): DetectorState {
  const resid = hours.map((h) => h.actual - h.forecast);
  const center = median(resid);
  const mean = hours.reduce((a, h) => a + Math.abs(h.forecast), 0) / hours.length;
  // A series forecast at zero throughout would make every share infinite.
  const level = mean > 0 ? mean : resid.reduce((a, x) => Math.max(a, Math.abs(x)), 1e-9);
  const r = resid.map((x) => (x - center) / level);
  // The target is false fallback switches: alarms the confirmation would act on, on these residuals.
  // The threshold never below the smallest shift worth acting on: a window mean under it is no rupture.
  const cal = calibrateWindowThreshold(r, {
    window: s.windowHours,
    confirm: { points: s.confirmPoints, minRelativeShift: s.minRelativeShift, offset: center / level },
    alarmsPerYear: s.alarmsPerYear,
    stepsPerYear: 8760,
    blockLength: Math.min(s.blockHours, Math.floor(r.length / 2)),
    years: s.simulatedYears,
    seed: s.seed,
    cMin: s.minRelativeShift,
    cMax: 1,
  });
  return {
    rule: 3,
    peers,
    center,
    level,
    windowHours: s.windowHours,
    threshold: cal.threshold,
    calibratedAlarmsPerYear: cal.alarmsPerYear,
    calibratedOn: cal.sample,
    calibratedAt: iso(now),
    window: previous?.window ?? [],
    lastTs: previous?.lastTs ?? legacy?.lastTs ?? iso(latest),
    pending: null,
    ...(previous?.plannedUntil && { plannedUntil: previous.plannedUntil }),
  };
}
