import { afterEach, describe, expect, it } from 'vitest';
import type { Db } from '../store/db.ts';
import { listSeries } from '../store/series.repository.ts';
import { parseTopology } from '../ingest/topology/read.ts';
import { loadStoredTopology, saveTopology } from '../store/topology.repository.ts';
import { backends, freshDb } from './db.ts';

const YAML = `
timeZone: Europe/Paris
weatherStations: [{ id: ws1, latitude: 48.8, longitude: 2.3 }]
nodes:
  - { id: nation, kind: load, unit: MW, name: Nation }
  - { id: north, parent: nation, kind: load, unit: MW }
  - { id: south, parent: nation, kind: load, unit: MW }
  - { id: n1, parent: north, kind: load, unit: MW, weatherStation: ws1, attrs: { pvCapacity: 5 } }
  - { id: s1, parent: south, kind: load, unit: MW }
  - { id: train, kind: load, unit: MW, sharing: { substations: [n1, s1], allocation: worst-case } }
`;

describe.each(backends)('topology store round trip (%s)', (kind) => {
  let db: Db;
  afterEach(async () => db?.close());

  it('stores, reads back the same topology, upserts on reload, and writes nothing when a row fails', async () => {
    db = await freshDb(kind);
    const t = parseTopology(YAML, 'grid.yaml');
    expect(await saveTopology(db, t)).toEqual({ added: ['n1', 'nation', 'north', 's1', 'south', 'train', 'ws1'], changed: [], unchanged: 0, notInFile: [] });
    const back = await loadStoredTopology(db);
    const sortById = <T extends { id: string }>(xs: T[]) => [...xs].sort((a, b) => a.id.localeCompare(b.id));
    expect(sortById(back.nodes)).toEqual(sortById(t.nodes));

    const moved = parseTopology(YAML.replace('{ id: s1, parent: south', '{ id: s1, parent: north'), 'grid.yaml');
    // The moving load follows: its parent is the lowest common ancestor of its substations.
    expect(await saveTopology(db, moved)).toMatchObject({
      added: [],
      changed: [
        { id: 's1', fields: [{ field: 'parent', from: 'south', to: 'north' }] },
        { id: 'train', fields: [{ field: 'parent', from: 'nation', to: 'north' }] },
      ],
      unchanged: 5,
    });
    const rows = await listSeries(db);
    expect(rows.find((r) => r.id === 's1')!.parent).toBe('north');
    expect(rows.find((r) => r.id === 'train')).toMatchObject({ parent: 'north', attrs: { sharing: { substations: ['n1', 's1'], allocation: 'worst-case' } } });

    // All or nothing: a renamed node followed by a row the table refuses leaves the store as it was.
    const renamed = moved.nodes.map((n) => (n.id === 'nation' ? { ...n, name: 'Renamed' } : n));
    const broken = { ...moved, nodes: [...renamed, { ...moved.nodes[1], id: 'bad', kind: 'pump' as never }] };
    await expect(saveTopology(db, broken)).rejects.toThrow();
    expect(await listSeries(db)).toEqual(rows);
  });

  it('reports only what a reload changes, field by field, writes only those nodes, and names the nodes left out of the file', async () => {
    db = await freshDb(kind);
    const stamps = async () => new Map((await db.query<{ id: string; at: Date }>('SELECT id, updated_at AS at FROM series')).rows.map((r) => [r.id, r.at.getTime()]));
    await saveTopology(db, parseTopology(YAML, 'grid.yaml'));
    const first = await stamps();

    expect(await saveTopology(db, parseTopology(YAML, 'grid.yaml'))).toEqual({ added: [], changed: [], unchanged: 7, notInFile: [] });
    expect(await stamps()).toEqual(first);

    const edited = YAML.replace('name: Nation', 'name: Nation FR')
      .replace('pvCapacity: 5', 'pvCapacity: 6')
      .replace('  - { id: s1,', '  - { id: s2, parent: south, kind: load, unit: MW }\n  - { id: s1,');
    expect(await saveTopology(db, parseTopology(edited, 'grid.yaml'))).toEqual({
      added: ['s2'],
      changed: [
        { id: 'n1', fields: [{ field: 'attrs.pvCapacity', from: 5, to: 6 }] },
        { id: 'nation', fields: [{ field: 'name', from: 'Nation', to: 'Nation FR' }] },
      ],
      unchanged: 5,
      notInFile: [],
    });
    const after = await stamps();
    expect([...after].filter(([id, at]) => first.get(id) !== at).map(([id]) => id).sort()).toEqual(['n1', 'nation', 's2']);

    // s1 and the moving load drawing on it are left out: kept (never deleted) and reported.
    const without = edited.split('\n').filter((l) => !/id: (s1|train),/.test(l)).join('\n');
    expect(await saveTopology(db, parseTopology(without, 'grid.yaml'))).toEqual({ added: [], changed: [], unchanged: 6, notInFile: ['s1', 'train'] });
    expect((await listSeries(db)).map((r) => r.id)).toContain('s1');
  });

  it('keeps a weighted station list and mean, and reads a station id stored before they existed', async () => {
    db = await freshDb(kind);
    const t = parseTopology(
      YAML.replace('{ id: north, parent: nation, kind: load, unit: MW }', '{ id: north, parent: nation, kind: load, unit: MW, weatherStation: [{ station: ws1, weight: 0.6 }, { station: ws2, weight: 0.4 }] }')
        .replace('{ id: south, parent: nation, kind: load, unit: MW }', '{ id: south, parent: nation, kind: load, unit: MW, weatherStation: mean }')
        .replace('weatherStations: [{ id: ws1, latitude: 48.8, longitude: 2.3 }]', 'weatherStations: [{ id: ws1, latitude: 48.8, longitude: 2.3 }, ws2]'),
      'grid.yaml',
    );
    await saveTopology(db, t);
    const back = await loadStoredTopology(db);
    expect(back.nodes.find((n) => n.id === 'north')!.weatherStation).toEqual([{ station: 'ws1', weight: 0.6 }, { station: 'ws2', weight: 0.4 }]);
    expect(back.nodes.find((n) => n.id === 'south')!.weatherStation).toBe('mean');
    expect(back.nodes.find((n) => n.id === 'n1')!.weatherStation).toBe('ws1');
    expect(back.nodes.find((n) => n.id === 's1')!.weatherStation).toBeUndefined();
  });
});
