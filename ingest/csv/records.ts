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
