import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

/** One (p, q)(P, 0, 0)[s] order tried by the search. */
export interface ArmaOrder {
  p: number;
  q: number;
  /** Seasonal AR order (0 or 1) at lag `s`. */
  P: number;
  s: number;
}

export interface WasmCandidate {
  order: ArmaOrder;
  /** Dense AR polynomial in R's convention (seasonal term multiplied in). */
  phi: number[];
  theta: number[];
  mean: number;
  /** ctsa return code: 1 = converged. */
  retval: number;
  error?: string;
}

export interface WasmFitInput {
  values: number[];
  orders: ArmaOrder[];
  method: number;
  optimizer: number;
}

/** Several series in one worker call; `orders[i]` are the orders fitted to `series[i]`. */
export interface WasmBatchInput {
  series: number[][];
  orders: ArmaOrder[][];
  method: number;
  optimizer: number;
}

interface ArimaModule {
  HEAP32: Int32Array;
  HEAPF64: Float64Array;
}
interface ArimaInstance {
  model: number;
  train(ts: number[]): ArimaInstance;
  destroy(): void;
}

/**
 * The package exposes forecasts only, yet gridcast needs the coefficients (to save them in an
 * artifact and forecast from any later state), so the module is loaded from its files to read
 * ctsa's sarimax_set struct. Layout checked against ctsa.h and an R fit (see arima.test.ts).
 */
let loaded: { ARIMA: new (o: object) => ArimaInstance; m: ArimaModule } | undefined;
function loadArima(): { ARIMA: new (o: object) => ArimaInstance; m: ArimaModule } {
  if (loaded) return loaded;
  const require = createRequire(import.meta.url);
  const root = dirname(require.resolve('arima'));
  const Module = require(join(root, 'wasm/native-sync.js')) as (o: object) => ArimaModule;
  const bin = require(join(root, 'wrapper/native.bin.js')) as Uint8Array;
  const load = require(join(root, 'load.js')) as (m: ArimaModule) => new (o: object) => ArimaInstance;
  const m = Module({ wasmBinary: bin });
  loaded = { ARIMA: load(m), m };
  return loaded;
}

export function fitWasmBatch(input: WasmBatchInput): WasmCandidate[][] {
  return input.series.map((values, i) => fitWasmCandidates({ values, orders: input.orders[i], method: input.method, optimizer: input.optimizer }));
}

/** sarimax_set starts after 16 bytes of the wrapper; offsets in 4-byte words from there. */
const STRUCT = 16;
const W = { p: 4, q: 6, s: 7, P: 8, phi: 14, theta: 15, PHI: 16 } as const;
const MEAN_OFFSET = 88;
const RETVAL_OFFSET = 120;

/** Fits each order with the arima package (synchronous wasm: call this inside a worker). */
export function fitWasmCandidates(input: WasmFitInput): WasmCandidate[] {
  const { ARIMA, m } = loadArima();
  const out: WasmCandidate[] = [];
  for (const order of input.orders) {
    const model = new ARIMA({ p: order.p, d: 0, q: order.q, P: order.P, D: 0, Q: 0, s: order.P ? order.s : 0, method: input.method, optimizer: input.optimizer });
    try {
      model.train(input.values);
      const base = model.model + STRUCT;
      const word = (k: number) => m.HEAP32[base / 4 + k];
      const doubles = (ptr: number, n: number) => Array.from(m.HEAPF64.subarray(ptr / 8, ptr / 8 + n));
      if (word(W.p) !== order.p || word(W.q) !== order.q || word(W.P) !== order.P) {
        throw new Error(`unexpected ctsa struct layout (p=${word(W.p)}, q=${word(W.q)}, P=${word(W.P)})`);
      }
      const phi = doubles(word(W.phi), order.p);
      const PHI = order.P ? doubles(word(W.PHI), order.P) : [];
      // ctsa writes MA terms as (1 − θB); R and arma.ts use (1 + θB).
      const theta = doubles(word(W.theta), order.q).map((t) => -t);
      out.push({ order, phi: expandSeasonalAr(phi, PHI, order.s), theta, mean: m.HEAPF64[(base + MEAN_OFFSET) / 8], retval: m.HEAP32[(base + RETVAL_OFFSET) / 4] });
    } catch (e) {
      out.push({ order, phi: [], theta: [], mean: 0, retval: -1, error: (e as Error).message });
    } finally {
      model.destroy();
    }
  }
  return out;
}

/** Coefficients of 1 − Σφ_i B^i from (1 − Σ phi_i B^i)(1 − Σ PHI_j B^{js}). */
export function expandSeasonalAr(phi: number[], PHI: number[], s: number): number[] {
  if (PHI.length === 0) return phi;
  const n = phi.length + PHI.length * s;
  const poly = new Array<number>(n + 1).fill(0);
  const a = [1, ...phi.map((x) => -x)];
  const b = new Array<number>(PHI.length * s + 1).fill(0);
  b[0] = 1;
  PHI.forEach((x, j) => (b[(j + 1) * s] = -x));
  for (let i = 0; i < a.length; i++) for (let j = 0; j < b.length; j++) poly[i + j] += a[i] * b[j];
  return poly.slice(1).map((x) => -x);
}
