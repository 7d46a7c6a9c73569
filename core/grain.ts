/** Grains a series is served at: its raw points, or buckets aggregated over 5 minutes, an hour or a local day. */
export const GRAINS = ['raw', '5m', '1h', '1d'] as const;
export type Grain = (typeof GRAINS)[number];

/** Grains the store keeps aggregates for. */
export type AggregateGrain = Exclude<Grain, 'raw'>;

/** Nominal bucket length; a 1d bucket is 23 or 25 h on the days the clocks change. */
export const GRAIN_SECONDS: Record<AggregateGrain, number> = { '5m': 300, '1h': 3600, '1d': 86_400 };
