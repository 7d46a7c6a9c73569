import { GridcastError } from '../../core/errors.ts';
import type { SeriesRow } from '../../core/series.ts';
import type { TrainingInputs } from './ports.ts';

/** Nodes of the grid a model can target: topology nodes that are not weather stations nor derived series. */
const isTarget = (r: SeriesRow) => r.kind !== 'weather' && !r.attrs.derived;

/**
 * The series a model is trained on: the ids given, else the subtree of `root`, else the subtree
 * of the default root (config) or of the sole hierarchy in the store.
 */
export function resolveSeries(rows: SeriesRow[], sel: { seriesIds?: string[]; root?: string; defaultRoot?: string }): { ids: string[]; rows: SeriesRow[] } {
  const byId = new Map(rows.map((r) => [r.id, r]));
  if (sel.seriesIds?.length) {
    const ids = [...new Set(sel.seriesIds)].sort();
    const unknown = ids.filter((id) => !byId.has(id));
    if (unknown.length) throw new GridcastError('SERIES_NOT_FOUND', `unknown series: ${unknown.join(', ')} (load the topology first)`, { seriesIds: unknown });
    return { ids, rows: ids.map((id) => byId.get(id)!) };
  }
  let root = sel.root ?? sel.defaultRoot;
  if (!root) {
    const targets = rows.filter(isTarget);
    const roots = targets.filter((r) => r.parent === null && targets.some((c) => c.parent === r.id));
    if (roots.length !== 1) {
      throw new GridcastError(
        'TRAIN_SERIES_REQUIRED',
        roots.length === 0 ? 'no hierarchy in the store: name the series with --series, or load a topology' : `the store holds ${roots.length} hierarchies (${roots.map((r) => r.id).join(', ')}): choose one with --root or name --series`,
      );
    }
    root = roots[0].id;
  }
  if (!byId.has(root)) throw new GridcastError('SERIES_NOT_FOUND', `unknown root node '${root}'`, { seriesId: root });
  const children = new Map<string, string[]>();
  for (const r of rows) if (r.parent && isTarget(r)) children.set(r.parent, [...(children.get(r.parent) ?? []), r.id]);
  const ids: string[] = [];
  const stack = [root];
  while (stack.length) {
    const id = stack.pop()!;
    if (ids.includes(id)) continue;
    ids.push(id);
    stack.push(...(children.get(id) ?? []));
  }
  ids.sort();
  return { ids, rows: ids.map((id) => byId.get(id)!) };
}

/**
 * End of the hour holding the latest actual of the series or of any of their descendants (what a
 * roll-up is made of): the default end of a training window. Null when there is no data at all.
 */
export async function latestDataHour(inputs: Pick<TrainingInputs, 'series' | 'latestActualAt'>, ids: string[]): Promise<Date | null> {
  const rows = await inputs.series();
  const children = new Map<string, string[]>();
  for (const r of rows) if (r.parent) children.set(r.parent, [...(children.get(r.parent) ?? []), r.id]);
  const all = new Set<string>();
  const stack = [...ids];
  while (stack.length) {
    const id = stack.pop()!;
    if (all.has(id)) continue;
    all.add(id);
    stack.push(...(children.get(id) ?? []));
  }
  const t = await inputs.latestActualAt([...all]);
  if (!t) return null;
  return new Date(Math.floor(t.getTime() / 3_600_000) * 3_600_000 + 3_600_000);
}
