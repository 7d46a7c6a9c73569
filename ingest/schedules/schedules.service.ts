import { parse } from 'csv-parse/sync';
import { GridcastError } from '../../core/errors.ts';
import { retryOnConnectionLoss } from '../../core/retry.ts';
import { SCHEDULE_COLUMNS, SCHEDULE_FORMAT, ScheduleRowSchema, type ScheduleRow } from '../../core/schedule.ts';
import type { NewScheduleEntry, ScheduleWrite } from '../../store/schedules.repository.ts';
import { sha256 } from '../csv/source.ts';

/** What the service needs of the store (store/schedules.repository.ts over a Db; a fake in unit tests). */
export interface ScheduleIngestPorts {
  targets(seriesIds: string[]): Promise<Map<string, { unit: string; stepSec: number | null }>>;
  write(batch: { batchKey: string; adapter: string }, rows: NewScheduleEntry[]): Promise<ScheduleWrite>;
}

/** A batch of schedule rows: `line` is the CSV line, or the 1-based position in a JSON array. */
export interface ScheduleBatch {
  name: string;
  adapter: 'csv' | 'api' | 'watch';
  /** Same content, same key: a file, a watched copy of it or a CSV request body are one batch. */
  contentHash: string;
  rows: Array<{ line: number; fields: Record<string, unknown> }>;
}

export interface ScheduleIssue {
  line: number;
  code: string;
  message: string;
}

export type ScheduleIngestResult =
  | { status: 'committed'; batchId: number; rows: number; written: number; unchanged: number; versions: Array<{ seriesId: string; source: string; issuedAt: string }> }
  | { status: 'already-ingested'; batchId: number; rows: number };

/** Without a declared cadence (attrs.stepSec), a `ts` row stands for one hour: the forecasts' step. */
const DEFAULT_STEP_SEC = 3600;

/** A CSV text with a header line of SCHEDULE_COLUMNS names, in any order. */
export function scheduleCsvBatch(name: string, text: Buffer | string, adapter: 'csv' | 'api' | 'watch'): ScheduleBatch {
  let records: string[][];
  try {
    records = parse(text, { relax_column_count: true, skip_empty_lines: true, bom: true }) as string[][];
  } catch (e) {
    throw new GridcastError('MALFORMED_CSV', `${name}: ${(e as Error).message}`, { file: name });
  }
  const header = (records[0] ?? []).map((h) => h.trim().toLowerCase());
  const bad = header.filter((h) => !(SCHEDULE_COLUMNS as readonly string[]).includes(h));
  if (header.length === 0 || bad.length > 0 || new Set(header).size !== header.length) {
    const why = header.length === 0 ? 'no header line' : bad.length > 0 ? `unknown column '${bad[0]}'` : 'a column appears twice';
    throw new GridcastError('CSV_HEADER_INVALID', `${name}:1: ${why}; a schedule file starts with the header ${SCHEDULE_FORMAT}`, { file: name, line: 1 });
  }
  return {
    name,
    adapter,
    contentHash: sha256(text),
    rows: records.slice(1).map((cells, k) => ({
      line: k + 2,
      fields: Object.fromEntries(header.map((h, i) => [h, cells[i] ?? ''])),
    })),
  };
}

export function scheduleJsonBatch(name: string, rows: Array<Record<string, unknown>>): ScheduleBatch {
  return { name, adapter: 'api', contentHash: sha256(JSON.stringify(rows)), rows: rows.map((fields, k) => ({ line: k + 1, fields })) };
}

/**
 * Stores a batch of schedule rows as issued (A12), every version kept. The batch is checked whole
 * first (format, known series, the series' unit, one content per key): one bad row rejects it and
 * nothing is written (SCHEDULE_REJECTED with every issue). Re-sending it changes nothing; a row whose
 * version (series, source, issued_at, interval_start) is stored with other values is refused
 * (SCHEDULE_CONFLICT): a revision is a new issue with a later issued_at.
 */
export async function ingestSchedules(ports: ScheduleIngestPorts, batch: ScheduleBatch): Promise<ScheduleIngestResult> {
  const issues: ScheduleIssue[] = [];
  const parsed: Array<{ line: number; row: ScheduleRow }> = [];
  for (const { line, fields } of batch.rows) {
    const r = ScheduleRowSchema.safeParse(fields);
    if (r.success) parsed.push({ line, row: r.data });
    else issues.push({ line, code: 'SCHEDULE_ROW_INVALID', message: r.error.issues.map((i) => (i.path.length ? `${i.path.join('.')}: ${i.message}` : i.message)).join('; ') });
  }
  if (batch.rows.length === 0) issues.push({ line: 1, code: 'SCHEDULE_EMPTY', message: 'no rows' });
  // A store restart mid-import is waited out: the write is keyed by the batch's content, so running it again after a cut COMMIT finds it already ingested.
  const targets = await retryOnConnectionLoss(() => ports.targets([...new Set(parsed.map((p) => p.row.series_id))]));
  const rows: NewScheduleEntry[] = [];
  const lines: number[] = [];
  const byKey = new Map<string, { line: number; content: string }>();
  for (const { line, row } of parsed) {
    const target = targets.get(row.series_id);
    if (!target) {
      issues.push({ line, code: 'SERIES_UNKNOWN', message: `series '${row.series_id}' is not in the topology` });
      continue;
    }
    if (row.unit !== target.unit) {
      issues.push({ line, code: 'UNIT_MISMATCH', message: `unit '${row.unit}' is not the unit of series '${row.series_id}' (${target.unit}); convert the values first` });
      continue;
    }
    const start = row.ts ?? row.interval_start!;
    const end = row.ts ? new Date(row.ts.getTime() + (target.stepSec ?? DEFAULT_STEP_SEC) * 1000) : row.interval_end!;
    const entry: NewScheduleEntry = {
      seriesId: row.series_id,
      source: row.source,
      issuedAt: row.issued_at,
      start,
      end,
      value: row.value,
      unit: row.unit,
      reason: row.reason ?? null,
      p10: row.p10 ?? null,
      p90: row.p90 ?? null,
      sd: row.sd ?? null,
      receivedAt: row.received_at ?? null,
    };
    const key = [entry.seriesId, entry.source, entry.issuedAt.toISOString(), start.toISOString()].join('\0');
    const content = JSON.stringify([end, entry.value, entry.reason, entry.p10, entry.p90, entry.sd]);
    const seen = byKey.get(key);
    if (seen && seen.content !== content) {
      issues.push({ line, code: 'SCHEDULE_DUPLICATE_KEY', message: `line ${seen.line} gives another content for the same series, source, issued_at and start` });
      continue;
    }
    if (seen) continue;
    byKey.set(key, { line, content });
    rows.push(entry);
    lines.push(line);
  }
  if (issues.length > 0) {
    issues.sort((x, y) => x.line - y.line);
    const shown = issues.slice(0, 10).map((i) => `${batch.name}:${i.line}: ${i.code} ${i.message}`);
    if (issues.length > 10) shown.push(`… and ${issues.length - 10} more`);
    throw new GridcastError('SCHEDULE_REJECTED', `${batch.name}: ${issues.length} invalid row${issues.length > 1 ? 's' : ''}, nothing written:\n${shown.join('\n')}`, {
      file: batch.name,
      issues: issues.slice(0, 100),
    });
  }
  const w = await retryOnConnectionLoss(() => ports.write({ batchKey: `schedules:${batch.contentHash}`, adapter: batch.adapter }, rows));
  if (w.status === 'conflict') {
    const first = w.conflicts[0];
    const r = rows[first.index];
    throw new GridcastError(
      'SCHEDULE_CONFLICT',
      `${batch.name}:${lines[first.index]}: version ${r.source}@${r.issuedAt.toISOString()} of '${r.seriesId}' from ${r.start.toISOString()} is stored with value ${first.stored.value} ${first.stored.unit} until ${first.stored.end.toISOString()}; a version is never changed: issue a revision with a later issued_at. Nothing was written.`,
      { file: batch.name, conflicts: w.conflicts.slice(0, 100).map((c) => ({ line: lines[c.index], seriesId: rows[c.index].seriesId })) },
    );
  }
  if (w.status === 'already-ingested') return { status: 'already-ingested', batchId: w.batchId, rows: batch.rows.length };
  const versions = new Map(rows.map((r) => [`${r.seriesId}\0${r.source}\0${r.issuedAt.toISOString()}`, { seriesId: r.seriesId, source: r.source, issuedAt: r.issuedAt.toISOString() }]));
  return { status: 'committed', batchId: w.batchId, rows: batch.rows.length, written: w.written, unchanged: w.unchanged, versions: [...versions.values()] };
}
