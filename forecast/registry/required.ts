import { GridcastError } from '../../core/errors.ts';

/** The trimmed value; `code` when it is missing or blank (who acts and why are never optional in the registry). */
export function required(value: string | undefined, code: string, what: string): string {
  if (!value?.trim()) throw new GridcastError(code, `${what} is required`);
  return value.trim();
}
