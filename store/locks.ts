/**
 * Every PostgreSQL advisory lock gridcast takes, in one place so that no two uses can share a key.
 *
 * Advisory locks live in one key space per database: a lock taken for one purpose blocks any
 * other purpose that happens to use the same key. The two-key form (namespace, key) keeps each
 * purpose in its own namespace; the one-key (bigint) form is a separate key space in PostgreSQL
 * and is used only for the migration lock. Add a new purpose here, with a value not used above.
 */
export const ADVISORY_LOCK = {
  /** One-key form: serialises migrations of instances starting together. */
  migration: 7_351_001,
  /** Namespace of aggregate refreshes, keyed by hashtext(series id). */
  aggregates: 7_351_002,
  /** Namespace of scheduled job runs (one runner per job), keyed by a hash of the job name. */
  jobs: 7_351_003,
} as const;

