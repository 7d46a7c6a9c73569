import { mkdirSync, readdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { isGridcastError } from '../../core/errors.ts';
import { ingestSchedules, scheduleCsvBatch, type ScheduleIngestPorts } from './schedules.service.ts';

export interface WatchedFileOutcome {
  file: string;
  status: 'committed' | 'already-ingested' | 'rejected';
  batchId?: number;
  written?: number;
  /** Rejected: the error's code and message (also written beside the file as FILE.error.txt). */
  code?: string;
  message?: string;
}

/** A file younger than this may still be being written (writers should write elsewhere and rename in). */
const SETTLE_MS = 2000;

/**
 * One pass over a watched folder: each settled `*.csv` file is one schedule batch. A stored or
 * already-stored file moves to `done/`; a rejected one (nothing written) to `rejected/`, with its
 * error beside it as FILE.error.txt so the sender sees why. A server fault (the store unreachable)
 * leaves the file in place for the next pass and fails the pass.
 */
export async function ingestWatchedSchedules(ports: ScheduleIngestPorts, dir: string, now: Date): Promise<WatchedFileOutcome[]> {
  const out: WatchedFileOutcome[] = [];
  const files = readdirSync(dir, { withFileTypes: true })
    .filter((e) => e.isFile() && !e.name.startsWith('.') && e.name.toLowerCase().endsWith('.csv'))
    .map((e) => e.name)
    .sort();
  for (const name of files) {
    const path = join(dir, name);
    if (now.getTime() - statSync(path).mtimeMs < SETTLE_MS) continue;
    const move = (to: 'done' | 'rejected') => {
      mkdirSync(join(dir, to), { recursive: true });
      renameSync(path, join(dir, to, name));
    };
    try {
      const r = await ingestSchedules(ports, scheduleCsvBatch(name, readFileSync(path), 'watch'));
      move('done');
      out.push(r.status === 'committed' ? { file: name, status: 'committed', batchId: r.batchId, written: r.written } : { file: name, status: 'already-ingested', batchId: r.batchId });
    } catch (e) {
      if (!isGridcastError(e) || !CLIENT_FAULTS.has(e.code)) throw e;
      move('rejected');
      writeFileSync(join(dir, 'rejected', `${name}.error.txt`), `${e.code}: ${e.message}\n${JSON.stringify(e.details, null, 2)}\n`);
      out.push({ file: name, status: 'rejected', code: e.code, message: e.message });
    }
  }
  return out;
}

/** Faults of the file itself: it is set aside; anything else is retried. */
const CLIENT_FAULTS = new Set(['SCHEDULE_REJECTED', 'SCHEDULE_CONFLICT', 'CSV_HEADER_INVALID', 'MALFORMED_CSV']);
