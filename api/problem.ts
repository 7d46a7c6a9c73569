import { STATUS_CODES } from 'node:http';
import { z } from 'zod';

/**
 * The HTTP status of every GridcastError code, listed by status so a reader sees at once which
 * codes are the client's to fix (4xx) and which are faults of the server (5xx). A code missing
 * here is answered 500: an unclassified failure is never blamed on the client. api/problem.test.ts
 * fails when a code thrown anywhere in the source is missing, so every new code gets a status.
 *
 * 400 is a request that does not have the expected shape (schema validation, an unparsable time or
 * CSV); 422 is a well-formed request that the data or the stored state cannot satisfy (a topology
 * with a cycle, too little history to fit a model).
 */
const BY_STATUS: Record<number, readonly string[]> = {
  400: [
    'REQUEST_INVALID', 'USAGE', 'UNKNOWN_COMMAND', 'CONFIG_INVALID',
    'CSV_HEADER_INVALID', 'MALFORMED_CSV', 'GZIP_INVALID', 'FILE_NOT_TEXT', 'FILE_IS_DIRECTORY',
    'TS_INVALID', 'TS_NO_OFFSET', 'INVALID_DATE', 'INVALID_HORIZON', 'INVALID_ORIGIN', 'INVALID_ORIGINS', 'INVALID_ORIGIN_STEP',
    'INVALID_PARAMS', 'ONLINE_UNSUPPORTED', 'INVALID_QUANTILE', 'INVALID_REFIT', 'INVALID_TIME_ZONE', 'INVALID_CALENDAR', 'TIME_ZONE_INVALID',
    'INPUT_HISTORY_INVALID', 'INPUT_HORIZON_INVALID', 'INPUT_ORIGIN_INVALID', 'INPUT_SCENARIO_INVALID',
    'QUERY_RANGE_INVALID', 'RUN_AS_OF_INVALID', 'RUN_HORIZON_INVALID', 'TRAIN_END_INVALID', 'BACKTEST_ORIGIN_OFF_GRID',
    'APIKEY_NAME_INVALID', 'APIKEY_ROLE_UNKNOWN', 'TOPOLOGY_SYNTAX', 'MODEL_NAME_INVALID', 'GRAIN_FINER_THAN_INTERVAL', 'ACTOR_REQUIRED', 'REASON_REQUIRED', 'UNKNOWN_COUNTRY', 'RECONCILE_UNKNOWN_METHOD',
    'CURSOR_INVALID', 'AS_OF_INVALID', 'EFFECTS_SERIES_REQUIRED',
  ],
  401: ['UNAUTHENTICATED'],
  403: ['FORBIDDEN', 'SIGNOFF_BY_PROPOSER'],
  404: [
    'ROUTE_NOT_FOUND', 'APIKEY_NOT_FOUND', 'BATCH_NOT_FOUND', 'FILE_NOT_FOUND', 'MODEL_NOT_FOUND', 'RUN_NOT_FOUND', 'RUN_SERIES_NOT_FOUND', 'PROPOSAL_NOT_FOUND',
    'SERIES_NOT_FOUND', 'VERSION_NOT_FOUND', 'WEATHER_VARIABLE_UNKNOWN', 'UNKNOWN_SERIES', 'UNKNOWN_STATION', 'TOPOLOGY_UNKNOWN_NODE', 'HIERARCHY_UNKNOWN_ROOT', 'JOB_UNKNOWN', 'EVENT_NOT_FOUND', 'VERSION_SERIES_NOT_FOUND',
  ],
  409: [
    'VALUE_CONFLICT', 'CHAMPION_OVERLAP', 'APIKEY_NAME_TAKEN', 'VERSION_ALREADY_CHAMPION', 'VERSION_RETIRED', 'VERSION_STATUS_INVALID',
    'BATCH_NOT_QUARANTINED', 'PROMOTION_REFUSED', 'MODEL_FAMILY_MISMATCH', 'FILE_CHANGED', 'RUN_NOT_REPRODUCIBLE',
    'NO_PREVIOUS_CHAMPION', 'IDEMPOTENCY_KEY_REUSED', 'TRANSFER_VERSION_CONFLICT', 'PROPOSAL_DECIDED', 'PROMOTION_SIGNOFF_REQUIRED', 'NO_CHAMPION', 'EFFECTS_REFIT_REQUIRED',
    'SCHEDULE_CONFLICT',
  ],
  408: ['REQUEST_TIMEOUT'],
  413: ['BODY_TOO_LARGE'],
  414: ['PATH_PARAM_TOO_LONG'],
  415: ['UNSUPPORTED_MEDIA_TYPE'],
  422: [
    'TOPOLOGY_INVALID', 'TOPOLOGY_CYCLE', 'TOPOLOGY_DUPLICATE_NODE', 'TOPOLOGY_UNKNOWN_PARENT', 'TOPOLOGY_UNKNOWN_WEATHER_STATION',
    'TOPOLOGY_TIME_ZONE', 'TOPOLOGY_UNKNOWN_REFERENCE', 'TOPOLOGY_UNIT_KIND', 'TOPOLOGY_RESERVED_ID', 'TOPOLOGY_KIND_MISMATCH',
    'TOPOLOGY_UNIT_MISMATCH', 'TOPOLOGY_FLOW_ENDS', 'TOPOLOGY_SHARING_INVALID', 'NOT_A_WEATHER_STATION', 'HIERARCHY_MISSING_SERIES',
    'DUPLICATE_TIMESTAMP', 'IRREGULAR_TIMESTAMPS', 'ROLLUP_UNIT_MISMATCH', 'UNSUPPORTED_STEP', 'STEP_MISMATCH', 'TEMPORAL_STEP', 'TEMPORAL_ZONE',
    'RUN_TIME_ZONE', 'UNKNOWN_MODEL', 'NOT_SUPPORTED', 'NO_SERIES', 'NO_ERRORS', 'TOO_FEW_DATA', 'TOO_FEW_KNOTS', 'TOO_FEW_UNIQUE_VALUES',
    'KNOTS_NOT_INCREASING', 'GAM_DATA_LENGTH', 'GAM_EMPTY_SMOOTH', 'GAM_FORMULA', 'GAM_MISSING_VARIABLE', 'GAM_NONPOSITIVE_LOAD', 'GAM_NO_DATA',
    'GAM_TOO_FEW_ROWS', 'AR_NO_DATA', 'AUTO_NO_MODEL', 'TRAIN_NO_DATA', 'HISTORY_MISSING', 'HISTORY_TOO_SHORT', 'MISSING_COVARIATE',
    'COVARIATE_LENGTH', 'COVARIATE_MISSING_VALUES', 'WEATHER_MISSING', 'WEATHER_HISTORY_MISSING', 'WEATHER_SCENARIOS_MISSING',
    'WEATHER_FORECAST_MISSING', 'DISAGGREGATION_NO_PV', 'DISAGGREGATION_NO_STATION', 'DISAGGREGATION_UNIT', 'SHARE_UNDEFINED',
    'BALANCE_INCOMPLETE', 'CALIBRATION_LENGTH', 'LSTM_HORIZON', 'RECONCILE_NEEDS_HISTORY', 'RECONCILE_NEEDS_RESIDUALS',
    'HIERARCHY_ROOT_AMBIGUOUS', 'TRAIN_SERIES_REQUIRED', 'BACKTEST_TOO_FEW_DATA', 'RUN_NO_DATA', 'INGEST_REJECTED', 'TRANSFER_REJECTED', 'DISAGGREGATION_NO_IRRADIANCE', 'EVENT_NOT_ACKNOWLEDGEABLE', 'MODEL_NO_PARTIAL_EFFECTS',
    'SCHEDULE_REJECTED',
  ],
  429: ['RATE_LIMITED'],
  431: ['HEADERS_TOO_LARGE'],
  500: [
    'INTERNAL', 'GAM_REFIT_SHORTER', 'ONLINE_TERMS', 'KALMAN_DIMENSIONS', 'KALMAN_GRID', 'ADMIN_KEY_UNWRITABLE', 'WORKER_FAILED', 'ARTIFACT_CORRUPT', 'ARTIFACT_FORMAT', 'ARTIFACT_STATE', 'ARTIFACT_VERSION', 'ARTIFACT_MISSING',
    'ARTIFACT_UNREADABLE', 'FEATURE_STATE', 'RUN_SETTINGS_INVALID', 'MIGRATION_CONFLICT', 'WRITE_FAILED', 'FILE_UNREADABLE', 'LSTM_BACKEND',
    'LSTM_DIVERGED', 'FORECAST_NOT_FINITE', 'RUN_NOT_FINITE', 'SINGULAR_MATRIX', 'DEGENERATE_CONSTRAINT', 'RECONCILE_SINGULAR',
    'RECONCILE_NONFINITE_BASE', 'RECONCILE_SHAPE', 'RECONCILE_BAD_QUANTILE', 'RECONCILE_MISSING_BASE', 'HIERARCHY_SHAPE', 'BALANCE_SHAPE',
    'BACKTEST_FAILED', 'BACKTEST_FORECAST_SHAPE', 'CONDITION_MISMATCH', 'ORIGIN_MISMATCH', 'JOB_DUPLICATE', 'SIMULATOR_STEP',
    'SIMULATOR_TOPOLOGY', 'ENSEMBLE_SHAPE', 'ENSEMBLE_CONDITION', 'PORT_IN_USE', 'PORT_NOT_PERMITTED', 'HOST_NOT_AVAILABLE', 'REPLAY_SCHEMA_INVALID', 'REPLAY_SCOPE_UNAVAILABLE',
    'QUEUE_NEEDS_POSTGRES', 'JOB_FAILED',
  ],
  503: ['STORE_OPEN_FAILED', 'DB_UNREACHABLE', 'DB_CONNECTION_LOST', 'MQTT_UNREACHABLE', 'STORE_LOCKED', 'WORKER_TIMEOUT', 'SHADOW_TIMEOUT', 'WORKER_ABORTED', 'RUN_ABORTED', 'BACKFILL_ABORTED', 'JOB_TIMEOUT'],
};

const STATUS_OF = new Map<string, number>();
for (const [status, codes] of Object.entries(BY_STATUS)) {
  for (const code of codes) {
    if (STATUS_OF.has(code)) throw new Error(`problem code ${code} is listed under two statuses`);
    STATUS_OF.set(code, Number(status));
  }
}

/** Every code with its status, sorted by code (the /docs list and the OpenAPI description). */
export const problemCodes = (): Array<{ code: string; status: number }> =>
  [...STATUS_OF].map(([code, status]) => ({ code, status })).sort((a, b) => (a.code < b.code ? -1 : 1));

export const hasExplicitStatus = (code: string): boolean => STATUS_OF.has(code);

/** The status a code is answered with; unclassified codes are server faults. */
export const statusOf = (code: string): number => STATUS_OF.get(code) ?? 500;

/**
 * The problem `type` of a code: a URI reference relative to the server, stable per code, pointing
 * at the code's entry on the docs page (RFC 9457 resolves it against the request URI).
 */
export const problemType = (code: string): string => `/docs#problem-${code}`;

export const titleOf = (status: number): string => STATUS_CODES[status] ?? 'Error';

/** An RFC 9457 problem details body as gridcast sends it (content type application/problem+json). */
export const Problem = z
  .object({
    type: z.string().describe('Stable URI reference per code: /docs#problem-CODE'),
    title: z.string().describe('The HTTP reason phrase of the status'),
    status: z.number().int(),
    detail: z.string().describe('What went wrong and what to do about it'),
    code: z.string().describe("gridcast's error code"),
    instance: z.string().describe('The request path'),
    details: z.record(z.string(), z.unknown()).optional().describe('Machine-readable context of a client error; never sent for 5xx'),
  })
  .meta({ id: 'Problem' });
export type Problem = z.infer<typeof Problem>;

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

/** The body of a problem: `details` only for client errors, whose context is the client's own input. */
export function problem(code: string, detail: string, instance: string, details?: Record<string, unknown>): Problem {
  const status = statusOf(code);
  const body: Problem = { type: problemType(code), title: titleOf(status), status, detail, code, instance };
  if (status < 500 && details && Object.keys(details).length > 0) body.details = details;
  return body;
}
