import { describe, expect, it } from 'vitest';
import type { SeriesRow } from '../../core/series.ts';
import { createTopologyReader } from './topology.service.ts';

const row = (id: string, parent: string | null, attrs: Record<string, unknown> = {}): SeriesRow => ({ id, parent, kind: 'load', unit: 'MW', timeZone: 'Europe/Paris', attrs });
const ROWS = [
  row('a', 'root'),
  row('a:pv', null, { derived: true, of: 'a', role: 'pv' }),
  row('b1', 'b'),
  row('b', 'root'),
  row('b2', 'b'),
  row('root', null),
  row('train', 'root', { sharing: { substations: ['a', 'b2'], allocation: 'average' }, stepSec: 300 }),
];

describe('topology reader', () => {
  const reader = createTopologyReader({ listSeries: async () => ROWS });

  it('gives each node its children, and says which series are derived and which loads move', async () => {
    const nodes = await reader.nodes();
    expect(nodes.find((n) => n.id === 'root')!.children).toEqual(['a', 'b', 'train']);
    expect(nodes.find((n) => n.id === 'a:pv')).toMatchObject({ derived: true, attrs: { of: 'a', role: 'pv' }, children: [] });
    expect(nodes.find((n) => n.id === 'train')).toMatchObject({ sharing: { substations: ['a', 'b2'] }, attrs: { stepSec: 300 } });
    await expect(reader.node('zz')).rejects.toMatchObject({ code: 'SERIES_NOT_FOUND' });
  });

  it('gives the summing structure without the derived series', async () => {
    expect(await reader.summing()).toEqual({
      root: 'root',
      bottom: ['a', 'b1', 'b2', 'train'],
      aggregates: [
        { id: 'root', bottom: ['a', 'b1', 'b2', 'train'] },
        { id: 'b', bottom: ['b1', 'b2'] },
      ],
    });
    expect(await reader.summing('b')).toEqual({ root: 'b', bottom: ['b1', 'b2'], aggregates: [{ id: 'b', bottom: ['b1', 'b2'] }] });
    await expect(reader.summing('zz')).rejects.toMatchObject({ code: 'SERIES_NOT_FOUND' });
  });
});
