import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { parseTopology, readTopologyFile } from '../ingest/topology/read.ts';
import { validateTopology } from '../core/topology/validate.ts';

const base = () => ({
  timeZone: 'Europe/Paris',
  weatherStations: [{ id: 'ws1', latitude: 48.8, longitude: 2.3 }],
  nodes: [
    { id: 'nation', kind: 'load', unit: 'MW' },
    { id: 'north', parent: 'nation', kind: 'load', unit: 'MW' },
    { id: 'south', parent: 'nation', kind: 'load', unit: 'MW' },
    { id: 'n1', parent: 'north', kind: 'load', unit: 'MW', weatherStation: 'ws1', attrs: { pvCapacity: 5 } },
    { id: 'n2', parent: 'north', kind: 'load', unit: 'MW' },
    { id: 's1', parent: 'south', kind: 'load', unit: 'MW' },
    { id: 'train', kind: 'load', unit: 'MW', sharing: { substations: ['n2', 's1'] } },
    { id: 'line.north', kind: 'flow', unit: 'MW', attrs: { from: 'north', to: 'south', measuredAt: 'north', redundantWith: 'line.south', lossFactor: 0.02 } },
    { id: 'line.south', kind: 'flow', unit: 'MW', attrs: { from: 'north', to: 'south', measuredAt: 'south', redundantWith: 'line.north', lossFactor: 0.02 } },
  ] as Record<string, unknown>[],
});

const errorOf = (input: unknown) => {
  try {
    validateTopology(input);
  } catch (e) {
    return e as { code: string; message: string; details: Record<string, unknown> };
  }
  throw new Error('expected a validation error');
};

describe('topology validation', () => {
  it('resolves a valid topology: parents first, zones inherited, moving load under the LCA', () => {
    const t = validateTopology(base());
    const ids = t.nodes.map((n) => n.id);
    expect(ids.indexOf('nation')).toBeLessThan(ids.indexOf('north'));
    expect(ids.indexOf('north')).toBeLessThan(ids.indexOf('n1'));
    const train = t.nodes.find((n) => n.id === 'train')!;
    expect(train.parent).toBe('nation');
    expect(train.sharing).toEqual({ substations: ['n2', 's1'], allocation: 'average' });
    expect(t.nodes.find((n) => n.id === 'n1')!.timeZone).toBe('Europe/Paris');
    expect(t.nodes.find((n) => n.id === 'ws1')).toMatchObject({ kind: 'weather', unit: '°C', attrs: { latitude: 48.8 } });
  });

  it('reports a cycle with the node id', () => {
    const t = base();
    t.nodes.push({ id: 'x', parent: 'y', kind: 'load', unit: 'MW' }, { id: 'y', parent: 'x', kind: 'load', unit: 'MW' });
    const e = errorOf(t);
    expect(e.code).toBe('TOPOLOGY_CYCLE');
    expect(['x', 'y']).toContain(e.details.nodeId);
  });

  it('reports a node declared twice (two parents)', () => {
    const t = base();
    t.nodes.push({ id: 'n1', parent: 'south', kind: 'load', unit: 'MW' });
    expect(errorOf(t)).toMatchObject({ code: 'TOPOLOGY_DUPLICATE_NODE', details: { nodeId: 'n1' } });
  });

  it('reports an unknown parent and an unknown weather station', () => {
    const t = base();
    t.nodes.push({ id: 'z', parent: 'west', kind: 'load', unit: 'MW' });
    expect(errorOf(t)).toMatchObject({ code: 'TOPOLOGY_UNKNOWN_PARENT', details: { nodeId: 'z', parent: 'west' } });
    const u = base();
    u.nodes[4] = { ...u.nodes[4], weatherStation: 'ws-missing' };
    expect(errorOf(u)).toMatchObject({ code: 'TOPOLOGY_UNKNOWN_WEATHER_STATION', details: { nodeId: 'n2' } });
  });

  it('accepts a weighted station list and mean; refuses an unknown or repeated station, a bad weight, and a station named mean', () => {
    const t = base();
    t.weatherStations.push({ id: 'ws2', latitude: 45, longitude: 5 });
    t.nodes[1] = { ...t.nodes[1], weatherStation: [{ station: 'ws1', weight: 3 }, { station: 'ws2', weight: 1 }] };
    t.nodes[2] = { ...t.nodes[2], weatherStation: 'mean' };
    const v = validateTopology(t);
    expect(v.nodes.find((n) => n.id === 'north')!.weatherStation).toEqual([{ station: 'ws1', weight: 3 }, { station: 'ws2', weight: 1 }]);
    expect(v.nodes.find((n) => n.id === 'south')!.weatherStation).toBe('mean');
    const unknown = base();
    unknown.nodes[1] = { ...unknown.nodes[1], weatherStation: [{ station: 'ws1', weight: 1 }, { station: 'ws9', weight: 1 }] };
    expect(errorOf(unknown)).toMatchObject({ code: 'TOPOLOGY_UNKNOWN_WEATHER_STATION', details: { nodeId: 'north', weatherStation: 'ws9' } });
    const twice = base();
    twice.nodes[1] = { ...twice.nodes[1], weatherStation: [{ station: 'ws1', weight: 1 }, { station: 'ws1', weight: 2 }] };
    expect(errorOf(twice)).toMatchObject({ code: 'TOPOLOGY_INVALID', details: { nodeId: 'north' } });
    const zero = base();
    zero.nodes[1] = { ...zero.nodes[1], weatherStation: [{ station: 'ws1', weight: 0 }] };
    expect(errorOf(zero).code).toBe('TOPOLOGY_INVALID');
    const reserved = base();
    reserved.weatherStations.push({ id: 'mean', latitude: 1, longitude: 1 });
    expect(errorOf(reserved)).toMatchObject({ code: 'TOPOLOGY_RESERVED_ID', details: { nodeId: 'mean' } });
  });

  it('loads a file that only declares weather stations, and refuses an empty one', () => {
    expect(validateTopology({ weatherStations: ['s1', 's2'] }).nodes.map((n) => [n.id, n.kind])).toEqual([['s1', 'weather'], ['s2', 'weather']]);
    expect(errorOf({ timeZone: 'UTC' }).code).toBe('TOPOLOGY_INVALID');
  });

  it('reports a unit that does not fit the kind, or differs from the parent', () => {
    const t = base();
    t.nodes[5] = { ...t.nodes[5], unit: '°C' };
    expect(errorOf(t)).toMatchObject({ code: 'TOPOLOGY_UNIT_KIND', details: { nodeId: 's1' } });
    const u = base();
    u.nodes[5] = { ...u.nodes[5], unit: 'kW' };
    expect(errorOf(u)).toMatchObject({ code: 'TOPOLOGY_UNIT_MISMATCH', details: { nodeId: 's1' } });
    const k = base();
    k.nodes.push({ id: 'pv', parent: 'north', kind: 'generation', unit: 'MW' });
    expect(errorOf(k)).toMatchObject({ code: 'TOPOLOGY_KIND_MISMATCH', details: { nodeId: 'pv' } });
  });

  it('rejects a moving load placed below the substations it draws from', () => {
    const t = base();
    t.nodes[6] = { ...t.nodes[6], parent: 'north' };
    expect(errorOf(t)).toMatchObject({ code: 'TOPOLOGY_SHARING_INVALID', details: { nodeId: 'train' } });
  });

  it('rejects bad references, bad shapes and bad zones', () => {
    const t = base();
    t.nodes[7] = { ...t.nodes[7], attrs: { from: 'north', to: 'east' } };
    expect(errorOf(t)).toMatchObject({ code: 'TOPOLOGY_UNKNOWN_REFERENCE', details: { nodeId: 'line.north' } });
    const sameEnd = base();
    sameEnd.nodes[8] = { ...sameEnd.nodes[8], attrs: { from: 'north', to: 'south', measuredAt: 'north', redundantWith: 'line.north' } };
    expect(errorOf(sameEnd)).toMatchObject({ code: 'TOPOLOGY_FLOW_ENDS' });
    expect(errorOf({ nodes: [{ id: 'a', kind: 'pump', unit: 'MW' }] }).code).toBe('TOPOLOGY_INVALID');
    expect(errorOf({ timeZone: 'Mars/Olympus', nodes: [{ id: 'a', kind: 'load', unit: 'MW' }] }).code).toBe('TOPOLOGY_TIME_ZONE');
  });

  it('reads YAML and JSON text', () => {
    const yaml = 'timeZone: UTC\nnodes:\n  - { id: top, kind: load, unit: kW }\n  - { id: leaf, parent: top, kind: load, unit: kW }\n';
    expect(parseTopology(yaml, 'grid.yaml').nodes.map((n) => n.id)).toEqual(['top', 'leaf']);
    expect(parseTopology(JSON.stringify(base()), 'grid.json').nodes).toHaveLength(10);
    expect(() => parseTopology('{ not json', 'grid.json')).toThrow(/Cannot parse grid.json/);
  });
});

describe.runIf(!!process.env.GRIDCAST_SHARED_DATA)('topology of the real GEFCom 2012 data', () => {
  it('accepts hierarchy.json as is', () => {
    const t = readTopologyFile(join(process.env.GRIDCAST_SHARED_DATA!, 'gefcom2012', 'hierarchy.json'));
    expect(t.nodes.filter((n) => n.parent === 'system')).toHaveLength(20);
    expect(t.nodes.filter((n) => n.kind === 'weather')).toHaveLength(11);
  });
});
