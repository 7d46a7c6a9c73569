import type { EventLog } from '../../core/events.ts';
import { GridcastError, isGridcastError } from '../../core/errors.ts';
import type { RunRecord } from '../../core/forecast-run.ts';
import type { Log } from '../../core/log.ts';
import type { ModelVersion } from '../../core/registry.ts';
import type { RunStore } from '../../core/run-store.ts';
import { computeRun } from './pipeline.ts';
import type { GroupsRunner, RunInputsSource, ScheduleSource } from './ports.ts';
import { championPlan, pipelineDeps } from './service.ts';
import { WEATHER_FREE, WEATHER_FREE_COMPANION, type SeriesPlan } from './series.ts';

export interface ShadowDeps {
  store: RunStore;
  inputs: RunInputsSource;
  workers: GroupsRunner;
  /** The same schedules as the published run: a challenger is scored on the hours the schedule does not fix, like the champion. */
  schedules?: ScheduleSource;
  events: EventLog;
  /** The clock events are stamped with (a replay passes its own). */
  now: () => Date;
  /** A shadow run still computing after this is cut off and counted as failed. */
  timeoutMs: number;
  log?: Log;
}

export type ShadowOutcome =
  | { version: string; runId: number; status: 'stored'; failedSeries: string[] }
  | { version: string; runId: null; status: 'failed' | 'timeout'; error: string };

/** Default time a shadow run may take: a challenger slower than this would not make a deadline either. */
export const SHADOW_TIMEOUT_MS = 10 * 60_000;

/**
 * The challengers' runs (D5): for a stored published run, each version in shadow covering its
 * series is run on the same inputs — the store as known at the run's issue time, the same
 * origin, window, settings and reconciliation — with the shadow version serving its series
 * and the published run's models serving the others, so the shadow run holds what would have
 * been published had the challenger been champion. It is stored as a shadow run of the
 * published one, never served. A challenger that throws, hangs past `timeoutMs` or falls back
 * on any of its series appends a 'shadow-failed' event; nothing it does reaches the published run.
 */
export async function runShadows(deps: ShadowDeps, runId: number): Promise<ShadowOutcome[]> {
  const run = await deps.store.readRun(runId);
  if (run.shadowOf) return [];
  const seriesIds = run.settings.nodes.map((n) => n.id);
  const out: ShadowOutcome[] = [];
  for (const v of await deps.store.shadows(seriesIds)) out.push(await shadowRun(deps, run, v));
  return out;
}

async function shadowRun(deps: ShadowDeps, run: RunRecord, v: ModelVersion): Promise<ShadowOutcome> {
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      controller.abort();
      reject(new GridcastError('SHADOW_TIMEOUT', `shadow run of ${v.id} for run ${run.id} took longer than ${deps.timeoutMs} ms and was cut off`, { version: v.id, runId: run.id }));
    }, deps.timeoutMs);
  });
  const fail = async (status: 'failed' | 'timeout', e: unknown, failedSeries?: string[]) => {
    const error = (e as Error).message;
    deps.log?.warn({ runId: run.id, version: v.id, error }, 'shadow run failed');
    await deps.events
      .append({
        at: deps.now(),
        kind: 'shadow-failed',
        severity: 'warning',
        modelVersion: v.id,
        runId: run.id,
        detail: { status, error, code: isGridcastError(e) ? e.code : null, ...(failedSeries ? { failedSeries } : {}) },
      })
      .catch((x: unknown) => deps.log?.error({ runId: run.id, version: v.id, error: (x as Error).message }, 'shadow-failed event not recorded'));
  };
  try {
    const shadowRunId = await Promise.race([compute(deps, run, v, controller.signal), timeout]);
    const failedSeries = shadowRunId.failedSeries;
    if (failedSeries.length > 0) {
      await fail('failed', new Error(`${v.id} fell back on ${failedSeries.join(', ')}`), failedSeries);
    }
    return { version: v.id, runId: shadowRunId.runId, status: 'stored', failedSeries };
  } catch (e) {
    const status = isGridcastError(e) && e.code === 'SHADOW_TIMEOUT' ? 'timeout' : 'failed';
    await fail(status, e);
    return { version: v.id, runId: null, status, error: (e as Error).message };
  } finally {
    clearTimeout(timer);
  }
}

async function compute(deps: ShadowDeps, run: RunRecord, v: ModelVersion, signal: AbortSignal): Promise<{ runId: number; failedSeries: string[] }> {
  const covered = new Set(v.seriesIds);
  // The published run's models for the other series, as a reproduction reads them.
  const published = new Map<string, ModelVersion>();
  for (const label of new Set(Object.values(run.modelVersions))) {
    if (label.startsWith('fit:') || label === 'none') continue;
    const id = label.endsWith(WEATHER_FREE) ? label.slice(0, -WEATHER_FREE.length) : label;
    const pv = await deps.store.version(id);
    if (pv) published.set(label, pv);
  }
  const plan = (id: string): SeriesPlan => {
    if (covered.has(id)) return championPlan(v);
    const pv = published.get(run.modelVersions[id]);
    return pv ? championPlan(pv) : { fit: run.settings.defaultModel };
  };
  const weather = { ...(run.settings.weather ?? {}), ...Object.fromEntries(v.seriesIds.filter((id) => Object.hasOwn(v.weather, id)).map((id) => [id, v.weather[id]])) };
  const computed = await computeRun(
    {
      horizon: run.horizon,
      root: run.root,
      method: run.reconciliation,
      origin: run.origin,
      windowStart: run.windowStart,
      windowEnd: run.windowEnd,
      knownAt: run.issuedAt,
      settings: run.settings,
      plan,
      weather,
    },
    { ...pipelineDeps(deps), signal },
  );
  if (signal.aborted) throw new GridcastError('SHADOW_TIMEOUT', `shadow run of ${v.id} was cut off`, { version: v.id, runId: run.id });
  // A challenger's own fallback (not its weather-free companion) is its failure on that series.
  const failedSeries = [...new Set(computed.values.filter((x) => covered.has(x.seriesId) && x.fallbackReason !== null && !x.fallbackReason.startsWith(WEATHER_FREE_COMPANION)).map((x) => x.seriesId))].sort();
  const warnings = [...computed.warnings];
  if (computed.inputsHash !== run.inputsHash) warnings.push(`inputs differ from the published run's (${computed.inputsHash} against ${run.inputsHash}): the shadow's own weather inputs`);
  const runId = await deps.store.saveRun(
    {
      issuedAt: run.issuedAt,
      origin: run.origin,
      horizon: run.horizon,
      root: run.root,
      windowStart: run.windowStart,
      windowEnd: run.windowEnd,
      reconciliation: run.reconciliation,
      reconciliationApplied: computed.reconciliationApplied,
      ...(run.scheduledAt ? { scheduledAt: run.scheduledAt } : {}),
      ...(run.deadline ? { deadline: run.deadline } : {}),
      inputsHash: computed.inputsHash,
      modelVersions: computed.modelVersions,
      allocation: run.allocation,
      warnings,
      settings: { ...run.settings, weather: computed.weather },
      shadowOf: { runId: run.id, version: v.id },
    },
    computed.values,
  );
  deps.log?.info({ runId, shadowOf: run.id, version: v.id }, 'shadow run stored');
  return { runId, failedSeries };
}

/**
 * The RunDeps.shadows hook: starts the shadow runs of each stored run in the background and
 * keeps track of them, so a command can wait for them (`idle`) before closing its store while a
 * server's job simply lets them finish. Never rejects: a failure is an event and an outcome.
 */
export function shadowScoring(deps: ShadowDeps) {
  const pending = new Set<Promise<ShadowOutcome[]>>();
  const done: ShadowOutcome[] = [];
  return {
    afterRun(runId: number): void {
      const p = runShadows(deps, runId).catch((e: unknown) => {
        deps.log?.error({ runId, error: (e as Error).message }, 'shadow scoring failed');
        return [];
      });
      pending.add(p);
      void p.then((o) => {
        done.push(...o);
        pending.delete(p);
      });
    },
    /** Waits for the shadow runs started so far; returns every outcome since the start. */
    async idle(): Promise<ShadowOutcome[]> {
      while (pending.size > 0) await Promise.all([...pending]);
      await Promise.resolve();
      return [...done];
    },
  };
}
export type ShadowScoring = ReturnType<typeof shadowScoring>;
