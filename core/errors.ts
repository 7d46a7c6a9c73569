/**
 * Every failure a user can act on carries a stable code (for scripts and the API)
 * and a message that says what to fix. `details` holds machine-readable context
 * (file, line, series id, ...).
 */
export class GridcastError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = 'GridcastError';
  }
}

export const isGridcastError = (e: unknown): e is GridcastError => e instanceof GridcastError;

/**
 * The store's connection was lost or refused (PostgreSQL restarting, a network cut): nothing of
 * the transaction under way was committed (unless `details.atCommit`), and the same work can be
 * tried again once the server is back. store/db.ts turns every such driver error into this code.
 */
export const isConnectionLost = (e: unknown): e is GridcastError => isGridcastError(e) && e.code === 'DB_CONNECTION_LOST';
