/**
 * Counter-based randomness: every draw is a hash of (seed, stream, index), so the value of
 * any series at any instant is a pure function of the seed and the time. Live ticks and a
 * backfill of the same period therefore agree, whatever the step or chunking.
 */

function fmix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** FNV-1a of a stream name. */
export function streamKey(name: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

/** Uniform in [0, 1) for (seed, stream, index); index may be any safe integer. */
export function uniform(seed: number, stream: number, index: number): number {
  const lo = index >>> 0;
  const hi = Math.floor(index / 4294967296) >>> 0;
  const h = fmix(fmix(fmix(seed ^ 0x9e3779b9) ^ stream) ^ lo ^ Math.imul(hi, 0x27d4eb2d));
  return h / 4294967296;
}

/** Standard normal (Box–Muller on two independent uniforms). */
export function gauss(seed: number, stream: number, index: number): number {
  const u1 = uniform(seed, stream, 2 * index) || 1e-12;
  const u2 = uniform(seed, stream, 2 * index + 1);
  return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
}

/**
 * Smooth standard-normal-ish process: Gaussian values at knots every periodMs, joined by a
 * cubic (smoothstep) blend. Variance dips slightly between knots, which does not matter here.
 */
export function smoothNoise(seed: number, stream: number, tMs: number, periodMs: number): number {
  const x = tMs / periodMs;
  const k = Math.floor(x);
  const f = x - k;
  const w = f * f * (3 - 2 * f);
  return (1 - w) * gauss(seed, stream, k) + w * gauss(seed, stream, k + 1);
}
