import { medianStepMs } from '../impute/gaps.ts';

/**
 * Isolated spikes and drops in a measured series (pure: arrays in, indices out).
 *
 * A point is a spike (or a drop) when it stands away from BOTH its neighbours in the SAME
 * direction — above both, or below both — by
 *  - more than MIN_DEVIATIONS typical deviations: the robust scale (1.4826 · MAD) of how far
 *    points stand from the straight line through their two neighbours, over blocks of BLOCK
 *    points (the largest of a block's and its neighbour blocks', so it follows the season, a
 *    change of level and a feeder switched on); unlike the first differences, this scale is not
 *    inflated by the steep but smooth morning ramp of an hourly load, so a drop at night still
 *    stands out; and
 *  - at least MIN_SHARE of each neighbour's magnitude: 1.5x or more, or 0.5x or less, of each.
 * The first condition alone flags some 380 one-hour swings of GEFCom2012 (two thirds in zones 9
 * and 10); the second alone flags noise around zero (a traction feeder at night, the near-zero
 * hours of zone 4). Together, on the whole GEFCom2012 load file, the rule flags 14 of 831,222
 * points (none on the system total; zones 4, 5 and the industrial zone 9) and finds a 3x spike or
 * a drop to 0.2x put at any of 8,463 places in 99.75 % of cases (the rest in zones 4 and 9, which
 * swing by half from hour to hour); nothing on BigDEAL 2022 nor on the simulator's clean series
 * (test/spikes-real.test.ts, spikes.test.ts).
 *
 * What is not a spike: a ramp (the neighbours are on either side), a daily peak (a few typical
 * deviations), a step change of level that persists (it is near one of its neighbours: a rupture).
 * A neighbour across a gap (more than 1.5 nominal steps away) is no neighbour: a point next to a
 * gap is not judged, so a gap or a series restarting at another level cannot look like a spike.
 * Two bad points in a row are not isolated and are not flagged either.
 */
const MIN_DEVIATIONS = 8;
const MIN_SHARE = 0.5;
export const BLOCK = 168;
/** Fewer deviations than this give no usable scale: nothing is judged. */
const MIN_POINTS = 12;
const MAD_TO_SD = 1.4826;

export interface Spike {
  index: number;
  kind: 'spike' | 'drop';
  /** How far the point stands from the nearer neighbour, in typical deviations (Infinity on a flat stretch). */
  deviations: number;
}

/**
 * Indices in [from, to] (default: every point that has two neighbours) of the isolated spikes and
 * drops of a series sorted by time. `stepMs` is the nominal cadence (default: the median spacing).
 */
export function isolatedSpikes(
  t: ArrayLike<number>,
  v: ArrayLike<number>,
  opts: { stepMs?: number; from?: number; to?: number } = {},
): Spike[] {
  const n = Math.min(t.length, v.length);
  if (n < 3) return [];
  const stepMs = opts.stepMs ?? medianStepMs(t);
  if (!stepMs || !(stepMs > 0)) return [];
  // d[i] = v[i] - v[i-1] when i-1 and i are neighbours, else NaN.
  const d = new Float64Array(n).fill(NaN);
  for (let i = 1; i < n; i++) if (t[i] - t[i - 1] <= 1.5 * stepMs) d[i] = v[i] - v[i - 1];
  // r[i] = how far v[i] stands from the straight line through its neighbours (NaN without both).
  const r = new Float64Array(n).fill(NaN);
  for (let i = 1; i < n - 1; i++) r[i] = (d[i] - d[i + 1]) / 2;
  const scale = blockScales(r);
  if (!scale) return [];

  const out: Spike[] = [];
  const lo = Math.max(1, opts.from ?? 1);
  const hi = Math.min(n - 2, opts.to ?? n - 2);
  for (let i = lo; i <= hi; i++) {
    const up = d[i];
    const down = d[i + 1];
    // Same direction: above both neighbours (up > 0, then down < 0) or below both. NaN fails too.
    if (!(up * down < 0)) continue;
    const s = scale(i);
    const m = Math.min(Math.abs(up), Math.abs(down));
    if (m > MIN_DEVIATIONS * s && Math.abs(up) >= MIN_SHARE * Math.abs(v[i - 1]) && Math.abs(down) >= MIN_SHARE * Math.abs(v[i + 1])) {
      out.push({ index: i, kind: up > 0 ? 'spike' : 'drop', deviations: s > 0 ? m / s : Infinity });
    }
  }
  return out;
}

/**
 * The typical deviation at each point: the robust scale of the deviations x of its block of BLOCK
 * points (the last block takes the remainder), or of the neighbour block's when larger; a block
 * with too few deviations uses the whole series'. Undefined when the series has too few.
 */
function blockScales(x: Float64Array): ((i: number) => number) | undefined {
  const all = robustScale(x, 0, x.length);
  if (all === undefined) return undefined;
  const blocks = Math.max(1, Math.floor(x.length / BLOCK));
  const scales = new Float64Array(blocks);
  for (let b = 0; b < blocks; b++) scales[b] = robustScale(x, b * BLOCK, b === blocks - 1 ? x.length : (b + 1) * BLOCK) ?? all;
  // A block of quiet points next to a change of regime (a feeder switched on) must not make the
  // first noisy points after it look like spikes.
  return (i) => {
    const b = Math.min(blocks - 1, Math.floor(i / BLOCK));
    return Math.max(scales[b], scales[Math.max(0, b - 1)], scales[Math.min(blocks - 1, b + 1)]);
  };
}

/** 1.4826 · MAD of the finite values of x[start, end), or undefined with fewer than MIN_POINTS. */
function robustScale(x: Float64Array, start: number, end: number): number | undefined {
  const finite = new Float64Array(end - start);
  let k = 0;
  for (let i = start; i < end; i++) if (!Number.isNaN(x[i])) finite[k++] = x[i];
  if (k < MIN_POINTS) return undefined;
  const vals = finite.subarray(0, k);
  const med = median(vals);
  for (let i = 0; i < k; i++) vals[i] = Math.abs(vals[i] - med);
  return MAD_TO_SD * median(vals);
}

/** Median of x (reorders x). */
function median(x: Float64Array): number {
  x.sort();
  const h = x.length >> 1;
  return x.length % 2 ? x[h] : (x[h - 1] + x[h]) / 2;
}

/** A growable pair of columns (epoch ms, value): how a batch holds the points of one series. */
export interface SeriesPoints {
  t: Float64Array;
  v: Float64Array;
  n: number;
}

export const seriesPoints = (capacity = 64): SeriesPoints => ({ t: new Float64Array(capacity), v: new Float64Array(capacity), n: 0 });

export function addPoint(p: SeriesPoints, t: number, v: number): void {
  if (p.n === p.t.length) {
    const [nt, nv] = [new Float64Array(p.n * 2), new Float64Array(p.n * 2)];
    nt.set(p.t);
    nv.set(p.v);
    [p.t, p.v] = [nt, nv];
  }
  p.t[p.n] = t;
  p.v[p.n] = v;
  p.n++;
}

/** The points in time order (a copy; a file may list a series in any order). */
export function sortedPoints(p: SeriesPoints): SeriesPoints {
  const t = p.t.slice(0, p.n);
  const v = p.v.slice(0, p.n);
  let sorted = true;
  for (let i = 1; i < p.n && sorted; i++) sorted = t[i - 1] <= t[i];
  if (sorted) return { t, v, n: p.n };
  const order = Uint32Array.from({ length: p.n }, (_, i) => i).sort((a, b) => t[a] - t[b]);
  return { t: Float64Array.from(order, (i) => t[i]), v: Float64Array.from(order, (i) => v[i]), n: p.n };
}
