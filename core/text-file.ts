import { closeSync, openSync, readSync, statSync } from 'node:fs';
import { constants, gunzipSync } from 'node:zlib';
import { GridcastError } from './errors.ts';

/** Bytes of text looked at: a binary file shows itself at once, and a text file costs one small read. */
const PROBE_BYTES = 1024;
/** Compressed bytes read to get PROBE_BYTES of a gzip file's text. */
const GZIP_PROBE_BYTES = 64 * 1024;

const isGzip = (b: Buffer) => b.length >= 2 && b[0] === 0x1f && b[1] === 0x8b;

/**
 * Checks that `file` is a readable regular file whose first KiB is UTF-8 text (of the
 * decompressed data for a gzip file) before anything parses it, so a directory or a binary file
 * (an image, a spreadsheet, a UTF-16 export) gets a coded error instead of a parser's complaint
 * quoting its bytes: FILE_NOT_FOUND, FILE_UNREADABLE, FILE_IS_DIRECTORY
 * and FILE_NOT_TEXT. A corrupt gzip stream is left to the reader, which reports GZIP_INVALID.
 * `what` names the file in the messages ("topology file", "CSV file"); `gzip: false` refuses a
 * gzip file (for readers that take plain text only).
 */
export function checkTextFile(file: string, what = 'file', opts: { gzip?: boolean } = {}): void {
  const gzipOk = opts.gzip ?? true;
  let fd: number;
  try {
    const st = statSync(file);
    if (st.isDirectory()) throw new GridcastError('FILE_IS_DIRECTORY', `${file} is a directory: give the path of a ${what}`, { file });
    // A pipe (`<(zcat f)`) or a device is left to the reader: probing would consume what it reads.
    if (!st.isFile()) return;
    fd = openSync(file, 'r');
  } catch (e) {
    if (e instanceof GridcastError) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new GridcastError('FILE_NOT_FOUND', `${file}: no such ${what}`, { file });
    throw new GridcastError('FILE_UNREADABLE', `cannot read the ${what} ${file}: ${(e as Error).message}`, { file });
  }
  let head: Buffer;
  try {
    const buf = Buffer.alloc(GZIP_PROBE_BYTES);
    head = buf.subarray(0, readSync(fd, buf, 0, buf.length, 0));
  } finally {
    closeSync(fd);
  }
  const gzip = isGzip(head);
  if (gzip && !gzipOk) throw new GridcastError('FILE_NOT_TEXT', `${file} is gzip-compressed: a ${what} is read as plain UTF-8 text; decompress it first`, { file });
  if (gzip) {
    try {
      // A sync flush decompresses what the first bytes hold, without needing the end of the stream.
      head = gunzipSync(head, { finishFlush: constants.Z_SYNC_FLUSH });
    } catch {
      return;
    }
  }
  const probe = head.subarray(0, PROBE_BYTES);
  const nul = probe.indexOf(0);
  if (nul >= 0) {
    throw new GridcastError('FILE_NOT_TEXT', `${file} is not a text file (a NUL byte at offset ${nul}${gzip ? ' of its decompressed data' : ''}): a ${what} is UTF-8 text${gzipOk ? ', plain or gzip' : ''}`, { file, offset: nul });
  }
  try {
    // stream: true, so a character cut at the end of the probe is not an error.
    new TextDecoder('utf-8', { fatal: true }).decode(probe, { stream: true });
  } catch {
    throw new GridcastError('FILE_NOT_TEXT', `${file} is not UTF-8 text (invalid bytes in its first ${PROBE_BYTES} bytes${gzip ? ' of decompressed data' : ''}): a ${what} is UTF-8 text${gzipOk ? ', plain or gzip' : ''}; convert it (e.g. from Latin-1 or UTF-16) first`, { file });
  }
}
