import { GridcastError } from '../../core/errors.ts';

export type CsvKind = 'measurements' | 'weather' | 'metering';
export const CSV_KINDS: readonly CsvKind[] = ['measurements', 'weather', 'metering'];

/** Columns of each import format: required ones in the documented order, then optional ones. */
const FORMATS: Record<CsvKind, { required: string[]; optional: string[] }> = {
  measurements: { required: ['series_id', 'ts', 'value'], optional: ['quality', 'unit'] },
  weather: { required: ['station_id', 'ts', 'variable', 'value'], optional: ['issued_at'] },
  metering: { required: ['series_id', 'interval_start', 'interval_sec', 'value', 'status'], optional: ['received_at'] },
};

/** Every column of each format, in the documented order. */
export const COLUMNS: Record<CsvKind, readonly string[]> = {
  measurements: [...FORMATS.measurements.required, ...FORMATS.measurements.optional],
  weather: [...FORMATS.weather.required, ...FORMATS.weather.optional],
  metering: [...FORMATS.metering.required, ...FORMATS.metering.optional],
};

export const formatLine = (kind: CsvKind) => {
  const f = FORMATS[kind];
  return [...f.required, ...f.optional.map((c) => `[${c}]`)].join(',');
};

/** Position of each named column in the file; -1 when an optional column is absent. */
export type ColumnIndex = Record<string, number>;

/**
 * Reads the header line: the kind is recognised from its columns (station_id → weather,
 * interval_start → metering, else measurements) and must agree with --kind when given.
 * Columns may come in any order; unknown or repeated ones are an error.
 */
export function readHeader(file: string, header: string[], wanted?: CsvKind): { kind: CsvKind; index: ColumnIndex } {
  const names = header.map((h, i) => (i === 0 ? h.replace(/^\uFEFF/, '') : h).trim().toLowerCase());
  const detected: CsvKind = names.includes('station_id') ? 'weather' : names.includes('interval_start') ? 'metering' : 'measurements';
  const kind = wanted ?? detected;
  const { required, optional } = FORMATS[kind];
  const fail = (why: string) => {
    throw new GridcastError('CSV_HEADER_INVALID', `${file}:1: ${why}; a ${kind} file starts with the header ${formatLine(kind)}`, {
      file,
      line: 1,
    });
  };
  if (wanted && wanted !== detected && names.some((n) => [...FORMATS[detected].required].includes(n) && !required.includes(n))) {
    fail(`the header looks like a ${detected} file but --kind ${wanted} was given`);
  }
  const index: ColumnIndex = {};
  names.forEach((n, i) => {
    if (![...required, ...optional].includes(n)) fail(`unknown column '${n}'`);
    if (n in index) fail(`column '${n}' appears twice`);
    index[n] = i;
  });
  const missing = required.filter((c) => !(c in index));
  if (missing.length) fail(`missing column${missing.length > 1 ? 's' : ''} ${missing.join(', ')}`);
  for (const c of optional) index[c] ??= -1;
  return { kind, index };
}
