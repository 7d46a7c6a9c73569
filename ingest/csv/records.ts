import type { Readable } from 'node:stream';

/** A parsed CSV record and the file line it starts on (1-based). */
export interface NumberedRecord {
  record: string[];
  line: number;
}

/**
 * Records of a csv-parse stream in arrays, drained with read() rather than one promise per
 * record (csv-parse's own `info` option quadruples parsing time, so lines are counted here):
 * every record takes one line plus the newlines inside its quoted fields; empty lines are
 * counted and skipped. Awaiting the consumer between arrays keeps memory bounded.
 */
export async function* numberedRecords(parser: Readable, batchSize = 8192): AsyncGenerator<NumberedRecord[]> {
  let ended = false;
  let error: unknown;
  let wake: (() => void) | undefined;
  parser.on('readable', () => wake?.());
  parser.on('end', () => {
    ended = true;
    wake?.();
  });
  parser.on('error', (e) => {
    error = e;
    wake?.();
  });
  let line = 1;
  for (;;) {
    const batch: NumberedRecord[] = [];
    let record: string[] | null;
    while (batch.length < batchSize && (record = parser.read() as string[] | null) !== null) {
      const start = line;
      line++;
      for (const field of record) if (field.includes('\n')) line += field.split('\n').length - 1;
      if (record.length === 1 && record[0] === '') continue;
      batch.push({ record, line: start });
    }
    if (batch.length > 0) {
      yield batch;
      continue;
    }
    if (error !== undefined) throw error;
    if (ended) return;
    await new Promise<void>((resolve) => (wake = resolve));
    wake = undefined;
  }
}

/** csv-parse's error for a record over its size limit, which parseFailure reports as CSV_LINE_TOO_LONG. */
const lineTooLong = (line: number) => Object.assign(new Error(`line ${line} is longer than the limit`), { code: 'CSV_MAX_RECORD_SIZE', lines: line });

/**
 * Records of a CSV text without any quote or carriage return, as csv-parse would give them: for such
 * a text a record is a line and its fields are what lies between commas, so splitting is exact and
 * about ten times faster than the general parser (which the caller keeps for any other text). Empty
 * lines are counted and skipped; a line over `maxLine` characters fails as soon as it is seen.
 */
export async function* plainRecords(text: AsyncIterable<string> | Iterable<string>, maxLine: number, batchSize = 8192): AsyncGenerator<NumberedRecord[]> {
  let rest = '';
  let line = 1;
  let batch: NumberedRecord[] = [];
  for await (const chunk of text) {
    const s = rest + chunk;
    let from = 0;
    for (let nl = s.indexOf('\n'); nl !== -1; nl = s.indexOf('\n', from)) {
      if (nl - from > maxLine) throw lineTooLong(line);
      if (nl > from) batch.push({ record: s.slice(from, nl).split(','), line });
      line++;
      from = nl + 1;
      if (batch.length >= batchSize) {
        yield batch;
        batch = [];
      }
    }
    rest = s.slice(from);
    if (rest.length > maxLine) throw lineTooLong(line);
  }
  if (rest.length > 0) batch.push({ record: rest.split(','), line });
  if (batch.length > 0) yield batch;
}

/** The text has neither a quote nor a carriage return: plainRecords reads it exactly. */
export const isPlainCsv = (bytes: Uint8Array) => bytes.indexOf(0x22) === -1 && bytes.indexOf(0x0d) === -1;
