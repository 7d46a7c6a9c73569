import type { Horizon } from '../core/config.ts';
import type { EventLog, MonitoringEvent, NewEvent } from '../core/events.ts';
import type { RunRecord } from '../core/forecast-run.ts';

/** What produced one series of a run: its model and version, and why a fallback did when one did. */
export interface SeriesSource {
  seriesId: string;
  model: string;
  modelVersion: string;
  fallbackReason: string | null;
}

/**
 * The switches between a series' own model and a labelled fallback from one published run of a
 * horizon to the next: `fallback-on` when a series is on a fallback now and was not before (or
 * the horizon had no run before), `fallback-off` when it is back on its model. A series that
 * stays on a fallback for another reason is not a switch; nor is one absent from either run.
 */
export function fallbackSwitches(previous: readonly SeriesSource[] | null, current: readonly SeriesSource[], run: { id: number; horizon: Horizon; issuedAt: Date }): NewEvent[] {
  const before = new Map((previous ?? []).map((s) => [s.seriesId, s]));
  const events: NewEvent[] = [];
  for (const s of current) {
    const was = before.get(s.seriesId);
    if (previous && !was) continue;
    const on = s.fallbackReason !== null;
    const wasOn = was ? was.fallbackReason !== null : false;
    if (on === wasOn) continue;
    const detail = { horizon: run.horizon, model: s.model, ...(on ? { reason: s.fallbackReason } : { previousFallback: was!.model, previousReason: was!.fallbackReason }) };
    events.push({ at: run.issuedAt, kind: on ? 'fallback-on' : 'fallback-off', severity: on ? 'warning' : 'info', seriesId: s.seriesId, modelVersion: s.modelVersion, runId: run.id, detail });
  }
  return events;
}

/** The published runs a switch is judged on: store/forecasts.repository.ts over a connection. */
export interface PublishedRuns {
  readRun(runId: number): Promise<RunRecord>;
  latestRun(horizon: Horizon, issuedBefore?: Date): Promise<RunRecord | null>;
  runSeriesLabels(runId: number): Promise<SeriesSource[]>;
}

/**
 * Appends the fallback switches of a stored run against the run of its horizon published before
 * it, so an operator sees in the event log when a series left its model and when it came back,
 * whatever made it (too little history, a failing model, a rupture). A deadline fallback run
 * (every series on the fallback, announced by its `fallback-published` event) is no switch of
 * its series, and the run after it is compared with the last run that was not one.
 */
export async function recordFallbackSwitches(deps: { runs: PublishedRuns; events: EventLog }, runId: number): Promise<MonitoringEvent[]> {
  const run = await deps.runs.readRun(runId);
  if (run.settings.fallbackReason) return [];
  let previous = await deps.runs.latestRun(run.horizon, run.issuedAt);
  for (let hops = 0; previous?.settings.fallbackReason && hops < MAX_DEADLINE_FALLBACKS_BACK; hops++) previous = await deps.runs.latestRun(run.horizon, previous.issuedAt);
  if (previous?.settings.fallbackReason) previous = null;
  const [before, now] = await Promise.all([previous && previous.id !== run.id ? deps.runs.runSeriesLabels(previous.id) : null, deps.runs.runSeriesLabels(runId)]);
  const out: MonitoringEvent[] = [];
  for (const e of fallbackSwitches(before, now, run)) out.push(await deps.events.append(e));
  return out;
}

/** Deadline fallbacks in a row looked past to find the last model run (a day of hourly intraday runs). */
const MAX_DEADLINE_FALLBACKS_BACK = 24;
