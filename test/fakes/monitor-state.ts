import type { MonitorStateStore, ResidualHour, ResidualSource, SeriesMonitorState } from '../../core/monitor-state.ts';

/** series_monitor_state in memory, with the repository's upsert rule. */
export function fakeMonitorState(): MonitorStateStore & { rows: Map<string, SeriesMonitorState> } {
  const rows = new Map<string, SeriesMonitorState>();
  return {
    rows,
    async states(ids) {
      return new Map([...rows].filter(([id]) => !ids || ids.includes(id)).map(([id, s]) => [id, structuredClone(s)]));
    },
    async save(s, at) {
      rows.set(s.seriesId, structuredClone({ ...s, updatedAt: at }));
    },
  };
}

/**
 * Residual hours given in advance per series; reads answer [from, to) like the repository.
 * `parent` maps a series to its parent node (siblings share one); series without are roots.
 */
export function fakeResiduals(bySeries: Map<string, ResidualHour[]>, parent: Map<string, string> = new Map()): ResidualSource {
  return {
    async forecastSeries(from, to) {
      return [...bySeries].filter(([, hs]) => hs.some((h) => h.ts >= from && h.ts < to)).map(([id]) => id).sort();
    },
    async dayAhead(id, from, to) {
      return (bySeries.get(id) ?? []).filter((h) => h.ts >= from && h.ts < to);
    },
    async siblings(ids) {
      return new Map(ids.map((id) => [id, parent.has(id) ? ids.filter((o) => o !== id && parent.get(o) === parent.get(id)).sort() : []]));
    },
  };
}
