import { describe, expect, it } from 'vitest';
import { DateTime } from 'luxon';
import { summingMatrix } from '../core/hierarchy.ts';
import { balanceTerms, regionalConsumption } from '../ingest/prepare/balance.ts';
import { createCalendar } from '../ingest/simulator/calendar.ts';
import { readDefaultGrid } from '../ingest/simulator/default-grid.ts';
import { substationLoad } from '../ingest/simulator/load.ts';
import { createSimulator, type SimBatch } from '../ingest/simulator/simulator.ts';
import { validateTopology } from '../core/topology/validate.ts';

const topology = readDefaultGrid();
const clean = createSimulator({ seed: 7, topology, faults: false });
const substations = topology.nodes.filter((n) => n.id.startsWith('ss.')).map((n) => n.id);
const bottom = summingMatrix(topology.nodes, 'fr').cols;

const at = (iso: string) => new Date(iso);
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

/** Sum of the bottom series (substations and trains) per timestamp: the nation as roll-ups will see it. */
function nationByTs(b: SimBatch): Map<number, number> {
  const out = new Map<number, number>();
  const wanted = new Set(bottom);
  for (const m of b.measurements) if (wanted.has(m.seriesId)) out.set(m.ts.getTime(), (out.get(m.ts.getTime()) ?? 0) + m.value);
  return out;
}

/** Mean nation load of each local calendar day. */
function dailyMeans(b: SimBatch): Map<string, number> {
  const byDay = new Map<string, number[]>();
  for (const [t, v] of nationByTs(b)) {
    const day = DateTime.fromMillis(t, { zone: 'Europe/Paris' }).toISODate()!;
    const list = byDay.get(day) ?? [];
    list.push(v);
    byDay.set(day, list);
  }
  return new Map([...byDay].map(([d, vs]) => [d, mean(vs)]));
}

describe('simulator determinism', () => {
  it('gives the same points for the same seed, whatever the step or the chunking', () => {
    const from = at('2026-01-15T00:00:00Z');
    const to = at('2026-01-15T02:00:00Z');
    const a = createSimulator({ seed: 42, topology }).generate(from, to, 10);
    const b = createSimulator({ seed: 42, topology }).generate(from, to, 10);
    expect(b).toEqual(a);
    const chunked = [...createSimulator({ seed: 42, topology }).chunks(from, to, 10, 600)];
    expect(chunked).toHaveLength(12);
    expect(chunked.flatMap((c) => c.measurements)).toEqual(a.measurements);
    const hourly = createSimulator({ seed: 42, topology }).generate(from, to, 3600);
    const fine = new Map(a.measurements.map((m) => [`${m.seriesId}@${m.ts.getTime()}`, m.value]));
    for (const m of hourly.measurements) expect(m.value).toBe(fine.get(`${m.seriesId}@${m.ts.getTime()}`));
    const other = createSimulator({ seed: 43, topology }).generate(from, to, 10);
    expect(other.measurements.map((m) => m.value)).not.toEqual(a.measurements.map((m) => m.value));
  });
});

describe('simulator realism', () => {
  const winterSpring = clean.generate(at('2026-01-05T00:00:00Z'), at('2026-05-31T00:00:00Z'), 3600);
  const days = dailyMeans(winterSpring);

  it('loads rise with cold below 15 °C and with heat above 22 °C, with inertia', () => {
    const shape = { base: 100, industrial: 0.3, heatingPerDegree: 0.03, coolingPerDegree: 0.02 };
    const noon = createCalendar('Europe/Paris', 'FR')(Date.UTC(2026, 2, 11, 11));
    expect(substationLoad(shape, noon, 0)).toBeGreaterThan(substationLoad(shape, noon, 10));
    expect(substationLoad(shape, noon, 17)).toBeCloseTo(substationLoad(shape, noon, 20));
    expect(substationLoad(shape, noon, 30)).toBeGreaterThan(substationLoad(shape, noon, 20));

    // Daily nation load against Paris daily temperature over a heating season: strongly negative.
    const temp = new Map<string, number[]>();
    for (const w of winterSpring.weather) {
      if (w.stationId !== 'ws.paris' || w.variable !== 'temperature') continue;
      const d = DateTime.fromJSDate(w.ts, { zone: 'Europe/Paris' }).toISODate()!;
      const list = temp.get(d) ?? [];
      list.push(w.value);
      temp.set(d, list);
    }
    const workdays = [...days.keys()].filter((d) => createCalendar('Europe/Paris', 'FR')(DateTime.fromISO(d, { zone: 'Europe/Paris' }).plus({ hours: 12 }).toMillis()).dayType === 'workday');
    const x = workdays.map((d) => mean(temp.get(d)!));
    const y = workdays.map((d) => days.get(d)!);
    const mx = mean(x);
    const my = mean(y);
    const cov = mean(x.map((xi, i) => (xi - mx) * (y[i] - my)));
    const corr = cov / Math.sqrt(mean(x.map((xi) => (xi - mx) ** 2)) * mean(y.map((yi) => (yi - my) ** 2)));
    expect(corr).toBeLessThan(-0.6);
  });

  it('has a weekly cycle: weekdays above Saturdays above Sundays', () => {
    const cal = createCalendar('Europe/Paris', 'FR');
    const by: Record<string, number[]> = { workday: [], saturday: [], sunday: [] };
    // Four weeks of March 2026, without holidays.
    for (const [d, v] of days) {
      if (!d.startsWith('2026-03')) continue;
      by[cal(DateTime.fromISO(d, { zone: 'Europe/Paris' }).plus({ hours: 12 }).toMillis()).dayType].push(v);
    }
    expect(mean(by.workday)).toBeGreaterThan(mean(by.saturday) * 1.04);
    expect(mean(by.saturday)).toBeGreaterThan(mean(by.sunday) * 1.02);
  });

  it('has lower load on a public holiday than on the surrounding normal Thursdays', () => {
    // Ascension Day 2026 is Thursday 14 May in France.
    const holiday = days.get('2026-05-14')!;
    const normal = mean([days.get('2026-05-07')!, days.get('2026-05-21')!]);
    expect(holiday).toBeLessThan(normal * 0.93);
  });

  it('follows local time across DST: 23 h and 25 h days, night service break at local hours', () => {
    const hoursIn = (isoDay: string) => {
      const start = DateTime.fromISO(isoDay, { zone: 'Europe/Paris' });
      const b = clean.generate(start.toJSDate(), start.plus({ days: 1 }).toJSDate(), 3600);
      return new Set(b.measurements.map((m) => m.ts.getTime())).size;
    };
    expect(hoursIn('2026-03-29')).toBe(23);
    expect(hoursIn('2026-10-25')).toBe(25);
    expect(hoursIn('2026-03-30')).toBe(24);
    const train = (iso: string) => clean.trueValues(at(iso)).get('train.lgv-nord')!;
    // 03:30 UTC is 04:30 local in winter time (no service) and 05:30 local in summer time (service).
    expect(train('2026-03-27T03:30:00Z')).toBe(0);
    expect(train('2026-03-30T03:30:00Z')).toBeGreaterThan(0);
    expect(train('2026-03-30T02:30:00Z')).toBe(0);
  });

  it('produces no PV at night and PV at noon, visible as a midday dip in PV-heavy withdrawals', () => {
    const b = clean.generate(at('2026-06-20T00:00:00Z'), at('2026-06-22T00:00:00Z'), 600);
    const irr = b.weather.filter((w) => w.variable === 'irradiance');
    const hourOf = (d: Date) => d.getUTCHours();
    expect(irr.filter((w) => hourOf(w.ts) === 23 || hourOf(w.ts) < 2).every((w) => w.value === 0)).toBe(true);
    expect(irr.filter((w) => hourOf(w.ts) === 11).every((w) => w.value > 100)).toBe(true);

    const noPv = createSimulator({
      seed: 7,
      faults: false,
      topology: { ...topology, nodes: topology.nodes.map((n) => (n.id === 'ss.aix' ? { ...n, attrs: { sim: n.attrs.sim } } : n)) },
    });
    const withPv = (iso: string) => clean.trueValues(at(iso)).get('ss.aix')!;
    const without = (iso: string) => noPv.trueValues(at(iso)).get('ss.aix')!;
    expect(withPv('2026-06-21T00:00:00Z')).toBeCloseTo(without('2026-06-21T00:00:00Z'), 9);
    // 30 MW of PV at a clear-ish midsummer noon removes several MW.
    expect(without('2026-06-21T11:00:00Z') - withPv('2026-06-21T11:00:00Z')).toBeGreaterThan(5);
  });
});

describe('simulator sensor faults', () => {
  it('leaves gaps as missing points (never repeated values) and injects outliers', () => {
    const sim = createSimulator({ seed: 3, topology, faults: { gapsPerDay: 2, outlierRate: 0.002 } });
    const from = at('2026-02-01T00:00:00Z');
    const b = sim.generate(from, at('2026-02-04T00:00:00Z'), 60);
    const expected = 3 * 1440;
    const bySeries = new Map<string, { ts: number; value: number }[]>();
    for (const m of b.measurements) {
      const list = bySeries.get(m.seriesId) ?? [];
      list.push({ ts: m.ts.getTime(), value: m.value });
      bySeries.set(m.seriesId, list);
    }
    let missing = 0;
    let longestRepeat = 1;
    for (const [, pts] of bySeries) {
      expect(new Set(pts.map((p) => p.ts)).size).toBe(pts.length);
      expect(pts.every((p) => p.ts % 60_000 === 0)).toBe(true);
      missing += expected - pts.length;
      let run = 1;
      for (let i = 1; i < pts.length; i++) {
        run = pts[i].value === pts[i - 1].value ? run + 1 : 1;
        longestRepeat = Math.max(longestRepeat, run);
      }
    }
    expect(longestRepeat).toBeLessThan(4);
    expect(missing).toBeGreaterThan(0);
    expect(missing / (expected * sim.seriesIds.length)).toBeLessThan(0.2);

    // Same seed without faults: the same noisy values, so any difference is an injected outlier.
    const reference = new Map(
      createSimulator({ seed: 3, topology, faults: false })
        .generate(from, at('2026-02-04T00:00:00Z'), 60)
        .measurements.map((m) => [`${m.seriesId}@${m.ts.getTime()}`, m.value]),
    );
    let outliers = 0;
    for (const m of b.measurements) {
      const ref = reference.get(`${m.seriesId}@${m.ts.getTime()}`)!;
      if (m.value !== ref) {
        expect(Math.abs(m.value - ref)).toBeGreaterThan(0.5 * Math.abs(ref) - 1e-6);
        outliers++;
      }
    }
    // About 0.2 % of 26 × 4320 points.
    expect(outliers).toBeGreaterThan(50);
    expect(outliers).toBeLessThan(500);
  });
});

describe('simulated hierarchy and balance', () => {
  it('counts each train once in the nation and never inside a region', () => {
    const sm = summingMatrix(topology.nodes, 'fr');
    const row = (id: string) => [...sm.rowCols[sm.rows.indexOf(id)]].map((c) => sm.cols[c]);
    expect(row('fr')).toHaveLength(substations.length + 2);
    expect(row('fr').filter((c) => c.startsWith('train.'))).toEqual(['train.rer-b', 'train.lgv-nord']);
    expect(row('fr.north').some((c) => c.startsWith('train.'))).toBe(false);
    expect(row('fr.paris')).toContain('train.rer-b');
  });

  it('closes the regional balances: Σ (production − exports) over regions = Σ bottom series', () => {
    for (const iso of ['2026-01-12T18:00:00Z', '2026-07-12T12:00:00Z']) {
      const truth = clean.trueValues(at(iso));
      const v = (id: string) => [truth.get(id)!];
      const total = ['fr.north', 'fr.paris', 'fr.south']
        .map((r) => balanceTerms(topology, r))
        .map((t) => regionalConsumption(t.production.map(v), t.exports.map((e) => ({ values: v(e.seriesId), sign: e.sign })))[0])
        .reduce((a, b) => a + b, 0);
      const sumBottom = bottom.reduce((a, id) => a + truth.get(id)!, 0);
      expect(total).toBeCloseTo(sumBottom, 6);
      // The North holds no train under it but one may draw from its substations: its balance is at least its substations.
      const north = balanceTerms(topology, 'fr.north');
      const northBalance = regionalConsumption(north.production.map(v), north.exports.map((e) => ({ values: v(e.seriesId), sign: e.sign })))[0];
      const northSubs = substations.filter((s) => topology.nodes.find((n) => n.id === s)!.parent === 'fr.north').reduce((a, id) => a + truth.get(id)!, 0);
      expect(northBalance).toBeGreaterThanOrEqual(northSubs - 1e-9);
    }
  });
});

describe('simulator on a bare topology', () => {
  it('runs on a GEFCom-shaped hierarchy (kW, no stations, no production) with loads in kW', () => {
    const bare = validateTopology({
      timeZone: 'America/New_York',
      nodes: [{ id: 'system', kind: 'load', unit: 'kW' }, ...['z1', 'z2', 'z3'].map((id) => ({ id, parent: 'system', kind: 'load', unit: 'kW' }))],
    });
    const s = createSimulator({ seed: 1, topology: bare, holidays: 'US' });
    expect(s.seriesIds).toEqual(['z1', 'z2', 'z3']);
    expect(s.stationIds).toEqual([]);
    const b = s.generate(at('2026-01-05T00:00:00Z'), at('2026-01-06T00:00:00Z'), 3600);
    expect(b.weather).toEqual([]);
    expect(b.measurements).toHaveLength(72);
    // 30–120 MW expressed in kW.
    expect(b.measurements.every((m) => m.value > 10_000 && m.value < 400_000)).toBe(true);
  });
});
