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
    expect(await saveTopology(db, t)).toEqual({ inserted: 7, updated: 0 });
    const back = await loadStoredTopology(db);
    const sortById = <T extends { id: string }>(xs: T[]) => [...xs].sort((a, b) => a.id.localeCompare(b.id));
    expect(sortById(back.nodes)).toEqual(sortById(t.nodes));

    const moved = parseTopology(YAML.replace('{ id: s1, parent: south', '{ id: s1, parent: north'), 'grid.yaml');
    expect(await saveTopology(db, moved)).toEqual({ inserted: 0, updated: 7 });
    const rows = await listSeries(db);
    expect(rows.find((r) => r.id === 's1')!.parent).toBe('north');
    expect(rows.find((r) => r.id === 'train')).toMatchObject({ parent: 'north', attrs: { sharing: { substations: ['n1', 's1'], allocation: 'worst-case' } } });

    // All or nothing: a renamed node followed by a row the table refuses leaves the store as it was.
    const renamed = moved.nodes.map((n) => (n.id === 'nation' ? { ...n, name: 'Renamed' } : n));
    const broken = { ...moved, nodes: [...renamed, { ...moved.nodes[1], id: 'bad', kind: 'pump' as never }] };
    await expect(saveTopology(db, broken)).rejects.toThrow();
    expect(await listSeries(db)).toEqual(rows);
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
