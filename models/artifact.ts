import { createHash } from 'node:crypto';
import { GridcastError } from '../core/errors.ts';
import type { Covariates, ForecasterSpec, ModelArtifact, Series } from '../core/types.ts';
import { endOf } from './timeindex.ts';

/** Bumped when the layout of ModelArtifact (not a model's own state) changes. */
export const ARTIFACT_FORMAT_VERSION = 1;

/**
 * sha256 over the training values and covariates, independent of Map/object key order.
 * NaN is hashed as one canonical bit pattern, since typed arrays may carry different NaN payloads.
 */
export function dataHash(history: Series[], covariates?: Map<string, Covariates>): string {
  const h = createHash('sha256');
  const addValues = (v: Float64Array) => {
    const copy = new Float64Array(v.length);
    for (let i = 0; i < v.length; i++) copy[i] = Number.isNaN(v[i]) ? Number.NaN : v[i];
    h.update(new Uint8Array(copy.buffer));
  };
  for (const s of [...history].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))) {
    h.update(`series\0${s.id}\0${s.start.toISOString()}\0${s.stepSec}\0${s.values.length}\0`);
    addValues(s.values);
    const c = covariates?.get(s.id);
    for (const part of ['past', 'future'] as const) {
      const rec = c?.[part];
      if (!rec) continue;
      for (const name of Object.keys(rec).sort()) {
        h.update(`${part}\0${name}\0${rec[name].length}\0`);
        addValues(rec[name]);
      }
    }
    // What auto calibrates its bands on: a fit on other weather errors is another fit.
    for (const [name, sd] of Object.entries(c?.horizonErrorSd ?? {}).sort(([a], [b]) => (a < b ? -1 : 1))) h.update(`errorSd\0${name}\0${sd}\0`);
  }
  return h.digest('hex');
}

export function trainWindow(history: Series[]): { start: string; end: string } {
  if (history.length === 0) throw new GridcastError('NO_SERIES', 'fit() needs at least one series');
  let start = Infinity;
  let end = -Infinity;
  for (const s of history) {
    start = Math.min(start, s.start.getTime());
    end = Math.max(end, endOf(s).getTime());
  }
  return { start: new Date(start).toISOString(), end: new Date(end).toISOString() };
}

export function makeArtifact(
  spec: ForecasterSpec,
  window: { start: string; end: string },
  hash: string,
  state: unknown,
  metrics?: Record<string, number>,
): ModelArtifact {
  return { formatVersion: ARTIFACT_FORMAT_VERSION, spec, trainWindow: window, dataHash: hash, state: encodeState(state), ...(metrics ? { metrics } : {}) };
}

/**
 * Checks the envelope and the model version, and returns the decoded state. `version` is the one
 * this code writes; `readable` lists older versions whose state it still reads.
 */
export function openArtifact<S>(a: ModelArtifact, kind: string, version: number, readable: readonly number[] = []): S {
  if (a.formatVersion !== ARTIFACT_FORMAT_VERSION) {
    throw new GridcastError('ARTIFACT_FORMAT', `artifact format ${a.formatVersion} is not supported (expected ${ARTIFACT_FORMAT_VERSION}); retrain the model`, { formatVersion: a.formatVersion });
  }
  if (a.spec?.kind !== kind || (a.spec.version !== version && !readable.includes(a.spec.version))) {
    throw new GridcastError('ARTIFACT_VERSION', `artifact holds ${a.spec?.kind} v${a.spec?.version}, this code reads ${kind} v${[...readable, version].join(', v')}; retrain the model`, { kind: a.spec?.kind, version: a.spec?.version });
  }
  return decodeState(a.state) as S;
}

const F64 = '$f64';
const DATE = '$date';

/**
 * Plain-JSON form of a model state: Float64Array becomes base64 of its bytes (lossless, NaN kept),
 * Date an ISO string; non-finite plain numbers are refused because JSON would turn them into null.
 */
export function encodeState(v: unknown): unknown {
  if (v instanceof Float64Array) return { [F64]: Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('base64') };
  if (v instanceof Date) return { [DATE]: v.toISOString() };
  if (Array.isArray(v)) return v.map(encodeState);
  if (typeof v === 'number' && !Number.isFinite(v)) {
    throw new GridcastError('ARTIFACT_STATE', `model state holds a non-finite number (${v}); store it in a Float64Array`);
  }
  if (v && typeof v === 'object') {
    if (ArrayBuffer.isView(v)) throw new GridcastError('ARTIFACT_STATE', 'only Float64Array typed arrays can be stored in a model state');
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, encodeState(x)]));
  }
  return v;
}

/** Idempotent, so a nested artifact (a base model inside a composite) can be decoded twice. */
export function decodeState(v: unknown): unknown {
  if (ArrayBuffer.isView(v) || v instanceof Date) return v;
  if (Array.isArray(v)) return v.map(decodeState);
  if (v && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    if (typeof o[F64] === 'string') {
      const bytes = Buffer.from(o[F64] as string, 'base64');
      const out = new Float64Array(bytes.length / 8);
      new Uint8Array(out.buffer).set(bytes);
      return out;
    }
    if (typeof o[DATE] === 'string') return new Date(o[DATE] as string);
    return Object.fromEntries(Object.entries(o).map(([k, x]) => [k, decodeState(x)]));
  }
  return v;
}
