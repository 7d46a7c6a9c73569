import type { Response } from 'light-my-request';
import { expect } from 'vitest';

/**
 * The status each coded error of the write routes is meant to answer with (RFC 9457 problem).
 * Until the api-core error handler maps codes to statuses, every coded client error is a 400,
 * which is also accepted; once merged, the intended status alone must be.
 */
const INTENDED: Record<string, number> = {
  REQUEST_INVALID: 400,
  INGEST_REJECTED: 422,
  CSV_HEADER_INVALID: 422,
  VALUE_CONFLICT: 409,
  IDEMPOTENCY_KEY_REUSED: 409,
  AS_OF_INVALID: 400,
  HIERARCHY_MISSING_SERIES: 422,
  HIERARCHY_UNKNOWN_ROOT: 422,
  CHAMPION_OVERLAP: 409,
  VERSION_ALREADY_CHAMPION: 409,
  VERSION_RETIRED: 409,
  VERSION_STATUS_INVALID: 409,
  NO_PREVIOUS_CHAMPION: 409,
  VERSION_NOT_FOUND: 404,
  MODEL_NOT_FOUND: 404,
};

/** The error fields of a problem body: gridcast's code, and the details (issues…) wherever the handler puts them. */
export function expectProblem(res: Response, code: string): Record<string, unknown> {
  const body = res.json() as Record<string, unknown>;
  expect(body.code, res.body).toBe(code);
  expect([INTENDED[code], 400], res.body).toContain(res.statusCode);
  return { ...body, ...((body.details as Record<string, unknown> | undefined) ?? {}) };
}
