import type { Config } from '../../core/config.ts';
import type { EventLog } from '../../core/events.ts';
import type { Log } from '../../core/log.ts';
import type { ScheduleEntry } from '../../core/schedule.ts';
import type { TransferStore } from '../../core/planned.ts';
import type { RunStore } from '../../core/run-store.ts';
import type { InputRequest, RunInputs } from '../inputs.ts';
import type { GroupsJob } from './groups.worker.ts';
import type { MonitorView } from './monitor-plan.ts';
import type { ArtifactSource, SeriesForecast } from './series.ts';

/** The inputs of a run window as the store knew them at `asOf` (forecast/inputs.ts loadRunInputs over the store). */
export interface RunInputsSource {
  load(req: InputRequest): Promise<RunInputs>;
}

/**
 * Fits and predicts one share of a run's groups off the main thread: worker threads
 * (forecast/run/workers.ts) or, on PostgreSQL with workers in the pool, queued jobs
 * (forecast/run/queue.ts), which answer by the run's `deadline`. It rejects when the share
 * cannot answer (a dead or overrunning worker, cancellation): the run then labels fallbacks for that share.
 * Champion groups of the job may name their version only: the runner reads their artifacts from
 * `artifacts` (forecast/run/series.ts resolveArtifacts), or has its workers read them.
 */
export type GroupsRunner = (job: GroupsJob, signal?: AbortSignal, deadline?: Date, artifacts?: ArtifactSource) => Promise<SeriesForecast[]>;

/**
 * Schedules as issued (store/schedules.repository.ts): the pieces in force at `asOf` over [from, to),
 * and the pieces as planned (issued before each instant) over past time, for schedule-vs-actual errors.
 */
export interface ScheduleSource {
  inForce(seriesIds: string[], from: Date, to: Date, asOf: Date): Promise<ScheduleEntry[]>;
  asPlanned(seriesIds: string[], from: Date, to: Date, asOf: Date): Promise<ScheduleEntry[]>;
}

/** Everything a run touches besides its request: the store, the inputs, the workers and the clock. */
export interface RunDeps {
  store: RunStore;
  inputs: RunInputsSource;
  workers: GroupsRunner;
  config: Config;
  /** The run's issue time. */
  now: () => Date;
  log?: Log;
  /**
   * Shadow scoring (forecast/run/shadow.service.ts): told of each stored run, it makes the
   * shadow versions' runs on the same inputs in the background; the run does not wait for it.
   */
  shadows?: { afterRun(runId: number): void };
  /** Known schedules (A12); without it no node is scheduled. */
  schedules?: ScheduleSource;
  /** The rupture monitor's state of the series (store/monitor-state.repository.ts); without it every series runs its usual plan. */
  monitor?: { states(seriesIds: string[]): Promise<Map<string, MonitorView>> };
  /** Where a run's `out-of-range` events go; without it they are only flags on the values. */
  events?: EventLog;
  /** Planned transfers (store/transfers.repository.ts); without it a run applies none. */
  transfers?: Pick<TransferStore, 'inForce'>;
}
