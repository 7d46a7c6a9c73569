import { z } from 'zod';
import { GridcastError } from '../core/errors.ts';

/**
 * Cursor paging of lists and long value ranges. A cursor is opaque to clients (base64url JSON):
 * a page answers `nextCursor` when more follows, and the same request with `cursor=` that value
 * returns the next page.
 */
export const MAX_LIMIT = 10_000;
export const DEFAULT_LIMIT = 1_000;

export const pageQuery = (defaultLimit = DEFAULT_LIMIT) =>
  z.object({
    limit: z.coerce.number().int().min(1).max(MAX_LIMIT).default(defaultLimit).describe(`Items per page (at most ${MAX_LIMIT}, default ${defaultLimit}).`),
    cursor: z.string().min(1).optional().describe('The nextCursor of the previous page.'),
  });

export const NextCursor = z.string().nullable().describe('Pass as cursor to get the next page; null on the last page.');

export const encodeCursor = (state: unknown): string => Buffer.from(JSON.stringify(state)).toString('base64url');

/** The state a cursor holds, or CURSOR_INVALID (400) for one this route did not hand out. */
export function decodeCursor<T>(cursor: string, schema: z.ZodType<T>): T {
  let json: unknown;
  try {
    json = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    json = undefined;
  }
  const state = schema.safeParse(json);
  if (!state.success) throw new GridcastError('CURSOR_INVALID', `cursor '${cursor.slice(0, 40)}' is not a cursor this route handed out: pass the nextCursor of the previous page unchanged.`, { cursor });
  return state.data;
}
