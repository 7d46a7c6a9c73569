import { parse } from 'csv-parse/sync';
import { GridcastError } from '../../core/errors.ts';
import { retryOnConnectionLoss } from '../../core/retry.ts';
import { TRANSFER_COLUMNS, TransferInputSchema, type PlannedTransfer, type TransferInput, type TransferStore } from '../../core/planned.ts';

export interface TransferIngestDeps {
  store: TransferStore;
  /** The ids among these that are stored nodes. */
  knownNodes(ids: string[]): Promise<Set<string>>;
}

export interface TransferIssue {
  /** 1-based: the CSV line (header is line 1), or the position in a JSON array. */
  line: number;
  code: string;
  message: string;
}

export interface TransferReport {
  rows: number;
  /** Versions stored by this batch. */
  added: PlannedTransfer[];
  /** Rows identical to a version already stored (a repeated send). */
  unchanged: number;
}

const REQUIRED = TRANSFER_COLUMNS.filter((c) => !['reason', 'status', 'received_at'].includes(c));

/**
 * Rows of a transfers CSV: a header naming the columns (any order; reason, status and received_at
 * may be left out), one plan version a line; an empty cell is an absent optional field.
 */
export function transferRowsFromCsv(text: string): Array<{ line: number; row: Record<string, string> }> {
  let records: string[][];
  try {
    records = parse(text, { skip_empty_lines: true, trim: true, relax_column_count: true }) as string[][];
  } catch (e) {
    throw new GridcastError('MALFORMED_CSV', `Not valid CSV: ${(e as Error).message}`);
  }
  const header = records[0] ?? [];
  const unknown = header.filter((h) => !(TRANSFER_COLUMNS as readonly string[]).includes(h));
  const missing = REQUIRED.filter((c) => !header.includes(c));
  if (unknown.length > 0 || missing.length > 0) {
    throw new GridcastError(
      'CSV_HEADER_INVALID',
      `The transfers header must name the columns ${TRANSFER_COLUMNS.join(',')} (reason, status, received_at optional)${missing.length ? `; missing: ${missing.join(', ')}` : ''}${unknown.length ? `; unknown: ${unknown.join(', ')}` : ''}.`,
      { missing, unknown },
    );
  }
  return records.slice(1).map((r, i) => ({ line: i + 2, row: Object.fromEntries(header.flatMap((h, k) => (r[k] === undefined || r[k] === '' ? [] : [[h, r[k]]]))) }));
}

/**
 * Ingests versions of planned transfers (issue 14 part 4): every row validated, both nodes stored,
 * the batch rejected whole on any issue (TRANSFER_REJECTED, details.issues) so nothing is half
 * written; a version is appended, never overwritten.
 */
export async function ingestTransfers(deps: TransferIngestDeps, rows: Array<{ line: number; row: unknown }>): Promise<TransferReport> {
  const issues: TransferIssue[] = [];
  const valid: Array<{ line: number; t: TransferInput }> = [];
  for (const { line, row } of rows) {
    const p = TransferInputSchema.safeParse(row);
    if (p.success) valid.push({ line, t: p.data });
    else issues.push({ line, code: 'TRANSFER_INVALID', message: p.error.issues.map((x) => `${x.path.join('.') || 'row'}: ${x.message}`).join('; ') });
  }
  // A store restart mid-import is waited out: the same rows appended again are counted unchanged.
  const known = await retryOnConnectionLoss(() => deps.knownNodes([...new Set(valid.flatMap(({ t }) => [t.from_node, t.to_node]))]));
  for (const { line, t } of valid) {
    for (const id of [t.from_node, t.to_node]) {
      if (!known.has(id)) issues.push({ line, code: 'UNKNOWN_SERIES', message: `node '${id}' is not in the topology: create it first (gridcast topology).` });
    }
  }
  if (rows.length === 0) issues.push({ line: 1, code: 'TRANSFER_EMPTY', message: 'no transfer in the batch' });
  if (issues.length > 0) {
    throw new GridcastError('TRANSFER_REJECTED', `${issues.length} issue(s); nothing was stored. First: line ${issues[0].line}: ${issues[0].message}`, { issues });
  }
  const r = await retryOnConnectionLoss(() => deps.store.append(valid.map(({ t }) => t)));
  return { rows: rows.length, ...r };
}
