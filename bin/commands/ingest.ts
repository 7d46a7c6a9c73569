import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { SCHEDULE_FORMAT } from '../../core/schedule.ts';
import { z } from 'zod';
import cliProgress from 'cli-progress';
import { loadConfig } from '../../core/config.ts';
import { checkTextFile } from '../../core/text-file.ts';
import { usageError, usageText } from '../lib/cli.ts';
import { CSV_KINDS, formatLine, type CsvKind } from '../../ingest/csv/format.ts';
import { batchCounts, ingestCsvFile } from '../../ingest/csv/ingest-csv.ts';
import { releaseQuarantine } from '../../ingest/csv/quarantine.ts';
import { formatIssues } from '../../ingest/validate/issues.ts';
import type { SuspectReport } from '../../ingest/validate/suspect.ts';
import { flushAllAggregates } from '../../store/aggregates.ts';
import { ON_CONFLICT, type OnConflict } from '../../core/revision.ts';
import { checkpointEmbedded, type Db } from '../../store/db.ts';
import { openStore } from '../../store/open.ts';
import { ingestStore } from '../../store/ingest.repository.ts';
import { isConnectionLost, isGridcastError } from '../../core/errors.ts';
import { cliLog } from '../../core/log.ts';
import { retryOnConnectionLoss } from '../../core/retry.ts';
import { TRANSFER_COLUMNS } from '../../core/planned.ts';
import type { TransferIssue } from '../../ingest/planned/transfers.service.ts';

export const summary = 'import a CSV file (measurements, weather, metering) as one validated batch; release a quarantined batch; import planned transfers';

const FORMATS = `formats (header line required, times ISO 8601 with Z or an offset, plain or gzip):
  measurements  ${formatLine('measurements')}
  weather       ${formatLine('weather')}
  metering      ${formatLine('metering')}`;
const EXIT_CODES = 'exit codes: 0 committed or already ingested, 1 rejected (nothing written), 2 usage, 3 quarantined';
const CSV = `gridcast ingest csv FILE [--kind ${CSV_KINDS.join('|')}] [--on-conflict revise|reject] [--progress]`;
const RELEASE = 'gridcast ingest release BATCH_ID';
const SCHEDULES = 'gridcast ingest schedules FILE';
const SCHEDULE_NOTES = `planned values of nodes as issued (every version kept; a run uses the version in force at its issue time):
  ${SCHEDULE_FORMAT}
exit codes: 0 committed or already ingested, 1 rejected (nothing written), 2 usage`;
const TRANSFERS = 'gridcast ingest transfers FILE';
const TRANSFERS_NOTES = `planned transfers of load between nodes (switching for works), one version a line; header:
  ${TRANSFER_COLUMNS.join(',')}   (reason, status, received_at optional)
  share: of the from-node's own load, in (0, 1]; status planned (default) or cancelled; a later issued_at
  for the same (source, ref) is its next version; every version is kept; runs use the one in force at their issue time`;

const CSV_NOTES = `--progress prints progress lines on stderr when it is not a terminal (a terminal gets a bar)
--on-conflict: a value received again for a stored (series, time) with a different number is kept
  as a revision and served from now on (revise, the default), or rejects the file (reject)
${FORMATS}
${EXIT_CODES}`;

export const subcommands = {
  csv: usageText([CSV], CSV_NOTES),
  release: usageText([RELEASE], '  stores the rows of a quarantined batch in measurements, once checked'),
  schedules: usageText([SCHEDULES], SCHEDULE_NOTES),
  transfers: usageText([TRANSFERS], TRANSFERS_NOTES),
};
export const usage = usageText([CSV, RELEASE, SCHEDULES, TRANSFERS], `${CSV_NOTES}\n${SCHEDULE_NOTES}\n${TRANSFERS_NOTES}`);

/** Exit code of a batch held in quarantine: distinct from a rejection, since the rows are stored. */
const EXIT_QUARANTINED = 3;

export async function run(args: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ args, allowPositionals: true, options: { kind: { type: 'string' }, 'on-conflict': { type: 'string' }, progress: { type: 'boolean' } } });
  } catch (e) {
    throw usageError((e as Error).message);
  }
  const [sub, target, ...extra] = parsed.positionals;
  if (sub !== 'csv' && sub !== 'release' && sub !== 'schedules' && sub !== 'transfers') throw usageError(sub ? `unknown action '${sub}': csv, release, schedules or transfers` : 'give an action: csv, release, schedules or transfers');
  if (!target) throw usageError(sub === 'release' ? 'ingest release needs a BATCH_ID' : `ingest ${sub} needs a FILE`);
  if (extra.length > 0) throw usageError(`unexpected argument '${extra[0]}'${sub === 'csv' ? ' (one FILE per command: each file is one batch)' : ''}`);
  if (sub === 'csv') {
    const kind = z.enum(CSV_KINDS as [CsvKind, ...CsvKind[]]).optional().safeParse(parsed.values.kind);
    if (!kind.success) throw usageError(`--kind must be one of ${CSV_KINDS.join(', ')}`);
    const onConflict = z.enum(ON_CONFLICT).default('revise').safeParse(parsed.values['on-conflict']);
    if (!onConflict.success) throw usageError(`--on-conflict must be one of ${ON_CONFLICT.join(', ')}`);
    return ingestCsv(target, kind.data, onConflict.data, parsed.values.progress === true);
  }
  if (parsed.values.kind !== undefined || parsed.values.progress || parsed.values['on-conflict'] !== undefined) throw usageError('--kind, --on-conflict and --progress go with ingest csv');
  if (sub === 'schedules') return ingestScheduleFile(target);
  if (sub === 'transfers') return ingestTransferFile(target);
  if (!/^\d+$/.test(target)) throw usageError(`BATCH_ID must be a batch number, got '${target}'`);
  return release(Number(target));
}

/** A bar on a terminal; with --progress and no terminal, a line per 5 % for logs and scripts; else silent. */
function progressReporter(file: string, lines: boolean): ((read: number, total: number) => void) | undefined {
  if (!process.stderr.isTTY) {
    if (!lines) return undefined;
    let next = 0;
    return (read, total) => {
      const pct = total > 0 ? Math.floor((100 * read) / total) : 100;
      if (pct < next) return;
      next = pct + 5;
      process.stderr.write(`progress ${file} ${pct}% ${read}/${total} bytes\n`);
    };
  }
  const bar = new cliProgress.SingleBar({ format: `${file} [{bar}] {percentage}% {value}/{total} MB`, stream: process.stderr, hideCursor: true }, cliProgress.Presets.shades_classic);
  return (read, total) => {
    if (!bar.getTotal()) bar.start(Math.max(1, Math.ceil(total / 1e6)), 0);
    bar.update(Math.floor(read / 1e6));
    if (read >= total) bar.stop();
  };
}

async function ingestCsv(file: string, kind: CsvKind | undefined, onConflict: OnConflict, progressLines: boolean): Promise<number> {
  // Before the store is opened: a mistyped path or a binary file must not create or migrate one.
  checkTextFile(file, 'CSV file');
  const t0 = performance.now();
  const db = await openStore(loadConfig());
  try {
    const r = await ingestCsvFile(ingestStore(db), file, { kind, onConflict, onProgress: progressReporter(file, progressLines), deferAggregates: true, log: cliLog });
    if (r.status === 'already-ingested') {
      console.log(`${file}: already ingested as batch ${r.batchId} (${r.kind}, ${r.rows} rows, ${r.firstStatus}); nothing written`);
      return 0;
    }
    if (r.status === 'quarantined') {
      console.error(`${formatIssues(file, r.issues)}\n${file}: batch ${r.batchId} (${r.rows} rows) held in quarantine, not in measurements; after checking, run: gridcast ingest release ${r.batchId}`);
      return EXIT_QUARANTINED;
    }
    const committedSec = (performance.now() - t0) / 1000;
    const counts = batchCounts(r);
    console.log(
      `${file}: committed batch ${r.batchId} (${r.kind}): ${r.rows} rows, ${counts.new} new, ${counts.revised} revised, ${counts.unchanged} unchanged; ${Object.entries(r.timings).map(([k, ms]) => `${k} ${(ms / 1000).toFixed(2)} s`).join(', ')}`,
    );
    for (const n of r.revisions) console.log(`${file}:${n.ord}: revised ${n.seriesId} ${n.ts.toISOString()}: ${n.oldValue} -> ${n.newValue} (the old value is kept as a revision)`);
    if (r.revised > r.revisions.length) console.log(`${file}: ... and ${r.revised - r.revisions.length} more revised rows`);
    if (r.suspect?.flagged) console.log(suspectLines(file, r.suspect));
    if (r.kind === 'measurements') {
      const t1 = performance.now();
      const marks = await storeAggregates(db);
      console.log(`${file}: committed ${r.rows} rows in ${committedSec.toFixed(2)} s, aggregates stored in ${((performance.now() - t1) / 1000).toFixed(2)} s (${marks} dirty marks)`);
    }
    await checkpointEmbedded(db, { analyze: true });
    return 0;
  } finally {
    await db.close();
  }
}

/**
 * The batch committed with its buckets only marked dirty (exact queries meanwhile); store them now,
 * in transactions of their own. Interrupted here, nothing is lost: the marks stay and the
 * aggregates-flush job of `gridcast start` (or the next import) stores them.
 */
async function storeAggregates(db: Db): Promise<number> {
  try {
    // Flushing is idempotent (it consumes marks), so a cut flush is simply run again.
    return await retryOnConnectionLoss(() => flushAllAggregates(db));
  } catch (e) {
    if (!isConnectionLost(e)) throw e;
    // The rows are committed: a store that went away now only leaves buckets marked for later.
    cliLog.warn({ err: e.message }, 'the connection to the store was lost while storing aggregates: the rows are committed; the remaining marks are stored by the next command or gridcast start');
    return 0;
  }
}

/** The points marked suspect, as the batch report records them: how many, then the first ones. */
function suspectLines(what: string, s: SuspectReport): string {
  const more = s.flagged > s.first.length ? `; the first ${s.first.length}` : '';
  return [
    `${what}: ${s.flagged} point${s.flagged > 1 ? 's' : ''} marked suspect (isolated spikes and drops; values kept as received, all in suspect_log)${more}:`,
    ...s.first.map((p) => `  ${p.seriesId} ${p.ts} ${p.value} ${p.why}`),
  ].join('\n');
}

// Schedules and transfers are loaded by their sub-commands only: write-services brings in the
// forecasting stack, seconds of start-up that an import of measurements would pay for nothing.
async function ingestScheduleFile(file: string): Promise<number> {
  checkTextFile(file, 'schedule file', { gzip: false });
  const [{ ingestSchedules, scheduleCsvBatch }, { scheduleRepository }] = await Promise.all([
    import('../../ingest/schedules/schedules.service.ts'),
    import('../../store/schedules.repository.ts'),
  ]);
  const batch = scheduleCsvBatch(file, readFileSync(file), 'csv');
  const db = await openStore(loadConfig());
  try {
    const r = await ingestSchedules(scheduleRepository(db), batch);
    if (r.status === 'already-ingested') console.log(`${file}: already ingested as batch ${r.batchId} (${r.rows} rows); nothing written`);
    else {
      console.log(`${file}: committed batch ${r.batchId}: ${r.rows} rows, ${r.written} new, ${r.unchanged} already stored`);
      for (const v of r.versions) console.log(`${file}: ${v.seriesId} schedule version ${v.source}@${v.issuedAt}`);
    }
    return 0;
  } finally {
    await db.close();
  }
}

async function ingestTransferFile(file: string): Promise<number> {
  checkTextFile(file, 'CSV file');
  const [{ ingestTransfers, transferRowsFromCsv }, { transferIngestDeps }] = await Promise.all([
    import('../../ingest/planned/transfers.service.ts'),
    import('../lib/write-services.ts'),
  ]);
  const rows = transferRowsFromCsv(readFileSync(file, 'utf8'));
  const db = await openStore(loadConfig());
  try {
    const r = await ingestTransfers(transferIngestDeps(db), rows);
    console.log(`${file}: ${r.rows} transfer rows, ${r.added.length} new versions, ${r.unchanged} unchanged`);
    for (const t of r.added) {
      console.log(`  ${t.source}/${t.ref} v${t.version}: ${t.status === 'cancelled' ? 'cancelled' : `${t.share} of ${t.fromNode} → ${t.toNode}, ${t.start.toISOString()} → ${t.end.toISOString()}`} (issued ${t.issuedAt.toISOString()})`);
    }
    return 0;
  } catch (e) {
    if (!isGridcastError(e) || e.code !== 'TRANSFER_REJECTED') throw e;
    for (const i of e.details.issues as TransferIssue[]) console.error(`${file}:${i.line}: ${i.code}: ${i.message}`);
    console.error(`${file}: rejected (TRANSFER_REJECTED); nothing was stored`);
    return 1;
  } finally {
    await db.close();
  }
}

async function release(batchId: number): Promise<number> {
  const db = await openStore(loadConfig());
  try {
    const r = await releaseQuarantine(db, batchId);
    console.log(`batch ${batchId} released: ${r.rows} rows, ${r.written - r.revised} new, ${r.revised} revised (old values kept as revisions), ${r.rows - r.written} unchanged`);
    if (r.suspect.flagged) console.log(suspectLines(`batch ${batchId}`, r.suspect));
    return 0;
  } finally {
    await db.close();
  }
}

