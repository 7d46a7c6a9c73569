import type { Clock } from '../core/clock.ts';
import type { Config, Horizon } from '../core/config.ts';
import { isConnectionLost, isGridcastError } from '../core/errors.ts';
import type { EventLog, NewEvent } from '../core/events.ts';
import type { Log } from '../core/log.ts';
import { TEMPERATURE } from '../forecast/inputs.ts';
import type { RunDeps } from '../forecast/run/ports.ts';
import { runForecast, type RunSummary } from '../forecast/run/service.ts';

/**
 * The deadline policy of a scheduled forecast run (D6, scenario 2).
 *
 * - At the tick, the run's inputs are checked: each weather station's latest forecast issue and
 *   each monitored series' latest measured value against their maximum age. A late input is an
 *   `input-late` warning (once per input and tick).
 * - Late inputs the run waits for (`waitFor`, default the weather forecast) are looked at every
 *   `pollSec` until `warnLeadSec` before the deadline; then they are checked again (the early
 *   warning) and, if still late, the labelled fallback is published at once instead of a model
 *   run on incomplete inputs. Other late inputs (SCADA by default) are a warning only.
 * - Otherwise the model run (runForecast, the one service path) gets a budget ending
 *   `safetyMarginSec` before the deadline. If it has not finished (slow or hung workers, a slow
 *   store) or it failed, the fallback — a fast model from models/fallback on a short history,
 *   every value labelled `deadline: …` — is stored and published in the margin.
 * - `run-late` (alarm): the model run did not publish within its budget. `fallback-published`:
 *   which run stands in. `deadline-missed` (alarm): nothing was published by the deadline (the
 *   fallback failed too, or no instance ran the tick).
 *
 * Every run is stored with the time it was stored as its issue time: a model run that completes
 * after the fallback is read as issued after it, so what a reader had at the deadline stays the
 * fallback unless the model run was stored before it.
 */

export interface InputFreshness {
  /** Each weather station's latest issue of `variable` at or before `at` (null: never issued). */
  weatherIssues(variable: string, at: Date): Promise<Array<{ stationId: string; issuedAt: Date | null }>>;
  /** Latest measured raw value of each monitored series (null: the default set) at or before `at`. */
  scadaLatest(seriesIds: string[] | null, at: Date): Promise<Array<{ seriesId: string; ts: Date | null }>>;
}

export interface DeadlineDeps {
  /** The model run's ports. */
  run: RunDeps;
  /** The fallback's ports: the same store, groups computed in this thread (a hung worker pool must not hold the fallback). */
  fallbackRun: RunDeps;
  events: EventLog;
  freshness: InputFreshness;
  clock: Clock;
  config: Config;
  log?: Log;
  /**
   * false: the model run is not raced against its budget. For a replay, whose compute time says
   * nothing of the live system's (its clock's sleepUntil moves the replayed time; only the wait
   * for late inputs and the early warning apply). Default true.
   */
  enforceBudget?: boolean;
}

export interface DeadlineRequest {
  horizon: Horizon;
  scheduledAt: Date;
  deadline: Date;
  /** Aborted at the deadline or when the instance stops: the runs stop there. */
  signal: AbortSignal;
}

export interface DeadlineOutcome {
  /** What readers have at the deadline: the model run, the fallback, or nothing. */
  published: 'run' | 'fallback' | 'none';
  runId: number | null;
  /** A model run stored after the fallback (with its own, later issue time). */
  lateRunId: number | null;
}

export type LateInput = 'weather-forecast' | 'scada';

export interface InputLateness {
  input: LateInput;
  /** The most recent issue (weather) or measurement (SCADA) among the late ones; null: never. */
  lastSeen: Date | null;
  maxAgeSec: number;
  late: Array<{ id: string; lastSeen: Date | null }>;
}

/** Per horizon: the early warning's lead before the deadline and the margin reserved for the fallback (s). */
export const DEADLINE_DEFAULTS: Record<Horizon, { warnLeadSec: number; safetyMarginSec: number }> = {
  intraday: { warnLeadSec: 10 * 60, safetyMarginSec: 3 * 60 },
  'day-ahead': { warnLeadSec: 30 * 60, safetyMarginSec: 10 * 60 },
  'week-ahead': { warnLeadSec: 60 * 60, safetyMarginSec: 15 * 60 },
  'mid-term': { warnLeadSec: 2 * 60 * 60, safetyMarginSec: 30 * 60 },
};

/** Stations or series listed in an event's detail: the count says how many there were in all. */
const LISTED = 20;

/** When the early warning falls and when the model run's budget ends, inside [tick, deadline]. */
export function deadlinePlan(config: Config, horizon: Horizon, scheduledAt: Date, deadline: Date): { warnAt: Date; budgetEnd: Date } {
  const d = { ...DEADLINE_DEFAULTS[horizon], ...config.deadlines.horizons[horizon] };
  const start = scheduledAt.getTime();
  const end = deadline.getTime();
  // A deadline shorter than the defaults assume still leaves the fallback a quarter of the window.
  const budgetEnd = Math.max(start, end - Math.min(d.safetyMarginSec * 1000, (end - start) / 4));
  const warnAt = Math.min(budgetEnd, Math.max(start, end - d.warnLeadSec * 1000));
  return { warnAt: new Date(warnAt), budgetEnd: new Date(budgetEnd) };
}

/** The run's inputs that are late at `at`: weather forecasts (not for mid-term, which replays past years) and SCADA. */
export async function lateInputs(freshness: InputFreshness, config: Config, horizon: Horizon, at: Date): Promise<InputLateness[]> {
  const { weatherMaxAgeSec, scadaMaxAgeSec, scadaSeries } = config.deadlines;
  const out: InputLateness[] = [];
  // A station without any forecast, or a series never measured, has no feed to be late: an installation fed by imported files is not alarmed at every tick.
  const stale = (t: Date | null, maxAgeSec: number) => t !== null && at.getTime() - t.getTime() > maxAgeSec * 1000;
  const lateness = (input: LateInput, maxAgeSec: number, late: Array<{ id: string; lastSeen: Date | null }>): InputLateness => {
    const seen = late.map((l) => l.lastSeen?.getTime() ?? -Infinity);
    const newest = Math.max(...seen);
    return { input, lastSeen: Number.isFinite(newest) ? new Date(newest) : null, maxAgeSec, late };
  };
  if (horizon !== 'mid-term') {
    const late = (await freshness.weatherIssues(TEMPERATURE, at)).filter((s) => stale(s.issuedAt, weatherMaxAgeSec)).map((s) => ({ id: s.stationId, lastSeen: s.issuedAt }));
    if (late.length > 0) out.push(lateness('weather-forecast', weatherMaxAgeSec, late));
  }
  const scada = (await freshness.scadaLatest(scadaSeries ?? null, at)).filter((s) => stale(s.ts, scadaMaxAgeSec)).map((s) => ({ id: s.seriesId, lastSeen: s.ts }));
  if (scada.length > 0) out.push(lateness('scada', scadaMaxAgeSec, scada));
  return out;
}

const errorText = (e: unknown) => (isGridcastError(e) ? `${e.code}: ${e.message}` : String((e as Error)?.message ?? e));

export interface DeadlineService {
  /** Makes the tick's run under the policy above. */
  run(req: DeadlineRequest): Promise<DeadlineOutcome>;
  /** Ticks no instance ran before their deadline (the scheduler recorded them missed): one `deadline-missed` each. */
  missed(horizon: Horizon, ticks: Array<{ scheduledAt: Date; deadline: Date }>): Promise<void>;
}

export function deadlineService(deps: DeadlineDeps): DeadlineService {
  const { clock, events, config, log } = deps;
  const d = config.deadlines;

  return {
    async run({ horizon, scheduledAt, deadline, signal }) {
      const { warnAt, budgetEnd } = deadlinePlan(config, horizon, scheduledAt, deadline);
      const tick = { horizon, job: `forecast-${horizon}`, scheduledAt: scheduledAt.toISOString(), deadline: deadline.toISOString() };
      const append = (e: Omit<NewEvent, 'at'>) => events.append({ at: clock.now(), ...e, detail: { ...tick, ...e.detail } });
      const reported = new Set<LateInput>();

      /** Looks at the inputs; a late one not reported yet in this tick is an `input-late` warning. */
      const check = async (when: 'start' | 'lead') => {
        const late = await lateInputs(deps.freshness, config, horizon, clock.now());
        for (const l of late.filter((x) => !reported.has(x.input))) {
          reported.add(l.input);
          await append({
            kind: 'input-late',
            severity: 'warning',
            detail: {
              input: l.input, check: when, lastSeen: l.lastSeen?.toISOString() ?? null, maxAgeSec: l.maxAgeSec, count: l.late.length,
              late: l.late.slice(0, LISTED).map((x) => ({ id: x.id, lastSeen: x.lastSeen?.toISOString() ?? null })),
            },
          });
          log?.warn({ horizon, scheduledAt, input: l.input, lastSeen: l.lastSeen, late: l.late.length, deadline }, 'forecast run input late');
        }
        return late;
      };

      const publishFallback = async (reason: string, detail: Record<string, unknown>): Promise<RunSummary | null> => {
        const label = `deadline: ${reason}`;
        try {
          const s = await runForecast(deps.fallbackRun, {
            horizon, asOf: scheduledAt, scheduledAt, deadline, signal, issuedWhenStored: true,
            fallback: { model: d.fallbackModel, historyDays: d.fallbackHistoryDays, reason: label },
          });
          if (s.issuedAt.getTime() > deadline.getTime()) {
            await append({ kind: 'deadline-missed', severity: 'alarm', runId: s.runId, detail: { reason: 'the fallback was stored after the deadline', issuedAt: s.issuedAt.toISOString(), ...detail } });
            return null;
          }
          await append({
            kind: 'fallback-published', severity: 'warning', runId: s.runId, modelVersion: `fit:${d.fallbackModel.kind}`,
            detail: { fallbackReason: label, model: d.fallbackModel, issuedAt: s.issuedAt.toISOString(), series: s.series, ...detail },
          });
          log?.warn({ horizon, scheduledAt, runId: s.runId, reason: label }, 'forecast deadline: fallback published');
          return s;
        } catch (e) {
          await append({ kind: 'deadline-missed', severity: 'alarm', detail: { reason: 'the fallback could not be made', error: errorText(e), ...detail } });
          log?.error({ horizon, scheduledAt, err: errorText(e) }, 'forecast deadline missed: no fallback published');
          return null;
        }
      };

      const fallbackOutcome = (s: RunSummary | null, lateRunId: number | null = null): DeadlineOutcome =>
        s ? { published: 'fallback', runId: s.runId, lateRunId } : { published: 'none', runId: null, lateRunId };

      // 1. Inputs at the tick; late ones the run needs are waited for until the early warning.
      const needed = (l: InputLateness[]) => l.filter((x) => d.waitFor.includes(x.input));
      let late = needed(await check('start'));
      while (late.length > 0 && clock.now().getTime() < warnAt.getTime()) {
        await clock.sleepUntil(new Date(Math.min(clock.now().getTime() + d.pollSec * 1000, warnAt.getTime())), signal);
        late = needed(await lateInputs(deps.freshness, config, horizon, clock.now()));
      }
      if (late.length > 0) late = needed(await check('lead'));
      if (late.length > 0) {
        const inputs = late.map((l) => l.input);
        await append({ kind: 'run-late', severity: 'alarm', detail: { reason: 'inputs-late', inputs, budgetEnd: budgetEnd.toISOString() } });
        return fallbackOutcome(await publishFallback(`inputs late (${inputs.join(', ')})`, { inputs }));
      }

      // 2. The model run against its budget.
      const full = runForecast(deps.run, { horizon, asOf: scheduledAt, scheduledAt, deadline, signal, issuedWhenStored: true }).then(
        (s) => ({ ok: true as const, s }),
        (e: unknown) => ({ ok: false as const, e }),
      );
      const budget = new AbortController();
      const stop = () => budget.abort(signal.reason);
      signal.addEventListener('abort', stop, { once: true });
      const overBudget = deps.enforceBudget === false ? new Promise<never>(() => {}) : clock.sleepUntil(budgetEnd, budget.signal).then(() => 'budget' as const, () => 'aborted' as const);
      const first = await Promise.race([full, overBudget]);
      budget.abort();
      signal.removeEventListener('abort', stop);
      if (first !== 'budget' && first !== 'aborted') {
        if (first.ok) return { published: 'run', runId: first.s.runId, lateRunId: null };
        if (signal.aborted) throw first.e;
        // A lost store connection (PostgreSQL restarting) says nothing of the model: the scheduler
        // runs the tick again once the store is back, and the fallback follows only if that retry
        // finds the budget spent.
        if (isConnectionLost(first.e)) throw first.e;
        const error = errorText(first.e);
        log?.error({ horizon, scheduledAt, err: error }, 'forecast run failed: publishing the fallback');
        await append({ kind: 'run-late', severity: 'alarm', detail: { reason: 'run-failed', error, budgetEnd: budgetEnd.toISOString() } });
        return fallbackOutcome(await publishFallback('the model run failed', { error }));
      }
      if (first === 'aborted') {
        const r = await full;
        if (r.ok) return { published: 'run', runId: r.s.runId, lateRunId: null };
        throw r.e;
      }

      // 3. Over budget: the fallback now; the model run may still finish (until the deadline aborts it).
      await append({ kind: 'run-late', severity: 'alarm', detail: { reason: 'over-budget', budgetEnd: budgetEnd.toISOString() } });
      const published = await publishFallback(`the model run did not finish by ${budgetEnd.toISOString()}`, {});
      const r = await full;
      if (!r.ok) {
        log?.warn({ horizon, scheduledAt, err: errorText(r.e) }, 'forecast run over budget ended without a run');
        return fallbackOutcome(published);
      }
      log?.warn({ horizon, scheduledAt, runId: r.s.runId, issuedAt: r.s.issuedAt }, 'forecast run over budget stored late, with its own issue time');
      return fallbackOutcome(published, r.s.runId);
    },

    async missed(horizon, ticks) {
      for (const t of ticks) {
        await events.append({
          at: clock.now(), kind: 'deadline-missed', severity: 'alarm',
          detail: { horizon, job: `forecast-${horizon}`, scheduledAt: t.scheduledAt.toISOString(), deadline: t.deadline.toISOString(), reason: 'no instance ran the tick before its deadline' },
        });
      }
    },
  };
}
