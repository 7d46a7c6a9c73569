import type { Config, Horizon, ReconciliationMethod } from '../../core/config.ts';
import { GridcastError, isGridcastError } from '../../core/errors.ts';
import { summingMatrix, type AllocationRule, type SummingMatrix } from '../../core/hierarchy.ts';
import type { RunNode, RunSettings } from '../../core/forecast-run.ts';
import type { ModelVersion } from '../../core/registry.ts';
import type { ModelSpecRef } from '../../models/configured.ts';
import type { RunStore } from '../../core/run-store.ts';
import { TEMPERATURE } from '../inputs.ts';
import type { WeatherInput } from '../../core/topology/weather.ts';
import { CODE_VERSION } from './code-version.ts';
import { appliedTransfer, type AppliedTransfer } from '../../core/planned.ts';
import { runWindow } from './horizons.ts';
import { monitoredPlan, RUPTURE_FALLBACK_DAYS } from './monitor-plan.ts';
import { appendOutOfRangeEvents, type OutOfRangeSeries } from './out-of-range.ts';
import { computeRun, type PipelineDeps, type RunSpec } from './pipeline.ts';
import type { RunDeps } from './ports.ts';
import { scenarioYears } from './scenarios.ts';
import { WEATHER_FREE, type SeriesPlan } from './series.ts';

export interface RunRequest {
  horizon: Horizon;
  /** The time the run is made as of (its origin is that hour); default: now. */
  asOf?: Date;
  /** Default: config.forecast.root, or the topology's sole hierarchy. */
  root?: string;
  /** Default: config.forecast.reconciliation. */
  method?: ReconciliationMethod;
  /** How views of this run spread moving loads over substations; default config.forecast.movingLoadAllocation. */
  allocation?: AllocationRule;
  /** Series the run must cover: each must be a node under the root (HIERARCHY_MISSING_SERIES otherwise). */
  series?: string[];
  /** Set by the job: the cron tick this run answers. */
  scheduledAt?: Date;
  deadline?: Date;
  signal?: AbortSignal;
  /**
   * Set by the deadline policy (monitoring/deadline.service.ts): every series on this fast model,
   * fitted on a short history, no champion, each value labelled with `reason`.
   */
  fallback?: { model: ModelSpecRef; historyDays: number; reason: string };
  /**
   * The run's issue time is when it is stored, not when it started: a run finishing after a
   * fallback was published for its deadline is read as issued after it (inputs stay as known at the start).
   */
  issuedWhenStored?: boolean;
}

export interface RunSummary {
  runId: number;
  issuedAt: Date;
  origin: Date;
  horizon: Horizon;
  series: number;
  fallbacks: number;
  method: string;
  inputsHash: string;
  warnings: string[];
  /** The weather input of every series (null: none), as recorded in the run's settings. */
  weather: Record<string, WeatherInput | null>;
  /** Series whose temperature input left their model's training range: their values carry the 'out-of-range' flag. */
  outOfRange: OutOfRangeSeries[];
}

/** Climatic scenario years a mid-term run asks for; years without observed temperature are left out. */
export const MID_TERM_SCENARIOS = 10;

/**
 * Makes a forecast run and stores it (C1–C3): the stored topology under the root, inputs as
 * known now with the history before the origin, the champion of each series (conditioned on that
 * history) or the default model fitted on it, labelled fallbacks for series whose model fails,
 * spatial reconciliation, local-day values, and one transaction for the run and all its values.
 * A bad request or a store without data for the window throws a coded error and stores nothing.
 */
export async function runForecast(deps: RunDeps, req: RunRequest): Promise<RunSummary> {
  const { store, config } = deps;
  const knownAt = deps.now();
  const asOf = req.asOf ?? knownAt;
  const f = config.forecast;
  const { sm, nodes } = await hierarchyOf(store, config, req.root ?? f.root);
  const root = sm.rows[0];
  const missing = (req.series ?? []).filter((id) => !sm.rows.includes(id));
  if (missing.length > 0) {
    throw new GridcastError('HIERARCHY_MISSING_SERIES', `Series ${missing.map((m) => `'${m}'`).join(', ')} ${missing.length > 1 ? 'are' : 'is'} not in the hierarchy under '${root}': add ${missing.length > 1 ? 'them' : 'it'} to the topology or run another root.`, { root, missing });
  }
  const window = runWindow(req.horizon, asOf, nodes[0].timeZone);
  const settings: RunSettings = {
    nodes,
    quantiles: [...new Set(f.quantiles)].sort((a, b) => a - b),
    bands: f.bands,
    historyDays: req.fallback?.historyDays ?? f.historyDays,
    horizonSteps: window.horizonSteps,
    windowOffset: window.offset,
    defaultModel: req.fallback?.model ?? f.defaultModel,
    ...(req.fallback ? { fallbackReason: req.fallback.reason } : {}),
    ...(f.holidays ? { holidays: f.holidays } : {}),
    ...(req.horizon === 'mid-term' ? { scenarioYears: scenarioYears(window.origin, MID_TERM_SCENARIOS) } : {}),
    asOf: asOf.toISOString(),
    codeVersion: CODE_VERSION,
  };
  const champions = req.fallback ? new Map<string, ModelVersion>() : await store.champions(sm.rows);
  // A deadline fallback run is the fallback model everywhere: no champion, no monitor plan.
  const monitored = req.fallback ? {} : await monitoredPlans(deps, sm.rows, champions, window.origin);
  if (Object.keys(monitored).length > 0) settings.monitored = monitored;
  const transfers = await plannedTransfers(deps, sm.rows, new Date(window.origin.getTime() - settings.historyDays * 86_400_000), window.end, knownAt);
  if (transfers.length > 0) settings.transfers = transfers;
  const plan = (id: string): SeriesPlan => {
    const v = champions.get(id);
    return monitored[id] ?? (v ? championPlan(v) : { fit: settings.defaultModel });
  };
  // A champion is fed the weather it was trained on (its record), whatever the topology says now.
  const weather = Object.fromEntries([...champions].filter(([id, v]) => Object.hasOwn(v.weather, id)).map(([id, v]) => [id, v.weather[id]]));
  const spec: RunSpec = { horizon: req.horizon, root, method: req.method ?? f.reconciliation, origin: window.origin, windowStart: window.start, windowEnd: window.end, knownAt, settings, plan, weather };
  const computed = await computeRun(spec, { ...pipelineDeps(deps), ...(req.signal ? { signal: req.signal } : {}), ...(req.deadline ? { deadline: req.deadline } : {}) });
  settings.weather = computed.weather;
  if (Object.keys(computed.schedules).length > 0) settings.schedules = computed.schedules;
  const issuedAt = req.issuedWhenStored ? deps.now() : knownAt;
  if (issuedAt.getTime() !== knownAt.getTime()) settings.knownAt = knownAt.toISOString();
  for (const w of computed.warnings) deps.log?.warn({ horizon: req.horizon, root, origin: window.origin.toISOString() }, w);
  const runId = await store.saveRun(
    {
      issuedAt,
      origin: window.origin,
      horizon: req.horizon,
      root,
      windowStart: window.start,
      windowEnd: window.end,
      reconciliation: spec.method,
      reconciliationApplied: computed.reconciliationApplied,
      ...(req.scheduledAt ? { scheduledAt: req.scheduledAt } : {}),
      ...(req.deadline ? { deadline: req.deadline } : {}),
      inputsHash: computed.inputsHash,
      modelVersions: computed.modelVersions,
      allocation: req.allocation ?? f.movingLoadAllocation,
      warnings: computed.warnings,
      settings,
    },
    computed.values,
  );
  deps.log?.info({ runId, horizon: req.horizon, root, origin: window.origin.toISOString(), series: computed.series, fallbacks: computed.fallbacks, method: computed.reconciliationApplied }, 'forecast run stored');
  await appendOutOfRangeEvents(deps.events, issuedAt, runId, computed.outOfRange, deps.log);
  // Only once the published run is stored, and without waiting: a challenger cannot delay or change it (D5).
  deps.shadows?.afterRun(runId);
  return {
    runId,
    issuedAt,
    origin: window.origin,
    horizon: req.horizon,
    series: computed.series,
    fallbacks: computed.fallbacks,
    method: computed.reconciliationApplied,
    inputsHash: computed.inputsHash,
    warnings: computed.warnings,
    weather: computed.weather,
    outOfRange: computed.outOfRange,
  };
}

/**
 * The planned transfers touching the run's nodes over its history and window, as in force at its
 * knowledge time (the latest version issued by then; a revision issued later does not change this
 * run): recorded in its settings, which the pipeline (and a reproduction) apply.
 */
async function plannedTransfers(deps: RunDeps, ids: string[], from: Date, to: Date, knownAt: Date): Promise<AppliedTransfer[]> {
  if (!deps.transfers) return [];
  return (await deps.transfers.inForce({ seriesIds: ids, from, to, knownAt })).map(appliedTransfer);
}

/** Plans the rupture monitor sets (forecast/run/monitor-plan.ts), recorded in the run's settings so a reproduction makes the same. */
async function monitoredPlans(deps: RunDeps, ids: string[], champions: Map<string, ModelVersion>, origin: Date): Promise<NonNullable<RunSettings['monitored']>> {
  if (!deps.monitor) return {};
  const states = await deps.monitor.states(ids);
  const out: NonNullable<RunSettings['monitored']> = {};
  for (const id of ids) {
    const trainStart = champions.get(id)?.trainStart;
    const p = monitoredPlan(states.get(id), { origin, defaultModel: deps.config.forecast.defaultModel, historyDays: deps.config.forecast.historyDays, fallbackDays: RUPTURE_FALLBACK_DAYS, ...(trainStart ? { championTrainStart: trainStart } : {}) });
    if (p) out[id] = p;
  }
  return out;
}

/** A champion's plan: whether its predictions need weather (it was trained with temperature), and its training window (out-of-range inputs). */
export const championPlan = (v: ModelVersion): SeriesPlan => ({ champion: v.id, weather: v.features.includes(TEMPERATURE), trained: { start: v.trainStart.toISOString(), end: v.trainEnd.toISOString() } });

export const pipelineDeps = (deps: Pick<RunDeps, 'store' | 'inputs' | 'workers' | 'schedules'>): PipelineDeps => ({
  inputs: deps.inputs,
  ...(deps.schedules ? { schedules: deps.schedules } : {}),
  workers: deps.workers,
  artifacts: deps.store,
});

/** The summing matrix of the stored topology under `root`, and those nodes as the run records them (root first, parents first). */
async function hierarchyOf(store: RunStore, config: Config, rootId: string | undefined): Promise<{ sm: SummingMatrix; nodes: RunNode[] }> {
  const topology = await store.topology(config.timeZone);
  let sm: SummingMatrix;
  try {
    sm = summingMatrix(topology.nodes, rootId);
  } catch (e) {
    if (isGridcastError(e) && e.code === 'TOPOLOGY_UNKNOWN_NODE') {
      throw new GridcastError('HIERARCHY_UNKNOWN_ROOT', `The run root '${rootId}' is not a node of the stored topology (see 'gridcast topology show').`, { root: rootId });
    }
    throw e;
  }
  const inRun = new Set(sm.rows);
  const nodes = topology.nodes
    .filter((n) => inRun.has(n.id))
    .map((n): RunNode => ({
      id: n.id,
      parent: n.id === sm.rows[0] ? null : n.parent,
      unit: n.unit,
      timeZone: n.timeZone,
      ...(n.sharing ? { sharing: n.sharing } : {}),
    }));
  return { sm, nodes };
}

export interface Reproduction {
  runId: number;
  /** Same inputs hash, same model versions, same rows and labels, every number equal. */
  identical: boolean;
  inputsHashMatches: boolean;
  modelVersionsMatch: boolean;
  codeVersionMatches: boolean;
  /** Largest absolute difference over the mean, base mean and quantiles of the common rows. */
  maxAbsDiff: number;
  /** Rows present in only one of the two, and common rows whose model labels differ. */
  rowsDiffering: number;
  values: number;
}

/**
 * Makes a stored run again from what it recorded (C3): its hierarchy and settings, origin, the
 * store as known at its issue time, its registered model versions (whatever the champion is now),
 * and a refit of the default model for series it fitted (deterministic on the same inputs).
 * Stores nothing; reports whether every number is identical.
 */
export async function reproduceRun(deps: Pick<RunDeps, 'store' | 'inputs' | 'workers' | 'schedules'>, runId: number): Promise<Reproduction> {
  const { store } = deps;
  const run = await store.readRun(runId);
  if (run.status !== 'succeeded') throw new GridcastError('RUN_NOT_REPRODUCIBLE', `Run ${runId} did not succeed: there is nothing to reproduce.`, { runId });
  const versions = new Map<string, ModelVersion>();
  for (const label of new Set(Object.values(run.modelVersions))) {
    if (label.startsWith('fit:') || label === 'none') continue;
    const id = label.endsWith(WEATHER_FREE) ? label.slice(0, -WEATHER_FREE.length) : label;
    const v = await store.version(id);
    if (!v) throw new GridcastError('VERSION_NOT_FOUND', `run ${runId} used model version '${id}', which the registry does not hold: it cannot be reproduced.`, { runId, id });
    versions.set(label, v);
  }
  const plan = (id: string): SeriesPlan => {
    const v = versions.get(run.modelVersions[id]);
    return run.settings.monitored?.[id] ?? (v ? championPlan(v) : { fit: run.settings.defaultModel });
  };
  const computed = await computeRun(
    {
      horizon: run.horizon,
      root: run.root,
      method: run.reconciliation,
      origin: run.origin,
      windowStart: run.windowStart,
      windowEnd: run.windowEnd,
      knownAt: run.settings.knownAt ? new Date(run.settings.knownAt) : run.issuedAt,
      settings: run.settings,
      plan,
      ...(run.settings.weather ? { weather: run.settings.weather } : {}),
    },
    pipelineDeps(deps),
  );
  const stored = new Map((await store.readValues(runId)).map((r) => [`${r.seriesId}\0${r.grain}\0${r.targetTs.getTime()}`, r]));
  let maxAbsDiff = 0;
  let rowsDiffering = 0;
  const keys = run.settings.quantiles.map(String);
  for (const v of computed.values) {
    const s = stored.get(`${v.seriesId}\0${v.grain}\0${v.targetTs.getTime()}`);
    if (!s) {
      rowsDiffering++;
      continue;
    }
    stored.delete(`${v.seriesId}\0${v.grain}\0${v.targetTs.getTime()}`);
    if (s.model !== v.model || s.modelVersion !== v.modelVersion || s.fallbackReason !== v.fallbackReason) rowsDiffering++;
    const diffs = [v.mean - s.mean, v.baseMean - s.baseMean, ...keys.map((k, i) => v.q[i] - s.quantiles[k])];
    for (const d of diffs) maxAbsDiff = Math.max(maxAbsDiff, Number.isNaN(d) ? Infinity : Math.abs(d));
  }
  rowsDiffering += stored.size;
  const inputsHashMatches = computed.inputsHash === run.inputsHash;
  const modelVersionsMatch = JSON.stringify(sortedEntries(computed.modelVersions)) === JSON.stringify(sortedEntries(run.modelVersions));
  return {
    runId,
    identical: inputsHashMatches && modelVersionsMatch && rowsDiffering === 0 && maxAbsDiff === 0,
    inputsHashMatches,
    modelVersionsMatch,
    codeVersionMatches: run.settings.codeVersion === CODE_VERSION,
    maxAbsDiff,
    rowsDiffering,
    values: computed.values.length,
  };
}

const sortedEntries = (o: Record<string, string>) => Object.entries(o).sort(([a], [b]) => (a < b ? -1 : 1));
