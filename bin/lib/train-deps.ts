import type { Config } from '../../core/config.ts';
import { loadRunInputs } from '../../forecast/inputs.ts';
import type { TrainDeps, TrainingInputs } from '../../forecast/registry/ports.ts';
import type { Db } from '../../store/db.ts';
import { latestActualAt } from '../../store/query.repository.ts';
import { registryRepository } from '../../store/registry.repository.ts';
import { listSeries } from '../../store/series.repository.ts';
import { transfersRepository } from '../../store/transfers.repository.ts';
import { trainingWithoutTransfers } from '../../forecast/registry/transfers.ts';
import { trainingWithoutSchedules } from '../../forecast/registry/schedules.ts';
import { scheduleSource } from '../../store/schedules.repository.ts';

/** The stored data training reads: the series, their latest actual and the inputs of a window, as stored now, planned transfers and scheduled hours taken out. */
export function trainingInputs(db: Db): TrainingInputs {
  const stored: TrainingInputs = { series: () => listSeries(db), latestActualAt: (ids) => latestActualAt(db, ids), load: (req) => loadRunInputs(db, req) };
  const now = () => new Date();
  return trainingWithoutSchedules(trainingWithoutTransfers(stored, transfersRepository(db), now), scheduleSource(db), now);
}

/** The ports of training over one store: its registry repository and its data. */
export function trainDeps(db: Db, config: Config): TrainDeps {
  return { registry: registryRepository(db), inputs: trainingInputs(db), config };
}
