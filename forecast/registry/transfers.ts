import { appliedTransfer, type TransferStore } from '../../core/planned.ts';
import { takeOutTransfers } from '../transfers.ts';
import type { TrainingInputs } from './ports.ts';

const DAY_MS = 86_400_000;

/**
 * Training inputs with the planned transfers taken out of the history (forecast/transfers.ts), as
 * a run does before it fits: a model trained over a period of switching learns its nodes' own
 * load, not the switching. The transfers are those in force at the request's knowledge time (else
 * now); the run's warning naming them is added to the inputs' warnings.
 */
export function trainingWithoutTransfers(source: TrainingInputs, transfers: Pick<TransferStore, 'inForce'>, now: () => Date): TrainingInputs {
  return {
    ...source,
    async load(req) {
      const inputs = await source.load(req);
      const from = new Date(req.origin.getTime() - req.historyDays * DAY_MS);
      const inForce = await transfers.inForce({ seriesIds: req.seriesIds, from, to: req.origin, knownAt: req.asOf ?? now() });
      if (inForce.length === 0) return inputs;
      const parentOf = new Map((await source.series()).map((r) => [r.id, r.parent ?? null]));
      inputs.warnings.push(...takeOutTransfers(inputs, inForce.map(appliedTransfer), parentOf));
      return inputs;
    },
  };
}
