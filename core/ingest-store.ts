import type { OnConflict } from './revision.ts';
import type { Quality } from './quality.ts';
import type { SeriesUnit } from './series.ts';

/** What a batch of ingestion holds; each kind has its own staging and merge. */
export type BatchKind = 'measurements' | 'weather' | 'metering';

export type BatchStatus = 'committed' | 'rejected' | 'quarantined';

/** A batch as recorded under its key (ingest_batches). */
export interface BatchRecord {
  id: number;
  source: string;
  batchKey: string;
  kind: string;
  status: BatchStatus;
  rowCount: number;
  report: Record<string, unknown>;
  startedAt: Date;
  finishedAt: Date | null;
}

export interface RevisionNote {
  seriesId: string;
  ts: Date;
  oldValue: number;
  newValue: number;
  oldQuality: Quality;
  newQuality: Quality;
  /** CSV line, or position in a live batch. */
  ord: number;
}

export interface MergeOutcome {
  /** Rows inserted or replaced. */
  written: number;
  /** Measured values replaced by a different measured value (the old ones kept as revisions). */
  revised: number;
  /** The first revisions, in input order. */
  revisions: RevisionNote[];
}

/** Level of a series' measured points in the days before a batch. */
export interface RecentLevel {
  seriesId: string;
  n: number;
  mean: number;
  sd: number;
}

/** Times (epoch ms) and values of a stretch of one series, in time order. */
export interface PointColumns {
  t: Float64Array;
  v: Float64Array;
}

export interface SuspectMark {
  seriesId: string;
  /** Epoch ms; the stored time may carry microseconds within that millisecond. */
  ts: number;
  value: number;
  reason: 'spike' | 'drop';
  detail: Record<string, unknown>;
}

/** A span of series and time whose aggregates a batch changed. */
export interface AggregateRange {
  seriesIds: string[];
  from: Date;
  to: Date;
}

/**
 * Where a batch's rows go as they are read: CSV text of the checked columns, each row ended by
 * `end(line)` (the sink decides what the last column is). `write` resolves false when a row's key
 * is already stored (only the direct path can clash; staging takes everything).
 */
export interface RowSink {
  end(line: number): string;
  /** CSV text rows, or the bytes of a `binary` encoder's take(). */
  write(chunk: string | Uint8Array): Promise<boolean>;
  /** Sinks of measurements that take them encoded (PostgreSQL's binary COPY) rather than as CSV text. */
  binary?: MeasurementEncoder;
}

/** Checked measurements gathered for the next write(). */
export interface MeasurementEncoder {
  /** `epochUs`: microseconds since 1970 (the CSV text's sub-millisecond digits included). */
  add(seriesId: string, epochUs: number, value: number, quality: string, line: number): void;
  /** Bytes gathered since the last take(); 0 when no row waits. */
  readonly bytes: number;
  /** The rows gathered, ready for write(), and a fresh start. */
  take(): Uint8Array;
}

/** The reads and writes of the spike screen (ingest/validate/suspect.ts), inside a batch or a job's transaction. */
export interface SpikeStore {
  /** Up to `before` measured points just before `from` and `after` just after `to`, per span. */
  measuredAround(spans: Array<{ seriesId: string; from: Date; to: Date; before: number; after: number }>): Promise<Map<string, { before: PointColumns; after: PointColumns }>>;
  /** The measured points of a series in [from, to], in pages of at most `limit`. */
  measuredPages(seriesId: string, from: Date, to: Date, limit: number): AsyncIterable<PointColumns>;
  /** Marks stored 'ok' points with exactly the value judged suspect (and logs them); returns those changed, by series and time. */
  markSuspect(marks: SuspectMark[], by: { batchId: number | null; actor: string }): Promise<SuspectMark[]>;
  /** Marks buckets dirty: queries compute them from raw until they are stored again. */
  markAggregates(range: AggregateRange): Promise<void>;
}

/** What one batch may do; everything in it commits together or not at all. */
export interface IngestUnit extends SpikeStore {
  seriesUnits(): Promise<Map<string, SeriesUnit>>;
  /** The new batch's id, or null when the key is already recorded (a concurrent claim waits for the first). */
  claimBatch(b: { source: string; batchKey: string; kind: BatchKind }): Promise<number | null>;
  findBatch(batchKey: string): Promise<BatchRecord | null>;
  /** Measurements straight into the store (fast path); abandonDirect() undoes what was written. */
  beginDirect(batchId: number): Promise<RowSink>;
  abandonDirect(): Promise<void>;
  /** A staging area for the batch's rows (rows ended by their line). */
  beginStage(kind: BatchKind): Promise<RowSink>;
  /** Keys staged more than once, with their lines, first `limit` by first line. */
  stagedDuplicates(kind: BatchKind, limit: number): Promise<Array<{ key: string; lines: number[] }>>;
  recentLevels(before: Array<{ seriesId: string; ts: Date }>, days: number): Promise<RecentLevel[]>;
  /** Holds the staged measurements back in quarantine. */
  quarantineStaged(batchId: number): Promise<void>;
  /**
   * Merges the staged rows under the revision rule (a different measured value is kept as a
   * revision, or VALUE_CONFLICT with onConflict 'reject' before anything is written); `file`
   * names lines in the error.
   */
  mergeStaged(kind: BatchKind, batchId: number, onConflict: OnConflict, file: string): Promise<MergeOutcome>;
  /** Stores the aggregates of a range now. */
  refreshAggregates(range: AggregateRange): Promise<void>;
  finishBatch(id: number, r: { status: BatchStatus; rowCount: number; report: Record<string, unknown> }): Promise<void>;
}

/** Ingestion's storage: store/ingest.repository.ts implements it on the database, test/fakes/ingest.ts in memory. */
export interface IngestStore {
  /** Runs `fn` as one batch in one transaction: committed if it resolves, rolled back if it throws. */
  batch<T>(fn: (u: IngestUnit) => Promise<T>): Promise<T>;
}
