import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { parse } from 'csv-parse/sync';
import { z } from 'zod';
import { GridcastError } from '../../core/errors.ts';
import { checkTextFile } from '../../core/text-file.ts';

/** Text of a CSV file, gunzipped when it starts with the gzip magic bytes (whatever its name). */
function readText(file: string): string {
  checkTextFile(file, 'CSV file');
  let buf: Buffer;
  try {
    buf = readFileSync(file);
  } catch (e) {
    throw new GridcastError('FILE_UNREADABLE', `cannot read '${file}': ${(e as Error).message}`, { file });
  }
  if (buf.length >= 2 && buf[0] === 0x1f && buf[1] === 0x8b) {
    try {
      buf = gunzipSync(buf);
    } catch (e) {
      throw new GridcastError('MALFORMED_CSV', `'${file}' looks gzipped but cannot be decompressed: ${(e as Error).message}`, { file });
    }
  }
  return buf.toString('utf8');
}

/**
 * Rows of a CSV file with exactly the `columns` header, each validated by `row`. Rows for which
 * `keep` (given the raw first field) is false are skipped before validation, so loading one series
 * of a large file stays cheap.
 */
export function readCsv<T>(file: string, columns: string[], row: z.ZodType<T>, keep: (first: string) => boolean = () => true): T[] {
  const text = readText(file);
  let records: string[][];
  try {
    records = parse(text, { skip_empty_lines: true, trim: true, relax_column_count: true }) as string[][];
  } catch (e) {
    throw new GridcastError('MALFORMED_CSV', `'${file}' is not valid CSV: ${(e as Error).message}`, { file });
  }
  const header = records[0]?.join(',');
  if (header !== columns.join(',')) {
    throw new GridcastError('MALFORMED_CSV', `'${file}' must start with the header '${columns.join(',')}', found '${header ?? '(empty file)'}'`, { file });
  }
  const out: T[] = [];
  for (let i = 1; i < records.length; i++) {
    const r = records[i];
    if (!keep(r[0])) continue;
    if (r.length !== columns.length) {
      throw new GridcastError('MALFORMED_CSV', `${file}:${i + 1}: expected ${columns.length} fields (${columns.join(',')}), found ${r.length}`, { file, line: i + 1 });
    }
    const parsed = row.safeParse(Object.fromEntries(columns.map((c, k) => [c, r[k]])));
    if (!parsed.success) {
      throw new GridcastError('MALFORMED_CSV', `${file}:${i + 1}: ${parsed.error.issues.map((x) => `${x.path.join('.')}: ${x.message}`).join('; ')}`, { file, line: i + 1 });
    }
    out.push(parsed.data);
  }
  return out;
}

const ISO_INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$/;

/** An ISO 8601 instant with an explicit offset, as epoch ms. */
export const instantMs = z
  .string()
  .regex(ISO_INSTANT, 'ts must be an ISO 8601 time with an offset, e.g. 2018-01-01T00:00:00Z')
  .transform((s, ctx) => {
    const ms = Date.parse(s);
    if (Number.isNaN(ms)) ctx.addIssue({ code: 'custom', message: `ts '${s}' is not a valid time` });
    return ms;
  });

/** A number; an empty field is a missing value (NaN). */
export const numberOrMissing = z.string().transform((s, ctx) => {
  if (s === '') return Number.NaN;
  const v = Number(s);
  if (!Number.isFinite(v)) ctx.addIssue({ code: 'custom', message: `value '${s}' is not a number` });
  return v;
});
