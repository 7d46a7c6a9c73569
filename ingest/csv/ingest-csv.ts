import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { parse } from 'csv-parse';
import { GridcastError } from '../../core/errors.ts';
import { refreshAggregates } from '../../store/aggregates.ts';
import { claimBatch, findBatchByKey, finishBatch } from '../../store/batches.repository.ts';
import type { Db, Queryable } from '../../store/db.ts';
import {
  loadSeriesUnits,
  MEASUREMENT_STAGE_COLUMNS,
  measurementStageDdl,
  mergeStagedMeasurements,
  quarantineStaged,
  stagedDuplicates,
} from '../../store/measurements.repository.ts';
import { METERING_STAGE_COLUMNS, meteringStageDdl, mergeStagedMetering } from '../../store/metering.repository.ts';
import { mergeStagedWeather, WEATHER_STAGE_COLUMNS, weatherStageDdl } from '../../store/weather.repository.ts';
import { formatIssues, MAX_ISSUES, type Issue } from '../validate/issues.ts';
import { levelJumps } from '../validate/level-jumps.ts';
import { readHeader, type CsvKind } from './format.ts';
import { rowChecker, type SeriesStats } from './rows.ts';

/** Longest accepted line: far above any real row, small enough that a runaway line fails at once. */
export const MAX_LINE_BYTES = 1 << 20;
/** Staging rows are sent to the database in COPY chunks of about this many characters. */
const COPY_CHUNK_CHARS = 8 << 20;
const STAGE = 'ingest_stage';

export interface IngestCsvOptions {
  kind?: CsvKind;
  /** Called as the file is read (bytes of the file on disk, compressed if gzip). */
  onProgress?: (bytesRead: number, totalBytes: number) => void;
}

export type IngestCsvResult =
  | { status: 'committed' | 'quarantined'; batchId: number; kind: CsvKind; rows: number; written: number; issues: Issue[] }
  | { status: 'already-ingested'; batchId: number; kind: CsvKind; rows: number; written: 0; issues: Issue[]; firstStatus: string };

const stageOf = {
  measurements: { ddl: measurementStageDdl, columns: MEASUREMENT_STAGE_COLUMNS, key: ['series_id', 'ts'] },
  weather: { ddl: weatherStageDdl, columns: WEATHER_STAGE_COLUMNS, key: ['station_id', 'variable', 'ts', 'issued_at'] },
  metering: { ddl: meteringStageDdl, columns: METERING_STAGE_COLUMNS, key: ['series_id', 'interval_start', 'status', 'received_at'] },
} as const;

/**
 * Imports one CSV file (plain or gzip) as one batch in one transaction (A9): every line is
 * validated, rows are streamed through a staging table into the target, aggregates are
 * refreshed, and the batch is recorded under sha256(file) + kind. Any invalid line rejects the
 * whole file (GridcastError INGEST_REJECTED listing `file:line: CODE what`) and nothing is
 * written; a batch whose level jumps against recent history is committed to quarantine instead.
 * A file already ingested is reported as such and changes nothing. Memory stays bounded whatever
 * the file size.
 */
export async function ingestCsvFile(db: Db, file: string, opts: IngestCsvOptions = {}): Promise<IngestCsvResult> {
  const size = (await stat(file).catch(() => {
    throw new GridcastError('FILE_NOT_FOUND', `${file}: no such file`, { file });
  })).size;
  const fileHash = await sha256File(file);
  const gzip = await isGzip(file);
  return db.transaction(async (tx) => {
    const hash = createHash('sha256');
    const raw = createReadStream(file);
    let read = 0;
    raw.on('data', (b) => {
      hash.update(b as Buffer);
      read += b.length;
      opts.onProgress?.(read, size);
    });
    const parser = parse({ info: true, relax_column_count: true, skip_empty_lines: true, max_record_size: MAX_LINE_BYTES });
    const input: Readable = gzip ? raw.pipe(createGunzip()) : raw;
    input.on('error', (e) => parser.destroy(e));
    input.pipe(parser);
    try {
      return await loadBatch(tx, file, fileHash, parser, opts.kind, () => hash.digest('hex'));
    } finally {
      raw.destroy();
      parser.destroy();
    }
  });
}

async function loadBatch(
  tx: Queryable,
  file: string,
  fileHash: string,
  records: AsyncIterable<{ record: string[]; info: { lines: number } }>,
  wanted: CsvKind | undefined,
  hashOfWhatWasRead: () => string,
): Promise<IngestCsvResult> {
  const issues: Issue[] = [];
  const stats = new Map<string, SeriesStats>();
  let header: ReturnType<typeof readHeader> | undefined;
  let check: ReturnType<typeof rowChecker> | undefined;
  let batchId = 0;
  let rows = 0;
  let pending: string[] = [];
  let pendingChars = 0;
  const flush = async () => {
    if (pending.length === 0 || !header) return;
    await tx.copyCsv(STAGE, [...stageOf[header.kind].columns], pending.join(''));
    pending = [];
    pendingChars = 0;
  };
  try {
    for await (const { record, info } of records) {
      if (!header) {
        header = readHeader(file, record, wanted);
        const batchKey = `csv:${header.kind}:${fileHash}`;
        const id = await claimBatch(tx, { source: 'csv', batchKey, kind: header.kind });
        if (id === null) {
          const b = (await findBatchByKey(tx, batchKey))!;
          return { status: 'already-ingested', batchId: b.id, kind: header.kind, rows: b.rowCount, written: 0, issues: [], firstStatus: b.status };
        }
        batchId = id;
        await tx.exec(stageOf[header.kind].ddl(STAGE));
        check = rowChecker(header.kind, header.index, await loadSeriesUnits(tx), stats);
        continue;
      }
      const line = info.lines;
      if (record.length !== Object.values(header.index).filter((i) => i >= 0).length) {
        issues.push({ line, code: 'CSV_COLUMN_COUNT', message: `${record.length} columns where the header has ${Object.values(header.index).filter((i) => i >= 0).length}` });
      } else {
        const out = check!(record, line);
        if (typeof out === 'string') {
          rows++;
          // After the first issue the file is rejected anyway: keep reading only to report more.
          if (issues.length === 0) {
            pending.push(out);
            pendingChars += out.length;
            if (pendingChars >= COPY_CHUNK_CHARS) await flush();
          }
        } else issues.push({ line, ...out });
      }
      if (issues.length >= MAX_ISSUES) break;
    }
  } catch (e) {
    throw parseFailure(file, e, issues);
  }
  if (!header) throw new GridcastError('CSV_HEADER_INVALID', `${file}:1: CSV_HEADER_INVALID the file is empty; it needs a header line`, { file, line: 1 });
  if (issues.length > 0) throw rejected(file, issues);
  await flush();
  if (hashOfWhatWasRead() !== fileHash) {
    throw new GridcastError('FILE_CHANGED', `${file} changed while it was being read; run the import again once it is complete`, { file });
  }
  const kind = header.kind;

  const duplicates = await findDuplicates(tx, kind);
  if (duplicates.length > 0) throw rejected(file, duplicates);

  const jumps = kind === 'measurements' ? await levelJumps(tx, stats) : [];
  if (jumps.length > 0) {
    await quarantineStaged(tx, STAGE, batchId);
    await finishBatch(tx, batchId, { status: 'quarantined', rowCount: rows, report: { file, issues: jumps } });
    return { status: 'quarantined', batchId, kind, rows, written: 0, issues: jumps };
  }

  const written = await merge(tx, kind, batchId);
  if (kind === 'measurements' && stats.size > 0) {
    let [from, to] = [Infinity, -Infinity];
    for (const s of stats.values()) [from, to] = [Math.min(from, s.minTs), Math.max(to, s.maxTs)];
    await refreshAggregates(tx, { seriesIds: [...stats.keys()], from: new Date(from), to: new Date(to) });
  }
  await finishBatch(tx, batchId, { status: 'committed', rowCount: rows, report: { file, written } });
  return { status: 'committed', batchId, kind, rows, written, issues: [] };
}

async function merge(tx: Queryable, kind: CsvKind, batchId: number): Promise<number> {
  if (kind === 'measurements') return mergeStagedMeasurements(tx, STAGE, batchId);
  if (kind === 'weather') return mergeStagedWeather(tx, STAGE, batchId);
  return mergeStagedMetering(tx, STAGE, batchId);
}

async function findDuplicates(tx: Queryable, kind: CsvKind): Promise<Issue[]> {
  const dups = await stagedDuplicates(tx, STAGE, [...stageOf[kind].key], MAX_ISSUES);
  return dups.map((d) => ({
    line: d.lines[1],
    code: 'DUPLICATE_ROW' as const,
    message: `repeats line ${d.lines[0]} (${d.key.trim()})${d.lines.length > 2 ? ` and ${d.lines.length - 2} more line(s)` : ''}`,
  }));
}

function rejected(file: string, issues: Issue[]): GridcastError {
  return new GridcastError(
    'INGEST_REJECTED',
    `${file} rejected, nothing written (${issues.length}${issues.length >= MAX_ISSUES ? '+' : ''} problem${issues.length > 1 ? 's' : ''}):\n${formatIssues(file, issues)}`,
    { file, issues },
  );
}

/** csv-parse stops at a malformed record; report it with what was found before. */
function parseFailure(file: string, e: unknown, issues: Issue[]): unknown {
  if (e instanceof GridcastError) return e;
  const err = e as { code?: string; lines?: number; message?: string };
  if (err.code === 'CSV_MAX_RECORD_SIZE') {
    return rejected(file, [...issues, { line: err.lines ?? 0, code: 'CSV_LINE_TOO_LONG', message: `line longer than ${MAX_LINE_BYTES} bytes: no row of an import format is that long` }]);
  }
  if (typeof err.code === 'string' && err.code.startsWith('CSV_')) {
    return rejected(file, [...issues, { line: err.lines ?? 0, code: 'CSV_MALFORMED', message: (err.message ?? '').replace(/ at line \d+.*$/s, '') }]);
  }
  if (err.code === 'Z_DATA_ERROR' || err.code === 'Z_BUF_ERROR') {
    return new GridcastError('GZIP_INVALID', `${file}: the gzip data is corrupt or truncated (${err.message})`, { file });
  }
  return e;
}

async function isGzip(file: string): Promise<boolean> {
  const fh = await open(file, 'r');
  try {
    const { buffer, bytesRead } = await fh.read(Buffer.alloc(2), 0, 2, 0);
    return bytesRead === 2 && buffer[0] === 0x1f && buffer[1] === 0x8b;
  } finally {
    await fh.close();
  }
}

async function sha256File(file: string): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of createReadStream(file)) h.update(chunk as Buffer);
  return h.digest('hex');
}
