import type { BandMethod, Horizon, ReconciliationMethod } from '../../core/config.ts';
import { GridcastError, isGridcastError } from '../../core/errors.ts';
import { summingMatrix } from '../../core/hierarchy.ts';
import type { Covariates } from '../../core/types.ts';
import { finiteCount } from '../../models/timeindex.ts';
import type { ForecastValue, RunSettings } from '../../core/forecast-run.ts';
import { TEMPERATURE, type RunInputs } from '../inputs.ts';
import { reconcile, type NodeForecast, type ReconcileInput, type ReconcileResult } from '../reconcile/index.ts';
import { toDaily } from '../reconcile/temporal.ts';
import { overScenarios } from './scenarios.ts';
import { OUT_OF_RANGE, outOfRange, trainingRange, type OutOfRangeSeries } from './out-of-range.ts';
import type { GroupsJob } from './groups.worker.ts';
import { configuredForecaster } from '../../models/configured.ts';
import type { WeatherInput } from '../../core/topology/weather.ts';
import { historySince } from './monitor-plan.ts';
import { applyTransfers, takeOutTransfers } from '../transfers.ts';
import type { GroupsRunner, RunInputsSource, ScheduleSource } from './ports.ts';
import { SCHEDULE_MODEL } from '../../core/schedule.ts';
import { fitHistoryWithoutSchedules, PARTLY_SCHEDULED, scheduledBase, type ScheduleUse } from './schedules.ts';
import { abnormalDaysWarning } from '../abnormal-days.ts';
import { fallbackGroup, planLabel, WEATHER_FREE_COMPANION, type ArtifactSource, type GroupContext, type PreparedGroup, type SeriesData, type SeriesForecast, type SeriesPlan } from './series.ts';

/**
 * The computation of a run, shared by a new run and its reproduction: inputs from the store,
 * base forecasts per series, spatial reconciliation of the hourly vectors (mean and every
 * quantile), then local-day values of every node. Writes nothing.
 */
export interface RunSpec {
  horizon: Horizon;
  root: string;
  method: ReconciliationMethod;
  origin: Date;
  windowStart: Date;
  windowEnd: Date;
  /** Knowledge time: the store as it was then (the run's issue time). */
  knownAt: Date;
  settings: RunSettings;
  /** Registry version (champion) or the default model, per series (the pipeline adds the weather-free path). */
  plan(seriesId: string): SeriesPlan;
  /** Weather inputs to use for these series instead of the topology's: a reproduction's, the champions' training inputs. */
  weather?: Record<string, WeatherInput | null>;
}

export interface ComputedRun {
  values: ForecastValue[];
  inputsHash: string;
  modelVersions: Record<string, string>;
  reconciliationApplied: string;
  warnings: string[];
  /** The weather input of every series (null: none), as used: recorded in the run's settings. */
  weather: Record<string, WeatherInput | null>;
  series: number;
  fallbacks: number;
  /** Series whose temperature over the window lies outside their model's training range (their values are flagged). */
  outOfRange: OutOfRangeSeries[];
  /** The schedule versions used, per scheduled series: recorded in the run's settings. */
  schedules: Record<string, ScheduleUse[]>;
}

export interface PipelineDeps {
  inputs: RunInputsSource;
  workers: GroupsRunner;
  /** The champions' artifacts (the registry). */
  artifacts: ArtifactSource;
  /** Known schedules: the scheduled hours of a node are its schedule, held fixed in reconciliation. */
  schedules?: ScheduleSource;
  signal?: AbortSignal;
  /** The run's deadline: queued jobs not answered by then become labelled fallbacks. */
  deadline?: Date;
}

/** In-sample residuals handed to MinT: the last 60 days, enough for a stable covariance, recent enough to be current. */
const RESIDUAL_DAYS = 60;
/** Worker threads fitting series at once: two keep a 2-core machine busy. */
const CONCURRENCY = 2;
const HOUR_MS = 3_600_000;

export async function computeRun(spec: RunSpec, deps: PipelineDeps): Promise<ComputedRun> {
  const { settings } = spec;
  const sm = summingMatrix(settings.nodes, spec.root);
  const nodeOf = new Map(settings.nodes.map((n) => [n.id, n]));
  const zone = nodeOf.get(spec.root)!.timeZone;
  const inputs = await deps.inputs.load({
    seriesIds: sm.rows,
    origin: spec.origin,
    historyDays: settings.historyDays,
    horizonSteps: settings.horizonSteps,
    ...(settings.scenarioYears ? { scenarioYears: settings.scenarioYears } : {}),
    asOf: spec.knownAt,
    ...(spec.weather ? { weather: spec.weather } : {}),
  });
  if ([...inputs.history.values()].every((s) => finiteCount(s.values) === 0)) {
    const from = new Date(spec.origin.getTime() - settings.historyDays * 86_400_000);
    throw new GridcastError(
      'RUN_NO_DATA',
      `No series under '${spec.root}' has data between ${from.toISOString()} and ${spec.origin.toISOString()} (as known at ${spec.knownAt.toISOString()}): nothing to forecast from; nothing was stored.`,
      { root: spec.root, from: from.toISOString(), to: spec.origin.toISOString() },
    );
  }
  const warnings: string[] = [...inputs.warnings];
  const parentOf = new Map(settings.nodes.map((n) => [n.id, n.parent]));
  if (settings.transfers?.length) warnings.push(...takeOutTransfers(inputs, settings.transfers, parentOf));
  // Hours a schedule fixed are left out of the fit only: the schedule's empirical bands and top-down proportions read them.
  const fitOnly = await fitHistoryWithoutSchedules(deps.schedules, { ids: sm.rows, history: inputs.history, unitOf: new Map(settings.nodes.map((n) => [n.id, n.unit])), knownAt: spec.knownAt });
  warnings.push(...fitOnly.warnings);
  const plans = new Map(sm.rows.map((id) => [id, spec.plan(id)]));
  const paths = weatherPaths(spec, inputs, plans, warnings);
  const data = new Map(
    sm.rows.map((id): [string, SeriesData] => {
      const p = paths.get(id)!;
      const fit = !p.weatherFree && inputs.fitCovariates.has(id) ? { fitCovariates: inputs.fitCovariates.get(id)! } : {};
      const plan = plans.get(id)!;
      const h = inputs.history.get(id)!;
      const history = fitOnly.history.has(id) ? { ...h, values: fitOnly.history.get(id)! } : h;
      return [id, historySince({ history, ...fit, predictCovariates: p.predict }, 'fit' in plan ? plan.since : undefined)];
    }),
  );
  for (const [id, p] of paths) if (p.weatherFree) plans.set(id, { ...plans.get(id)!, weatherFree: p.weatherFree.why });

  // Series sharing a champion (and a weather path) are conditioned together; every other series is fitted alone.
  const groups = new Map<string, { plan: SeriesPlan; ids: string[] }>();
  for (const id of sm.rows) {
    const plan = plans.get(id)!;
    const key = 'champion' in plan ? `champion\0${plan.champion}\0${plan.weatherFree ?? ''}` : `fit\0${id}`;
    const g = groups.get(key) ?? { plan, ids: [] };
    g.ids.push(id);
    groups.set(key, g);
  }
  const ctx: GroupContext = { horizonSteps: settings.horizonSteps, levels: settings.quantiles, ...(settings.holidays ? { holidays: settings.holidays } : {}) };
  const results = new Map<string, SeriesForecast>();
  for (const r of await baseForecasts([...groups.values()], data, ctx, deps)) results.set(r.id, r);
  warnings.push(...weatherPathWarnings(paths, results));

  const windowSteps = (spec.windowEnd.getTime() - spec.windowStart.getTime()) / HOUR_MS;
  const from = settings.windowOffset;
  const slice = (a: Float64Array) => a.slice(from, from + windowSteps);
  const modelBase = new Map<string, NodeForecast>();
  for (const id of sm.rows) {
    const fs = results.get(id)!.forecasts;
    // Paths that do not differ (a weather-free model) carry no climate spread: the model's own bands stay.
    const summary = fs.some((f) => !sameValues(f.mean, fs[0].mean)) ? overScenarios(fs.map((f) => f.mean), settings.quantiles) : fs[0];
    modelBase.set(id, { mean: slice(summary.mean), quantiles: Object.fromEntries(settings.quantiles.map((l) => [String(l), slice(summary.quantiles[String(l)])])) });
  }
  const scheduled = await scheduledBase(deps.schedules, {
    ids: sm.rows,
    parentOf: new Map(settings.nodes.map((n) => [n.id, n.parent])),
    unitOf: new Map(settings.nodes.map((n) => [n.id, n.unit])),
    base: modelBase,
    levels: settings.quantiles,
    windowStart: spec.windowStart,
    steps: windowSteps,
    knownAt: spec.knownAt,
    history: inputs.history,
  });
  const base = scheduled.base;
  warnings.push(...scheduled.warnings);
  // Whole histories: MinT takes its window from the latest steps where every series has a residual.
  const historySteps = settings.historyDays * 24;
  const residuals = new Map(sm.rows.map((id) => [id, rightAligned(results.get(id)!.residuals, historySteps)]));
  // A node never measured in the window (forecast as zero) weighs nothing in top-down proportions.
  const history = new Map(sm.rows.map((id) => {
    const v = inputs.history.get(id)!.values;
    return [id, finiteCount(v) === 0 ? new Float64Array(v.length) : v];
  }));
  // A run recorded before the bands setting existed was made with comonotonic bands: a reproduction
  // keeps them. Mid-term bands are the spread over climate scenario years, one weather year for
  // every node at once: the nodes move together there, which the comonotonic sums are, and the
  // hourly residuals' dependence is not.
  const bands: { method: BandMethod } = { method: spec.horizon === 'mid-term' ? 'comonotonic' : (settings.bands ?? 'comonotonic') };
  const reconciled = reconcileOrBottomUp({ sm, method: spec.method, base, residuals, residualWindow: RESIDUAL_DAYS * 24, history, fixed: scheduled.fixed, bands });
  warnings.push(...reconciled.warnings);
  // After reconciliation: a transfer's change is coherent (what one branch loses the other gains), so every method keeps it exactly.
  const moved = applyTransfers(reconciled.values, settings.transfers ?? [], parentOf, spec.windowStart.getTime(), windowSteps);
  warnings.push(...moved.warnings);
  const rec = { ...reconciled, values: moved.values };

  // A deadline fallback run labels every series: readers must never take it for the model's forecast.
  const reasonOf = (id: string) => [settings.fallbackReason, results.get(id)!.fallbackReason].filter(Boolean).join('; ') || null;
  const fallbacks = sm.rows.filter((id) => reasonOf(id));
  if (fallbacks.length > 0) warnings.push(`${fallbacks.length} series on a labelled fallback: ${fallbacks.map((id) => `${id} (${reasonOf(id)})`).join(', ')}`);
  for (const id of sm.rows) for (const f of results.get(id)!.failures) warnings.push(`${id}: ${f}`);
  warnings.push(...abnormalDaysWarning(sm.rows.map((id) => [id, results.get(id)!.abnormalDays ?? []]), 'the models were fitted in this run'));

  const values: ForecastValue[] = [];
  const start = spec.windowStart.getTime();
  const beyond = outOfRangeHours(spec, inputs, plans, paths, results, windowSteps);
  for (const id of sm.rows) {
    const r = results.get(id)!;
    const v = rec.values.get(id)!;
    const b = base.get(id)!.mean;
    const label = { model: r.model, modelVersion: r.modelVersion, fallbackReason: reasonOf(id) };
    const q = settings.quantiles.map((l) => v.quantiles[String(l)]);
    const flagged = beyond.get(id)?.steps;
    const plan = scheduled.labels.get(id);
    const planned = moved.touched.get(id);
    // A scheduled hour is the schedule's (its version as the model version); the model's inputs did not make it.
    const labels = (k: number) => [...(flagged?.[k] && !plan?.[k] ? [OUT_OF_RANGE] : []), ...(planned?.[k] ? [PLANNED_TRANSFER] : [])];
    const flags = (k: number) => (labels(k).length > 0 ? { flags: labels(k) } : {});
    const labelAt = (k: number) => (plan?.[k] ? { model: SCHEDULE_MODEL, modelVersion: plan[k]!, fallbackReason: null } : label);
    for (let k = 0; k < windowSteps; k++) {
      values.push({ seriesId: id, grain: '1h', targetTs: new Date(start + k * HOUR_MS), mean: v.mean[k], q: q.map((a) => a[k]), baseMean: b[k], ...labelAt(k), ...flags(k) });
    }
    // Local days of the run's zone for every node, so daily values add up across the hierarchy too.
    const unit = nodeOf.get(id)!.unit;
    const daily = (a: Float64Array) => toDaily(a, start, 3600, zone, unit);
    const dm = daily(v.mean);
    const dq = q.map(daily);
    const db = daily(b);
    dm.dayStartMs.forEach((dayMs, d) => {
      if (!dm.complete[d]) return;
      // A day is flagged when any of its hours is.
      const end = dm.dayStartMs[d + 1] ?? dayMs + 86_400_000;
      const inDay = (k: number) => start + k * HOUR_MS >= dayMs && start + k * HOUR_MS < end;
      const hoursOfDay = Array.from({ length: windowSteps }, (_, k) => k).filter(inDay);
      const out = hoursOfDay.some((k) => flagged?.[k] && !plan?.[k]);
      // A day wholly scheduled is the schedule's (the version of its last hour); a day partly scheduled keeps the model's label and is flagged.
      const scheduledHours = hoursOfDay.filter((k) => plan?.[k]);
      const whole = scheduledHours.length > 0 && scheduledHours.length === hoursOfDay.length;
      const moves = hoursOfDay.some((k) => planned?.[k]);
      const dayFlags = [...(out ? [OUT_OF_RANGE] : []), ...(scheduledHours.length > 0 && !whole ? [PARTLY_SCHEDULED] : []), ...(moves ? [PLANNED_TRANSFER] : [])];
      const dayLabel = whole ? labelAt(scheduledHours[scheduledHours.length - 1]) : label;
      values.push({ seriesId: id, grain: '1d', targetTs: new Date(dayMs), mean: dm.values[d], q: dq.map((x) => x.values[d]), baseMean: db.values[d], ...dayLabel, ...(dayFlags.length > 0 ? { flags: dayFlags } : {}) });
    });
  }
  return {
    values,
    inputsHash: inputs.hash,
    modelVersions: Object.fromEntries(sm.rows.map((id) => [id, planLabel(plans.get(id)!, data.get(id)!)])),
    // The projection, then how the bands were made: operators read both in the run's method.
    reconciliationApplied: `${rec.applied}; bands: ${rec.bands}`,
    warnings,
    weather: Object.fromEntries(inputs.weather),
    series: sm.rows.length,
    fallbacks: fallbacks.length,
    outOfRange: [...beyond.values()].map((b) => b.summary),
    schedules: scheduled.record,
  };
}

/** The label of a forecast value a planned transfer moved (the hour, or a local day holding such an hour). */
export const PLANNED_TRANSFER = 'planned-transfer';

/**
 * Hours of the stored window whose temperature lies outside the training range of the model that
 * made the series' forecast: only where temperature was an input (not on the weather-free path,
 * not on a fallback after the model failed).
 */
function outOfRangeHours(
  spec: RunSpec,
  inputs: RunInputs,
  plans: Map<string, SeriesPlan>,
  paths: Map<string, WeatherPath>,
  results: Map<string, SeriesForecast>,
  windowSteps: number,
): Map<string, { steps: boolean[]; summary: OutOfRangeSeries }> {
  const out = new Map<string, { steps: boolean[]; summary: OutOfRangeSeries }>();
  const needs = needsWeather(spec.settings.holidays);
  const from = spec.settings.windowOffset;
  for (const [id, p] of paths) {
    const plan = plans.get(id)!;
    const r = results.get(id)!;
    const history = inputs.fitCovariates.get(id)?.future?.[TEMPERATURE];
    if (p.weatherFree || !history || !needs(plan) || r.fallbackReason?.startsWith('model-failed')) continue;
    const range = trainingRange(history, inputs.history.get(id)!.start.getTime(), 'champion' in plan ? plan.trained : undefined);
    const future = p.predict.flatMap((c) => (c?.future?.[TEMPERATURE] ? [c.future[TEMPERATURE].slice(from, from + windowSteps)] : []));
    if (!range || future.length === 0) continue;
    const steps = outOfRange(future, range);
    const hours = steps.filter(Boolean).length;
    if (hours === 0) continue;
    const temps = future.flatMap((f) => [...f].filter((t, k) => steps[k] && Number.isFinite(t)));
    out.set(id, {
      steps,
      summary: {
        seriesId: id,
        modelVersion: r.modelVersion,
        range,
        hours,
        lowest: Math.min(...temps),
        highest: Math.max(...temps),
        first: new Date(spec.windowStart.getTime() + steps.indexOf(true) * HOUR_MS).toISOString(),
      },
    });
  }
  return out;
}

interface WeatherPath {
  /** One covariate set per prediction: the weather forecast, or one per climatic scenario. */
  predict: Array<Covariates | undefined>;
  /** Set when the model needs weather it does not have: why, and the code of the run's warning (the weather-free companion serves). */
  weatherFree?: { code: string; why: string };
}

/** Why a series takes the weather-free path, with the code of the run's warning about it. */
const NO_HISTORY = { code: 'WEATHER_HISTORY_MISSING', why: 'no observed temperature over the history' };
const NO_SCENARIO = { code: 'WEATHER_SCENARIOS_MISSING', why: 'no past year with complete observed temperature to replay' };
const noForecast = (origin: Date) => ({ code: 'WEATHER_FORECAST_MISSING', why: `no complete weather forecast issued at or before ${origin.toISOString()}` });

/**
 * The weather each series predicts with. Short horizons: the weather forecast as issued before
 * the origin. Mid-term: one set per scenario year whose replayed temperature is complete for
 * every series that has a weather input. A series whose model needs weather and has none of
 * these, or a champion trained with weather whose stations observed nothing over the history,
 * takes its weather-free companion.
 */
function weatherPaths(spec: RunSpec, inputs: RunInputs, plans: Map<string, SeriesPlan>, warnings: string[]): Map<string, WeatherPath> {
  const ids = [...inputs.history.keys()];
  const complete = (c: Covariates | undefined) => !!c?.future?.[TEMPERATURE] && c.future[TEMPERATURE].every(Number.isFinite);
  const observed = (id: string) => !!inputs.fitCovariates.get(id)?.future?.[TEMPERATURE]?.some(Number.isFinite);
  const withWeather = ids.filter((id) => inputs.fitCovariates.has(id));
  const needs = needsWeather(spec.settings.holidays);
  // A champion cannot drop the temperature it was trained on; a model fitted here simply fits without it.
  const blind = (id: string) => {
    const plan = plans.get(id)!;
    return 'champion' in plan && plan.weather && !observed(id);
  };
  if (spec.horizon !== 'mid-term') {
    const late = noForecast(spec.origin);
    return new Map(
      ids.map((id): [string, WeatherPath] => {
        const cov = inputs.predictCovariates.get(id);
        if (blind(id)) return [id, { predict: [undefined], weatherFree: NO_HISTORY }];
        return [id, observed(id) && !complete(cov) && needs(plans.get(id)!) ? { predict: [undefined], weatherFree: late } : { predict: [cov] }];
      }),
    );
  }
  const years = [...(inputs.scenarios ?? new Map<number, Map<string, Covariates>>()).entries()];
  const usable = years.filter(([, cov]) => withWeather.every((id) => complete(cov.get(id))));
  const dropped = years.filter(([, cov]) => !usable.some(([, u]) => u === cov)).map(([y]) => y);
  if (dropped.length > 0) warnings.push(`climatic scenario years without complete observed temperature, left out: ${dropped.join(', ')}`);
  return new Map(
    ids.map((id): [string, WeatherPath] => {
      if (blind(id)) return [id, { predict: [undefined], weatherFree: NO_HISTORY }];
      if (!inputs.fitCovariates.has(id)) return [id, { predict: [undefined] }];
      if (usable.length > 0) return [id, { predict: usable.map(([, cov]) => cov.get(id)) }];
      return [id, needs(plans.get(id)!) ? { predict: [undefined], weatherFree: NO_SCENARIO } : { predict: [undefined] }];
    }),
  );
}

/** Whether a plan's model predicts from weather: a champion trained with it, or a default model that takes covariates. */
function needsWeather(holidays: string | undefined): (plan: SeriesPlan) => boolean {
  const byKind = new Map<string, boolean>();
  return (plan) => {
    if ('champion' in plan) return plan.weather;
    const key = JSON.stringify(plan.fit);
    if (!byKind.has(key)) byKind.set(key, configuredForecaster(plan.fit, holidays).capabilities.futureCovariates);
    return byKind.get(key)!;
  };
}

/**
 * What the series without the weather their model needs ran on, read from their labels (never
 * predicted beforehand): the weather-free companion, or the fallback that replaced it. One coded
 * warning per reason.
 */
function weatherPathWarnings(paths: Map<string, WeatherPath>, results: Map<string, SeriesForecast>): string[] {
  const byReason = new Map<string, { code: string; why: string; byOutcome: Map<string, string[]> }>();
  for (const [id, p] of paths) {
    if (!p.weatherFree) continue;
    const r = results.get(id)!;
    const outcome = r.fallbackReason?.startsWith(WEATHER_FREE_COMPANION) ? `the weather-free companion (${r.model})` : `${r.model} (${r.fallbackReason ?? 'unlabelled'})`;
    const entry = byReason.get(p.weatherFree.code) ?? { ...p.weatherFree, byOutcome: new Map<string, string[]>() };
    entry.byOutcome.set(outcome, [...(entry.byOutcome.get(outcome) ?? []), id]);
    byReason.set(p.weatherFree.code, entry);
  }
  return [...byReason.values()].map(({ code, why, byOutcome }) => {
    const n = [...byOutcome.values()].reduce((a, ids) => a + ids.length, 0);
    return `${code}: ${why} for ${n} series whose model uses weather: ${[...byOutcome].map(([o, ids]) => `${list(ids)} ran on ${o}`).join('; ')}`;
  });
}

/**
 * A method that lacks what it needs (top-down without a usable history, MinT without residuals)
 * must not cost the run: bottom-up is always defined, and the stored method says what ran.
 */
function reconcileOrBottomUp(input: ReconcileInput): ReconcileResult {
  try {
    return reconcile(input);
  } catch (e) {
    if (!isGridcastError(e) || !e.code.startsWith('RECONCILE_NEEDS')) throw e;
    const r = reconcile({ ...input, method: 'bottom-up' });
    return { ...r, method: input.method, applied: `bottom-up (${input.method} impossible: ${e.code})`, warnings: [`${input.method} reconciliation impossible, bottom-up applied: ${e.message}`, ...r.warnings] };
  }
}

const sameValues = (a: Float64Array, b: Float64Array) => a === b || a.every((x, i) => x === b[i]);

const list = (ids: string[]) => (ids.length > 5 ? `${ids.slice(0, 5).join(', ')}, …` : ids.join(', '));

/** The last `n` values, NaN-padded in front when shorter: residuals of every series end at the origin. */
function rightAligned(a: Float64Array, n: number): Float64Array {
  const out = new Float64Array(n).fill(Number.NaN);
  const take = Math.min(n, a.length);
  out.set(a.subarray(a.length - take), n - take);
  return out;
}

/**
 * Fits and predicts in CONCURRENCY worker threads, each taking a share of the groups: a GAM fit is
 * seconds of synchronous work, and on the main thread it would stall the API, ingestion and every
 * other job's timer for the whole run. A worker that dies or overruns its timeout costs only its
 * series, which get labelled fallbacks.
 */
async function baseForecasts(groups: Array<{ plan: SeriesPlan; ids: string[] }>, data: Map<string, SeriesData>, ctx: GroupContext, deps: PipelineDeps): Promise<SeriesForecast[]> {
  const aborted = () => new GridcastError('RUN_ABORTED', 'The forecast run was cancelled; nothing was stored.');
  if (deps.signal?.aborted) throw aborted();
  // Artifacts are read by the runner: for its threads, a share's before it starts; on the queue,
  // by the workers themselves (or 50 at a time when the run's registry is not theirs), so a run
  // of thousands of champions does not hold every artifact at once.
  const prepared: PreparedGroup[] = groups.map((g) => ({ plan: g.plan, series: g.ids.map((id) => data.get(id)!) }));
  const shares = Array.from({ length: Math.min(CONCURRENCY, prepared.length) }, (_, w) => prepared.filter((_, i) => i % CONCURRENCY === w));
  const settled = await Promise.all(
    shares.map(async (share) => {
      const job: GroupsJob = { groups: share, horizonSteps: ctx.horizonSteps, levels: ctx.levels, ...(ctx.holidays ? { holidays: ctx.holidays } : {}) };
      try {
        return await deps.workers(job, deps.signal, deps.deadline, deps.artifacts);
      } catch (e) {
        if (deps.signal?.aborted) throw aborted();
        const out = await Promise.all(share.map((g) => fallbackGroup(g.series, e, ctx, 'champion' in g.plan ? g.plan.champion : g.plan.fit.kind)));
        return out.flat();
      }
    }),
  );
  if (deps.signal?.aborted) throw aborted();
  return settled.flat();
}
