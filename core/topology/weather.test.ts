import { describe, expect, it } from 'vitest';
import { validateTopology } from './validate.ts';
import { blendStations, describeWeather, fillWeather, resolveWeather, weatherNode, type WeatherNode } from './weather.ts';

/**
 * nation (no station) → north (ws.n), paris (ws.p); north → n1, n2; paris → p1, p2 (own ws.x);
 * train: a moving load over n2 and p1, under the nation.
 */
const nodes: WeatherNode[] = [
  { id: 'nation', parent: null },
  { id: 'north', parent: 'nation', weatherStation: 'ws.n' },
  { id: 'paris', parent: 'nation', weatherStation: 'ws.p' },
  { id: 'n1', parent: 'north' },
  { id: 'n2', parent: 'north' },
  { id: 'p1', parent: 'paris' },
  { id: 'p2', parent: 'paris', weatherStation: 'ws.x' },
  { id: 'train', parent: 'nation', substations: ['n2', 'p1'] },
];
const stations = ['ws.n', 'ws.p', 'ws.x'];

describe('weather inputs of the nodes', () => {
  it('takes a node its own station, else its ancestor, and an aggregate its descendants weighted by load', () => {
    const loads: Record<string, number> = { north: 300, paris: 600, train: 100 };
    const w = resolveWeather(nodes, { stations, loadOf: (id) => loads[id] });
    expect(w.get('north')).toEqual({ stations: [{ station: 'ws.n', weight: 1 }], from: 'own' });
    expect(w.get('n1')).toEqual({ stations: [{ station: 'ws.n', weight: 1 }], from: 'ancestor north' });
    // A moving load: the stations of the substations it draws from, equally.
    expect(w.get('train')).toEqual({ stations: [{ station: 'ws.n', weight: 0.5 }, { station: 'ws.p', weight: 0.5 }], from: 'substations' });
    // The root had no station to inherit: its children's, by their mean load (north 0.3, paris 0.6, train 0.1).
    const nation = w.get('nation')!;
    expect(nation.from).toBe('descendants');
    expect(nation.stations.map((s) => s.station)).toEqual(['ws.n', 'ws.p']);
    expect(nation.stations[0].weight).toBeCloseTo(0.3 + 0.05, 12);
    expect(nation.stations[1].weight).toBeCloseTo(0.6 + 0.05, 12);
  });

  it('weights children equally when a load is unknown, and prefers descendants to an ancestor', () => {
    const w = resolveWeather(
      [
        { id: 'top', parent: null, weatherStation: 'ws.p' },
        { id: 'mid', parent: 'top' },
        { id: 'a', parent: 'mid', weatherStation: 'ws.n' },
        { id: 'b', parent: 'mid', weatherStation: 'ws.x' },
      ],
      { stations, loadOf: (id) => (id === 'a' ? 10 : undefined) },
    );
    expect(w.get('mid')).toEqual({ stations: [{ station: 'ws.n', weight: 0.5 }, { station: 'ws.x', weight: 0.5 }], from: 'descendants' });
  });

  it('reads a weighted list and mean of every station, and finds nothing without any', () => {
    const w = resolveWeather(
      [
        { id: 'a', parent: null, weatherStation: [{ station: 'ws.n', weight: 3 }, { station: 'ws.p', weight: 1 }] },
        { id: 'b', parent: null, weatherStation: 'mean' },
        { id: 'c', parent: null },
      ],
      { stations },
    );
    expect(w.get('a')).toEqual({ stations: [{ station: 'ws.n', weight: 0.75 }, { station: 'ws.p', weight: 0.25 }], from: 'own' });
    expect(w.get('b')).toEqual({ stations: stations.map((station) => ({ station, weight: 1 / 3 })), from: 'mean' });
    expect(w.get('c')).toBeNull();
    expect(resolveWeather([{ id: 'b', parent: null, weatherStation: 'mean' }], { stations: [] }).get('b')).toBeNull();
  });

  it('blends the stations present at each step, renormalising the weights, NaN where none is', () => {
    const byStation = new Map([
      ['s1', Float64Array.from([10, 10, Number.NaN, Number.NaN])],
      ['s2', Float64Array.from([20, Number.NaN, 30, Number.NaN])],
    ]);
    const t = blendStations([{ station: 's1', weight: 0.75 }, { station: 's2', weight: 0.25 }], byStation, 4);
    expect(Array.from(t)).toEqual([12.5, 10, 30, Number.NaN]);
  });

  it('describes inputs for people', () => {
    expect(describeWeather(null)).toBe('none');
    expect(describeWeather({ stations: [{ station: 's1', weight: 1 }], from: 'own' })).toBe('s1');
    expect(describeWeather({ stations: Array.from({ length: 11 }, (_, i) => ({ station: `s${i + 1}`, weight: 1 / 11 })), from: 'mean' })).toBe('mean of 11 stations (s1 … s11)');
    expect(describeWeather({ stations: [{ station: 'a', weight: 0.6 }, { station: 'b', weight: 0.4 }], from: 'descendants' })).toBe('a 60 %, b 40 %, from descendants');
  });

  it('fills only the nodes a file leaves without any weather input (topology load --weather)', () => {
    const t = validateTopology({
      timeZone: 'UTC',
      weatherStations: ['ws1'],
      nodes: [
        { id: 'system', kind: 'load', unit: 'kW' },
        { id: 'z1', parent: 'system', kind: 'load', unit: 'kW' },
        { id: 'z2', parent: 'system', kind: 'load', unit: 'kW' },
        { id: 'other', kind: 'load', unit: 'kW' },
        { id: 'o1', parent: 'other', kind: 'load', unit: 'kW', weatherStation: 'ws1' },
        { id: 'o2', parent: 'other', kind: 'load', unit: 'kW' },
      ],
    });
    const { topology, filled } = fillWeather(t, 'mean');
    expect(filled).toEqual(['system', 'z1', 'z2']);
    expect(topology.nodes.find((n) => n.id === 'z1')!.weatherStation).toBe('mean');
    expect(topology.nodes.find((n) => n.id === 'o2')!.weatherStation).toBeUndefined();
    expect(resolveWeather(topology.nodes.map(weatherNode), { stations: ['ws1'] }).get('o2')!.from).toBe('ancestor other');
    expect(() => fillWeather(t, 'ws-nope')).toThrow(expect.objectContaining({ code: 'TOPOLOGY_UNKNOWN_WEATHER_STATION' }));
  });
});
