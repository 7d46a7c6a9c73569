import type { Response } from 'light-my-request';
import { expect } from 'vitest';
import { PROBLEM_CONTENT_TYPE, statusOf } from '../api/problem.ts';

/** Checks a problem+json answer with gridcast's `code` and its status; returns its fields with the details (issues…) merged in. */
export function expectProblem(res: Response, code: string): Record<string, unknown> {
  const body = res.json() as Record<string, unknown>;
  expect(body.code, res.body).toBe(code);
  expect(res.statusCode, res.body).toBe(statusOf(code));
  expect(String(res.headers['content-type'])).toContain(PROBLEM_CONTENT_TYPE);
  return { ...body, ...((body.details as Record<string, unknown> | undefined) ?? {}) };
}
