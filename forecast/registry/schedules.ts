import { fitHistoryWithoutSchedules } from '../run/schedules.ts';
import type { ScheduleSource } from '../run/ports.ts';
import type { TrainingInputs } from './ports.ts';

/**
 * Training inputs with the hours a scheduled node's schedule covered taken out of its history
 * (forecast/run/schedules.ts withoutScheduledHours), as a run does before it fits: a model trained
 * over a plant's maintenance stop does not learn the stop as a pattern. The schedules are those in
 * force at the request's knowledge time (else now); the warning naming the nodes is added to the
 * inputs' warnings.
 */
export function trainingWithoutSchedules(source: TrainingInputs, schedules: Pick<ScheduleSource, 'inForce'>, now: () => Date): TrainingInputs {
  return {
    ...source,
    async load(req) {
      const inputs = await source.load(req);
      const unitOf = new Map((await source.series()).map((r) => [r.id, r.unit]));
      const out = await fitHistoryWithoutSchedules(schedules, { ids: req.seriesIds, history: inputs.history, unitOf, knownAt: req.asOf ?? now() });
      for (const [id, values] of out.history) inputs.history.set(id, { ...inputs.history.get(id)!, values });
      inputs.warnings.push(...out.warnings);
      return inputs;
    },
  };
}
