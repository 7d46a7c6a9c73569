/**
 * Codes of what can be wrong with a line (or a whole batch) of an input file. Stable: scripts
 * and tests match on them; the message next to each says what to fix.
 */
export type IssueCode =
  | 'CSV_HEADER_INVALID'
  | 'CSV_MALFORMED'
  | 'CSV_COLUMN_COUNT'
  | 'CSV_LINE_TOO_LONG'
  | 'UNKNOWN_SERIES'
  | 'NOT_A_WEATHER_STATION'
  | 'UNIT_MISMATCH'
  | 'VALUE_EMPTY'
  | 'VALUE_NOT_FINITE'
  | 'VALUE_INVALID'
  | 'OUT_OF_RANGE'
  | 'TS_NO_OFFSET'
  | 'TS_INVALID'
  | 'QUALITY_INVALID'
  | 'STATUS_INVALID'
  | 'INTERVAL_INVALID'
  | 'VARIABLE_INVALID'
  | 'DUPLICATE_ROW'
  | 'LEVEL_JUMP';

export interface Issue {
  /** 1-based line of the file (the header is line 1); 0 when the issue is about the whole file. */
  line: number;
  code: IssueCode;
  message: string;
}

/** `file:line: CODE message`, one per issue: the format editors and CI logs link to. */
export const formatIssues = (file: string, issues: Issue[]): string =>
  issues.map((i) => `${file}:${i.line}: ${i.code} ${i.message}`).join('\n');

/** Enough issues to fix a file in one go without flooding the terminal on a wholly wrong file. */
export const MAX_ISSUES = 100;
