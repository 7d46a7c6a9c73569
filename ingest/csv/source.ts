import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { parse } from 'csv-parse';
import { COLUMNS, type CsvKind } from './format.ts';
import { isPlainCsv, numberedRecords, plainRecords, type NumberedRecord } from './records.ts';

/** Longest accepted line: far above any real row, small enough that a runaway line fails at once. */
export const MAX_LINE_BYTES = 1 << 20;

/** One read of a batch: its records (the header first) with their line numbers, and the hash of what was read. */
export interface Pass {
  batches: AsyncIterable<NumberedRecord[]>;
  digest: () => string;
  close: () => void;
}

/**
 * A batch that can be read twice (the fast path of measurements may fall back to staging):
 * a CSV file, a CSV request body or a JSON array of rows. `name` labels its issues
 * (`name:line: CODE message`); `adapter` is recorded as the batch's source.
 */
export interface BatchSource {
  name: string;
  adapter: 'csv' | 'api';
  /** Batch keys of the same content: a CSV text is the same input whether a file or a request body. */
  keyPrefix: 'csv' | 'json';
  contentHash: string;
  open: () => Pass;
}

export const sha256 = (data: string | Buffer) => createHash('sha256').update(data).digest('hex');

/** A CSV parser for import files: ragged rows are reported by the row check, not by the parser. */
export const csvParser = () => parse({ relax_column_count: true, max_record_size: MAX_LINE_BYTES });

/** A CSV text held in memory (a request body), with the same format and line numbers as a file. */
export function csvTextSource(name: string, text: Buffer): BatchSource {
  const contentHash = sha256(text);
  return {
    name,
    adapter: 'api',
    keyPrefix: 'csv',
    contentHash,
    open: () => {
      if (isPlainCsv(text)) return { batches: plainRecords([text.toString('utf8')], MAX_LINE_BYTES), digest: () => contentHash, close: () => {} };
      const parser = csvParser();
      const input = Readable.from([text]);
      input.pipe(parser);
      return {
        batches: numberedRecords(parser),
        digest: () => contentHash,
        close: () => {
          input.destroy();
          parser.destroy();
        },
      };
    },
  };
}

/** A JSON row: the columns of a CSV line of its kind, numbers as numbers or decimal text. */
export type JsonRow = Record<string, string | number | null | undefined>;

/**
 * A JSON array of rows read as a CSV file of the columns they use (in the documented order).
 * A row's "line" is its 1-based position in the array; the header is line 0.
 */
export function jsonRowsSource(name: string, kind: CsvKind, rows: JsonRow[]): BatchSource {
  const contentHash = sha256(JSON.stringify(rows));
  const used = new Set(rows.flatMap((r) => Object.keys(r).filter((k) => r[k] !== undefined)));
  const columns = COLUMNS[kind].filter((c) => used.has(c));
  const cell = (v: JsonRow[string]) => (v === null || v === undefined ? '' : String(v));
  const CHUNK = 8192;
  async function* batches(): AsyncGenerator<NumberedRecord[]> {
    yield [{ record: columns.length ? columns : [...COLUMNS[kind]], line: 0 }];
    for (let i = 0; i < rows.length; i += CHUNK) {
      yield rows.slice(i, i + CHUNK).map((r, j) => ({ record: columns.map((c) => cell(r[c])), line: i + j + 1 }));
    }
  }
  return {
    name,
    adapter: 'api',
    keyPrefix: 'json',
    contentHash,
    open: () => ({ batches: batches(), digest: () => contentHash, close: () => {} }),
  };
}
