import type { SeriesRow } from '../../core/series.ts';
import type { InputRequest } from '../../forecast/inputs.ts';
import type { TrainingInputs } from '../../forecast/registry/ports.ts';
import { fakeRunInputs, type FakeSeries } from './run-inputs.ts';

const HOUR_MS = 3_600_000;

export interface FakeTrainingData {
  /** The stored series (topology nodes and derived series), as listSeries returns them. */
  rows: SeriesRow[];
  /** The generated values of the series that have any (see fakeRunInputs). */
  series: Record<string, FakeSeries>;
  /** Actuals and observed temperature stop here (a whole hour): nothing is known from it on. */
  until: Date;
  /** Weather stations in the store: series without temperature are then WEATHER_UNMAPPED. */
  weatherStations?: number;
}

/**
 * The data training reads, in memory: the rows as given, and the generated series cut at `until`.
 * A series has actuals when its value in the hour before `until` is a number; the latest actual
 * of those is the start of that hour, as a measurement's timestamp is. Every load is kept in `asked`.
 */
export function fakeTrainingInputs(d: FakeTrainingData): TrainingInputs & { asked: InputRequest[] } {
  const end = d.until.getTime();
  const cut = (f: (ms: number) => number) => (ms: number) => (ms < end ? f(ms) : Number.NaN);
  const known = Object.fromEntries(
    Object.entries(d.series).map(([id, s]): [string, FakeSeries] => [id, { ...s, load: cut(s.load), ...(s.temperature ? { temperature: cut(s.temperature) } : {}) }]),
  );
  const zone = d.rows[0]?.timeZone ?? 'UTC';
  const inputs = fakeRunInputs(known, zone, { weatherStations: d.weatherStations ?? 0 });
  return {
    asked: inputs.asked,
    load: (req) => inputs.load(req),
    async series() {
      return structuredClone(d.rows);
    },
    async latestActualAt(ids) {
      const measured = ids.some((id) => d.series[id] && !Number.isNaN(d.series[id].load(end - HOUR_MS)));
      return measured ? new Date(end - HOUR_MS) : null;
    },
  };
}
