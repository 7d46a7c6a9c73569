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
