import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import { createGunzip } from 'node:zlib';
import { CsvError } from 'csv-parse';
import { GridcastError, isConnectionLost } from '../../core/errors.ts';
import type { Log } from '../../core/log.ts';
import { retryOnConnectionLoss, type Backoff } from '../../core/retry.ts';
import { checkTextFile } from '../../core/text-file.ts';
import type { AggregateRange, BatchRecord, IngestStore, IngestUnit, RevisionNote, RowSink } from '../../core/ingest-store.ts';
import type { SeriesUnit } from '../../core/series.ts';
import type { OnConflict } from '../../core/revision.ts';
import { formatIssues, MAX_ISSUES, type Issue } from '../validate/issues.ts';
import { levelJumps } from '../validate/level-jumps.ts';
import { flagBatchSpikes, type SuspectReport } from '../validate/suspect.ts';
import { readHeader, type CsvKind } from './format.ts';
import { isPlainCsv, numberedRecords, plainRecords } from './records.ts';
import { csvParser, MAX_LINE_BYTES, type BatchSource, type Pass } from './source.ts';
import { rowChecker, type SeriesStats } from './rows.ts';

/** Rows are sent to the database in COPY chunks of about this many characters (or bytes, binary). */
const COPY_CHUNK_CHARS = 1 << 20;

export interface IngestCsvOptions {
  kind?: CsvKind;
  /** Called as the file is read (bytes of the file on disk, compressed if gzip). */
  onProgress?: (bytesRead: number, totalBytes: number) => void;
  /**
   * Measurements: only mark the batch's 5-min/hourly/daily buckets dirty in the transaction
   * instead of storing their aggregates, so the rows commit sooner; queries stay exact (marked
   * buckets are computed from raw) and the caller stores them after the commit with
   * flushAggregates() (`gridcast ingest csv` does; else the aggregates-flush job will).
   */
  deferAggregates?: boolean;
  /**
   * Measurements: a row whose measured value differs from the stored one is kept as a revision
   * (default 'revise'), or rejects the whole file with VALUE_CONFLICT ('reject', strict feeds).
   */
  onConflict?: OnConflict;
  /**
   * A batch cut by a lost store connection (PostgreSQL restarting) is rolled back by the server,
   * so it is read and sent again once the server is back, with these waits (default
   * RECONNECT_BACKOFF, about 30 s in all); past them it fails with DB_CONNECTION_LOST.
   */
  reconnect?: Backoff;
  /** Hears each such retry. */
  log?: Log;
}

export interface IngestBatchOptions extends Omit<IngestCsvOptions, 'onProgress'> {
  /** The client's key for this batch (API Idempotency-Key): a retry returns the first batch's report. */
  idempotencyKey?: string;
  /** Whose keys these are (the API key's id): two clients choosing the same key do not collide. */
  idempotencyScope?: string;
}

/** Milliseconds spent per phase of a batch (the bench prints them). */
export type Timings = Partial<Record<'hash' | 'stage' | 'validate' | 'merge' | 'aggregates', number>>;

/**
 * rows = data lines of the file; written = rows inserted or replacing a stored value; revised =
 * rows that replaced a different measured value (kept as a revision), the first ones in
 * `revisions` with their line; the other rows were already stored as sent.
 */
export type IngestCsvResult =
  | {
      status: 'committed' | 'quarantined';
      batchId: number;
      kind: CsvKind;
      rows: number;
      written: number;
      revised: number;
      revisions: RevisionNote[];
      issues: Issue[];
      timings: Timings;
      suspect?: SuspectReport;
      /** The report of the batch first stored under the same idempotency key; nothing written now. */
      replayed?: true;
    }
  | { status: 'already-ingested'; batchId: number; kind: CsvKind; rows: number; written: 0; revised: 0; revisions: []; issues: Issue[]; firstStatus: string; timings: Timings };

/** What a batch did to the store, as `gridcast ingest csv` and the API report it. */
export function batchCounts(r: IngestCsvResult): { new: number; revised: number; unchanged: number } {
  if (r.status === 'committed') return { new: r.written - r.revised, revised: r.revised, unchanged: r.rows - r.written };
  // Quarantined rows are held, not stored; an input already ingested changes nothing.
  return { new: 0, revised: 0, unchanged: r.status === 'already-ingested' ? r.rows : 0 };
}

/**
 * Imports one CSV file (plain or gzip) as one batch in one transaction (A9): every line is
 * validated, rows are streamed by COPY, aggregates are refreshed (or marked: deferAggregates), and the batch is recorded under
 * sha256(file) + kind. Any invalid line rejects the whole file (GridcastError INGEST_REJECTED
 * listing `file:line: CODE what`) and nothing is written; a batch whose level jumps against
 * recent history is committed to quarantine instead. Isolated spikes and drops of a committed
 * batch of measurements are marked suspect (result and report: `suspect`). A file already
 * ingested is reported as such and changes nothing. Memory stays bounded whatever the file size.
 *
 * Measurements first try the fast path: COPY straight into `measurements` under a savepoint, as
 * fast as psql's \copy. Any clash of keys (a duplicate within the file, or a point already
 * stored, which needs the merge rule) or a level jump rolls that back and the file is read again
 * through a staging table, where duplicates are reported with their lines and rows are merged.
 */
export async function ingestCsvFile(store: IngestStore, file: string, opts: IngestCsvOptions = {}): Promise<IngestCsvResult> {
  checkTextFile(file, 'CSV file');
  const size = (await stat(file).catch(() => {
    throw new GridcastError('FILE_NOT_FOUND', `${file}: no such file`, { file });
  })).size;
  const t = performance.now();
  const gzip = await isGzip(file);
  const { hash: fileHash, plain } = await scanFile(file);
  const src: BatchSource = { name: file, adapter: 'csv', keyPrefix: 'csv', contentHash: fileHash, open: () => openPass(file, gzip ? 'gzip' : plain ? 'plain' : 'csv', size, opts.onProgress) };
  return ingestBatch(store, src, opts, { hash: Math.round(performance.now() - t) });
}

/**
 * The one ingestion path of the CLI and the API: a batch of records (the header record first)
 * from any source that can be read twice, validated, stored and recorded under its batch key.
 * The batch key is the idempotency key when one is given (a retry with the same content returns
 * the first batch's report; other content is IDEMPOTENCY_KEY_REUSED), else the content hash.
 */
export async function ingestBatch(store: IngestStore, src: BatchSource, opts: IngestBatchOptions = {}, timings: Timings = {}): Promise<IngestCsvResult> {
  const file = src.name;
  let t = performance.now();
  const lap = (phase: keyof Timings) => {
    const now = performance.now();
    timings[phase] = (timings[phase] ?? 0) + Math.round(now - t);
    t = now;
  };
  // Set when a COMMIT was sent and its answer lost: the batch may be stored already, under its key.
  let commitUnknown = false;
  const attempt = () => store.batch(async (tx): Promise<IngestCsvResult> => {
    const header = await readFileHeader(src, opts.kind);
    const kind = header.kind;
    const batchKey = opts.idempotencyKey !== undefined ? `idempotency:${opts.idempotencyScope ?? ''}:${opts.idempotencyKey}` : `${src.keyPrefix}:${kind}:${src.contentHash}`;
    const batchId = await tx.claimBatch({ source: src.adapter, batchKey, kind });
    if (batchId === null) {
      const first = (await tx.findBatch(batchKey))!;
      // Our own commit went through before the connection dropped: report it as this command's.
      if (commitUnknown && first.status !== 'rejected' && first.report.contentHash === src.contentHash && first.kind === kind) return storedReport(first, first.status, kind, timings);
      return replayed(first, src, kind, opts.idempotencyKey, timings);
    }
    const catalog = await tx.seriesUnits();
    const recorded = { file, contentHash: src.contentHash };

    if (kind === 'measurements') {
      const direct = await readPass(await tx.beginDirect(batchId), src, header, catalog);
      lap('stage');
      if (direct.issues.length > 0) throw rejected(file, direct.issues);
      const jumps = direct.clash ? [] : await levelJumps(tx, direct.stats);
      lap('validate');
      if (!direct.clash && jumps.length === 0) {
        const suspect = await flagBatchSpikes(tx, direct.stats, catalog, batchId);
        lap('validate');
        await refreshMeasured(tx, direct.stats, opts.deferAggregates === true);
        lap('aggregates');
        await tx.finishBatch(batchId, { status: 'committed', rowCount: direct.rows, report: { ...recorded, written: direct.rows, revised: 0, suspect } });
        return { status: 'committed', batchId, kind, rows: direct.rows, written: direct.rows, revised: 0, revisions: [], issues: [], timings, suspect };
      }
      await tx.abandonDirect();
    }

    const staged = await readPass(await tx.beginStage(kind), src, header, catalog);
    lap('stage');
    if (staged.issues.length > 0) throw rejected(file, staged.issues);
    const duplicates = await findDuplicates(tx, kind);
    if (duplicates.length > 0) throw rejected(file, duplicates);
    const jumps = kind === 'measurements' ? await levelJumps(tx, staged.stats) : [];
    lap('validate');
    if (jumps.length > 0) {
      await tx.quarantineStaged(batchId);
      await tx.finishBatch(batchId, { status: 'quarantined', rowCount: staged.rows, report: { ...recorded, issues: jumps } });
      return { status: 'quarantined', batchId, kind, rows: staged.rows, written: 0, revised: 0, revisions: [], issues: jumps, timings };
    }
    const { written, revised, revisions } = await tx.mergeStaged(kind, batchId, opts.onConflict ?? 'revise', file);
    lap('merge');
    let suspect: SuspectReport | undefined;
    if (kind === 'measurements') {
      suspect = await flagBatchSpikes(tx, staged.stats, catalog, batchId);
      lap('validate');
      await refreshMeasured(tx, staged.stats, opts.deferAggregates === true);
      lap('aggregates');
    }
    await tx.finishBatch(batchId, { status: 'committed', rowCount: staged.rows, report: { ...recorded, written, revised, revisions, suspect } });
    return { status: 'committed', batchId, kind, rows: staged.rows, written, revised, revisions, issues: [], timings, suspect };
  });
  try {
    return await retryOnConnectionLoss(attempt, {
      backoff: opts.reconnect,
      onRetry: (e, n, ms) => {
        if ((e as GridcastError).details.atCommit === true) commitUnknown = true;
        opts.log?.warn({ file, attempt: n, retryInSec: ms / 1000, err: e.message }, `${file}: the connection to the store was lost; the batch is sent again once it is back`);
      },
    });
  } catch (e) {
    if (!isConnectionLost(e)) throw e;
    const unknown = e.details.atCommit === true || commitUnknown;
    throw new GridcastError(
      'DB_CONNECTION_LOST',
      `${file}: not imported: the connection to the store was lost and did not come back in time (${e.details.cause}). ` +
        (unknown ? 'The last commit may have gone through: ' : 'Nothing of this batch was committed: ') +
        'run the import again once the database is back (a batch already stored is reported as such, never stored twice).',
      { ...e.details, file, atCommit: unknown },
    );
  }
}

/**
 * A batch key already recorded. Under an idempotency key the same content gets the first batch's
 * report again, and other content is refused; under a content hash it is reported as already
 * ingested (the CLI's rule for a file sent twice).
 */
function replayed(b: BatchRecord, src: BatchSource, kind: CsvKind, idempotencyKey: string | undefined, timings: Timings): IngestCsvResult {
  if (idempotencyKey === undefined) {
    return { status: 'already-ingested', batchId: b.id, kind, rows: b.rowCount, written: 0, revised: 0, revisions: [], issues: [], firstStatus: b.status, timings };
  }
  if (b.report.contentHash !== src.contentHash || b.kind !== kind || b.status === 'rejected') {
    throw new GridcastError(
      'IDEMPOTENCY_KEY_REUSED',
      `Idempotency-Key '${idempotencyKey}' was used for batch ${b.id} (${b.kind}) with other content: send this batch under a new key`,
      { idempotencyKey, batchId: b.id },
    );
  }
  return storedReport(b, b.status, kind, timings);
}

/** A stored batch's report as its result (nothing written now). */
function storedReport(b: BatchRecord, status: 'committed' | 'quarantined', kind: CsvKind, timings: Timings): IngestCsvResult {
  const r = b.report as { written?: number; revised?: number; revisions?: RevisionNote[]; issues?: Issue[]; suspect?: SuspectReport };
  return {
    status,
    batchId: b.id,
    kind,
    rows: b.rowCount,
    written: r.written ?? 0,
    revised: r.revised ?? 0,
    revisions: r.revisions ?? [],
    issues: r.issues ?? [],
    timings,
    ...(r.suspect ? { suspect: r.suspect } : {}),
    replayed: true,
  };
}

/**
 * One read of a file: `plain` (no quote, no carriage return anywhere, as scanFile found) is split
 * by plainRecords, anything else parsed by csv-parse; both hash the bytes as they are read.
 */
function openPass(file: string, form: 'plain' | 'csv' | 'gzip', size: number, onProgress?: IngestCsvOptions['onProgress']): Pass {
  const hash = createHash('sha256');
  let read = 0;
  if (form === 'plain') {
    const raw = createReadStream(file, { highWaterMark: 1 << 20 });
    async function* text(): AsyncGenerator<string> {
      const utf8 = new StringDecoder('utf8');
      for await (const b of raw) {
        hash.update(b as Buffer);
        read += (b as Buffer).length;
        onProgress?.(read, size);
        yield utf8.write(b as Buffer);
      }
      yield utf8.end();
    }
    return { batches: plainRecords(text(), MAX_LINE_BYTES), digest: () => hash.digest('hex'), close: () => raw.destroy() };
  }
  const raw = createReadStream(file);
  raw.on('data', (b) => {
    hash.update(b as Buffer);
    read += b.length;
    onProgress?.(read, size);
  });
  const parser = csvParser();
  const input: Readable = form === 'gzip' ? raw.pipe(createGunzip()) : raw;
  input.on('error', (e) => parser.destroy(e));
  input.pipe(parser);
  return {
    batches: numberedRecords(parser),
    digest: () => hash.digest('hex'),
    close: () => {
      raw.destroy();
      parser.destroy();
    },
  };
}

async function readFileHeader(src: BatchSource, wanted: CsvKind | undefined): Promise<ReturnType<typeof readHeader>> {
  const pass = src.open();
  try {
    for await (const [{ record }] of pass.batches) return readHeader(src.name, record, wanted);
  } catch (e) {
    throw parseFailure(src.name, e, []);
  } finally {
    pass.close();
  }
  throw new GridcastError('CSV_HEADER_INVALID', `${src.name}:1: the file is empty; it needs a header line`, { file: src.name, line: 1 });
}

interface PassResult {
  rows: number;
  issues: Issue[];
  stats: Map<string, SeriesStats>;
  /** The COPY hit a key already present (fast path only). */
  clash: boolean;
}

/**
 * Reads the whole file once, validating every line and COPYing valid rows into `target` in
 * chunks (awaiting each chunk keeps memory bounded: the parser waits). After the first issue,
 * nothing more is copied (the batch is rejected) but reading goes on to report more issues.
 */
async function readPass(sink: RowSink, src: BatchSource, header: ReturnType<typeof readHeader>, catalog: Map<string, SeriesUnit>): Promise<PassResult> {
  const issues: Issue[] = [];
  const stats = new Map<string, SeriesStats>();
  const encoder = header.kind === 'measurements' ? sink.binary : undefined;
  const check = rowChecker(header.kind, header.index, catalog, stats, encoder);
  const width = Object.values(header.index).filter((i) => i >= 0).length;
  let rows = 0;
  let pending: string[] = [];
  let pendingChars = 0;
  let clash = false;
  // One COPY in flight while the next chunk is parsed: the database and the parser work in parallel.
  let inflight: Promise<boolean> = Promise.resolve(true);
  const settle = async () => {
    try {
      if (!(await inflight)) clash = true;
    } finally {
      inflight = Promise.resolve(true);
    }
  };
  const flush = async () => {
    await settle();
    if (clash) return;
    let chunk: string | Uint8Array;
    if (encoder) {
      if (encoder.bytes === 0) return;
      chunk = encoder.take();
    } else {
      if (pending.length === 0) return;
      chunk = pending.join('');
      pending = [];
      pendingChars = 0;
    }
    inflight = sink.write(chunk);
    inflight.catch(() => {}); // handled by settle(); avoids an unhandled rejection meanwhile
  };
  const pass = src.open();
  try {
    let first = true;
    reading: for await (const batch of pass.batches) {
      for (const { record, line } of batch) {
        if (first) {
          first = false;
          continue;
        }
        if (record.length !== width) {
          issues.push({ line, code: 'CSV_COLUMN_COUNT', message: `${record.length} columns where the header has ${width}` });
        } else {
          const out = check(record, line, issues.length === 0);
          if (typeof out === 'string') {
            rows++;
            if (issues.length === 0 && !encoder) {
              pending.push(out + sink.end(line));
              pendingChars += out.length;
            }
          } else issues.push({ line, ...out });
        }
        if (issues.length >= MAX_ISSUES) break reading;
      }
      if ((encoder ? encoder.bytes : pendingChars) >= COPY_CHUNK_CHARS) await flush();
      // Records of a buffered read arrive through microtasks only: without a turn of the event loop
      // the socket would not be written and the server would wait for the COPY's bytes while rows are
      // checked, so that the two alternate instead of overlapping.
      await new Promise<void>((resolve) => setImmediate(resolve));
      if (clash) break;
    }
    if (issues.length === 0 && !clash) {
      await flush();
      await settle();
      if (!clash && pass.digest() !== src.contentHash) {
        throw new GridcastError('FILE_CHANGED', `${src.name} changed while it was being read; run the import again once it is complete`, { file: src.name });
      }
    }
  } catch (e) {
    throw parseFailure(src.name, e, issues);
  } finally {
    pass.close();
    await inflight.catch(() => {});
  }
  return { rows, issues, stats, clash };
}

/** Aggregates (or, deferred, dirty marks) of the series and span of a committed batch of measurements. */
async function refreshMeasured(tx: IngestUnit, stats: Map<string, SeriesStats>, defer: boolean): Promise<void> {
  if (stats.size === 0) return;
  let [from, to] = [Infinity, -Infinity];
  for (const s of stats.values()) [from, to] = [Math.min(from, s.minTs), Math.max(to, s.maxTs)];
  const range: AggregateRange = { seriesIds: [...stats.keys()], from: new Date(from), to: new Date(to) };
  await (defer ? tx.markAggregates(range) : tx.refreshAggregates(range));
}

async function findDuplicates(tx: IngestUnit, kind: CsvKind): Promise<Issue[]> {
  const dups = await tx.stagedDuplicates(kind, MAX_ISSUES);
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
  // csv-parse's codes do not all start with CSV_ (INVALID_OPENING_QUOTE…): its error class says it is the parser's.
  if (e instanceof CsvError || (typeof err.code === 'string' && err.code.startsWith('CSV_'))) {
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

/** The file's hash, and whether its bytes hold no quote and no carriage return (plainRecords can split it). */
async function scanFile(file: string): Promise<{ hash: string; plain: boolean }> {
  const h = createHash('sha256');
  let plain = true;
  for await (const chunk of createReadStream(file, { highWaterMark: 1 << 20 })) {
    h.update(chunk as Buffer);
    if (plain) plain = isPlainCsv(chunk as Buffer);
  }
  return { hash: h.digest('hex'), plain };
}
