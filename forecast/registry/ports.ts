import type { Config } from '../../core/config.ts';
import type { RegistryRepository } from '../../core/registry.ts';
import type { SeriesRow } from '../../core/series.ts';
import type { RunInputsSource } from '../run/ports.ts';

/** What training reads of the store: the series a model may target, how far their actuals go, and the inputs of a window. */
export interface TrainingInputs extends RunInputsSource {
  /** Every stored series: topology nodes and derived series. */
  series(): Promise<SeriesRow[]>;
  /** Time of the latest actual (measurement or metering interval) of any of the series; null without any. */
  latestActualAt(seriesIds: string[]): Promise<Date | null>;
}

/** Everything training touches besides its request and the forecasters it fits: the registry and the stored data. */
export interface TrainDeps {
  registry: RegistryRepository;
  inputs: TrainingInputs;
  config: Config;
}
