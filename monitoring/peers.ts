import type { PeerCorrection, ResidualHour, ResidualSource } from '../core/monitor-state.ts';
import { ridgeGcv } from './stats/ridge.ts';

const HOUR_MS = 3_600_000;

/** Relative error (a − f)/|f| of an hour; NaN where the forecast is near zero. */
const relative = (h: ResidualHour) => (Math.abs(h.forecast) > 1e-9 ? (h.actual - h.forecast) / Math.abs(h.forecast) : Number.NaN);

/** Relative errors of some series per hour: series id → (epoch ms → share). */
export type SiblingErrors = Map<string, Map<number, number>>;

/**
 * Residual reads for one check of the monitor, with the siblings' errors beside them. Reads are
 * cached for the check: siblings read the same windows (same last hour, same calibration year),
 * so a group of n siblings costs n reads per window, not n².
 */
export function peerReader(source: ResidualSource, siblings: Map<string, string[]>, minPeers: number, broken: Set<string>, planned: (id: string, ts: Date) => boolean = () => false) {
  const cache = new Map<string, Promise<ResidualHour[]>>();
  const read = (id: string, from: Date, to: Date) => {
    const key = `${id}|${from.getTime()}|${to.getTime()}`;
    let hit = cache.get(key);
    if (!hit) cache.set(key, (hit = source.dayAhead(id, from, to)));
    return hit;
  };
  return {
    read,
    /** Siblings a correction may use for a series: none below minPeers, none on a rupture fallback. */
    siblingsOf(id: string): string[] {
      const all = (siblings.get(id) ?? []).filter((p) => !broken.has(p));
      return all.length >= minPeers ? all : [];
    },
    /** A series has had a rupture: its errors are its own, not its siblings' weather. */
    markBroken(id: string) {
      broken.add(id);
    },
    /** Whether a correction weighs a sibling now on a rupture fallback (its series then recalibrates). */
    weighsBroken(c: PeerCorrection | null): boolean {
      return Object.keys(c?.weights ?? {}).some((id) => broken.has(id));
    },
    /**
     * The weights of a correction without siblings now on a rupture fallback (their errors since
     * are their rupture's), the others scaled up to the same total: the part of the common error
     * the series shares stays the same. No correction when too little of it is left. Used until
     * the series recalibrates without them, at once unless an alarm is pending.
     */
    usable(c: PeerCorrection | null): PeerCorrection | null {
      if (!c) return null;
      const all = Object.entries(c.weights);
      const kept = all.filter(([id]) => !broken.has(id));
      if (kept.length === all.length) return c;
      const total = all.reduce((a, [, w]) => a + w, 0);
      const left = kept.reduce((a, [, w]) => a + w, 0);
      if (!(total > 0) || !(left > 0.1 * total)) return { ...c, weights: {} };
      return { ...c, weights: Object.fromEntries(kept.map(([id, w]) => [id, (w * total) / left])) };
    },
    /** Relative errors of the given siblings over [from, to), without their planned hours. */
    async errors(ids: string[], from: Date, to: Date): Promise<SiblingErrors> {
      const out: SiblingErrors = new Map();
      for (const [j, hours] of (await Promise.all(ids.map((p) => read(p, from, to)))).entries()) {
        const e = new Map<number, number>();
        for (const h of hours) {
          // A sibling's hours under a plan (a transfer, a schedule) move by the plan, not by the weather it shares.
          if (planned(ids[j], h.ts)) continue;
          const v = relative(h);
          if (Number.isFinite(v)) e.set(h.ts.getTime(), v);
        }
        out.set(ids[j], e);
      }
      return out;
    },
  };
}

export type PeerReader = ReturnType<typeof peerReader>;

/** Means over blocks of `windowHours` (by epoch, as the detector's day), kept when at least half the block is there. */
function blockMeans(points: Iterable<[number, number]>, windowHours: number): Map<number, number> {
  const acc = new Map<number, [number, number]>();
  for (const [t, v] of points) {
    const k = Math.floor(t / (windowHours * HOUR_MS));
    const a = acc.get(k) ?? [0, 0];
    acc.set(k, [a[0] + v, a[1] + 1]);
  }
  const out = new Map<number, number>();
  for (const [k, [s, n]] of acc) if (2 * n >= windowHours) out.set(k, s / n);
  return out;
}

function correlation(a: number[], b: number[]): number {
  const n = a.length;
  const ma = a.reduce((s, v) => s + v, 0) / n;
  const mb = b.reduce((s, v) => s + v, 0) / n;
  let sab = 0;
  let saa = 0;
  let sbb = 0;
  for (let i = 0; i < n; i++) {
    sab += (a[i] - ma) * (b[i] - mb);
    saa += (a[i] - ma) ** 2;
    sbb += (b[i] - mb) ** 2;
  }
  return saa > 0 && sbb > 0 ? sab / Math.sqrt(saa * sbb) : 0;
}

/**
 * The sibling correction fitted on a calibration sample: the series' window-mean relative error
 * regressed on its siblings' (ridge, penalty by GCV), over the `maxPeers` siblings most
 * correlated with it. On window means rather than hours, because the window mean is what the
 * detector reads: the weights make it as quiet as the siblings allow. A regression rather than
 * one common factor, because which siblings share a series' weather is local (a zone follows its
 * neighbours, not the median zone). Null without siblings.
 */
export function fitCorrection(hours: ResidualHour[], siblings: SiblingErrors | null, windowHours: number, maxPeers: number): PeerCorrection | null {
  if (!siblings || siblings.size === 0) return null;
  const own = blockMeans(hours.flatMap((h) => (Number.isFinite(relative(h)) ? [[h.ts.getTime(), relative(h)] as [number, number]] : [])), windowHours);
  const blocks = [...own.keys()].sort((a, b) => a - b);
  const y = blocks.map((k) => own.get(k)!);
  const candidates: Array<{ id: string; x: number[]; r: number }> = [];
  for (const [id, e] of siblings) {
    const m = blockMeans(e, windowHours);
    const both = blocks.filter((k) => m.has(k));
    // a sibling seen on under half the series' windows says too little about it
    if (2 * both.length < blocks.length || both.length < 3) continue;
    const r = correlation(both.map((k) => own.get(k)!), both.map((k) => m.get(k)!));
    if (r > 0) candidates.push({ id, x: blocks.map((k) => m.get(k) ?? 0), r });
  }
  candidates.sort((a, b) => b.r - a.r || (a.id < b.id ? -1 : 1));
  const used = candidates.slice(0, maxPeers);
  if (used.length === 0) return { weights: {}, lambda: 0, count: siblings.size };
  const fit = ridgeGcv(blocks.map((_, i) => used.map((c) => c.x[i])), y);
  const weights: Record<string, number> = {};
  used.forEach((c, j) => {
    if (Math.abs(fit.weights[j]) > 1e-9) weights[c.id] = fit.weights[j];
  });
  return { weights, lambda: fit.lambda, count: siblings.size };
}

/**
 * The hours with each forecast corrected by what the siblings did at that hour:
 * f·(1 + Σ wⱼ·eⱼ), eⱼ sibling j's relative error (0 where it has none). The residual against it
 * is the series' own error.
 */
export function corrected(hours: ResidualHour[], siblings: SiblingErrors | null, c: PeerCorrection | null): ResidualHour[] {
  const w = Object.entries(c?.weights ?? {});
  if (!siblings || w.length === 0) return hours;
  return hours.map((h) => {
    const t = h.ts.getTime();
    let m = 0;
    for (const [id, wj] of w) m += wj * (siblings.get(id)?.get(t) ?? 0);
    return m === 0 ? h : { ...h, forecast: h.forecast * (1 + m) };
  });
}
