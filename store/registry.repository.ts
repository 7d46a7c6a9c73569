import { createHash } from 'node:crypto';
import { gunzipSync, gzipSync } from 'node:zlib';
import { GridcastError } from '../core/errors.ts';
import type { ForecasterSpec, ModelArtifact } from '../core/types.ts';
import type { WeatherInput } from '../core/topology/weather.ts';
import type { ModelRecord, ModelVersion, NewVersion, RecordedChange, RegistryQueries, RegistryRepository, RegistryTransaction, VersionStatus } from '../core/registry.ts';
import { appendAudit, listAudit, replacedChampionId } from './audit.repository.ts';
import type { Db, Queryable } from './db.ts';

interface DbRow {
  id: string;
  model: string;
  version: number;
  kind: string;
  spec: ForecasterSpec;
  features: string[];
  series_ids: string[];
  train_start: Date;
  train_end: Date;
  data_hash: string;
  code_version: string;
  metrics: Record<string, unknown> | null;
  weather: Record<string, WeatherInput | null>;
  warnings: string[];
  has_companion: boolean;
  status: VersionStatus;
  status_at: Date;
  created_at: Date;
  created_by: string;
}

const COLUMN_NAMES = ['id', 'model', 'version', 'kind', 'spec', 'features', 'series_ids', 'train_start', 'train_end', 'data_hash', 'code_version',
  'metrics', 'weather', 'warnings', 'status', 'status_at', 'created_at', 'created_by'];
// Every column but the artifacts, which only loadArtifact reads.
const COLUMNS = [...COLUMN_NAMES, '(companion_sha256 IS NOT NULL) AS has_companion'].join(', ');

const fromDb = (r: DbRow): ModelVersion => ({
  id: r.id,
  model: r.model,
  version: r.version,
  kind: r.kind,
  spec: r.spec,
  features: r.features,
  seriesIds: r.series_ids,
  trainStart: r.train_start,
  trainEnd: r.train_end,
  dataHash: r.data_hash,
  codeVersion: r.code_version,
  metrics: r.metrics,
  weather: r.weather ?? {},
  warnings: r.warnings ?? [],
  hasCompanion: r.has_companion,
  status: r.status,
  statusAt: r.status_at,
  createdAt: r.created_at,
  createdBy: r.created_by,
});

const MODEL_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;

/** Creates the logical model if it does not exist; an existing one must be of the same family. */
export async function createModel(q: Queryable, m: { name: string; family: string; description?: string }): Promise<ModelRecord> {
  if (!MODEL_NAME.test(m.name)) {
    throw new GridcastError('MODEL_NAME_INVALID', `model name '${m.name}' must start with a letter or digit and hold only letters, digits, '.', '_' and '-'`, { name: m.name });
  }
  await q.query('INSERT INTO models (name, family, description) VALUES ($1, $2, $3) ON CONFLICT (name) DO NOTHING', [m.name, m.family, m.description ?? null]);
  const model = (await getModel(q, m.name))!;
  if (model.family !== m.family) {
    throw new GridcastError('MODEL_FAMILY_MISMATCH', `model '${m.name}' belongs to the family '${model.family}', not '${m.family}'; use another model name`, { name: m.name, family: model.family });
  }
  return model;
}

export async function getModel(q: Queryable, name: string): Promise<ModelRecord | null> {
  const { rows } = await q.query<{ name: string; family: string; description: string | null; created_at: Date }>(
    'SELECT name, family, description, created_at FROM models WHERE name = $1',
    [name],
  );
  return rows[0] ? { name: rows[0].name, family: rows[0].family, description: rows[0].description, createdAt: rows[0].created_at } : null;
}

/** Every model, by name. */
export async function listModels(q: Queryable): Promise<ModelRecord[]> {
  const { rows } = await q.query<{ name: string; family: string; description: string | null; created_at: Date }>(
    'SELECT name, family, description, created_at FROM models ORDER BY name',
  );
  return rows.map((r) => ({ name: r.name, family: r.family, description: r.description, createdAt: r.created_at }));
}

/** Locks a model's row until the end of the transaction (status changes of one model are serialised on it); false when there is no such model. */
export async function lockModel(q: Queryable, name: string): Promise<boolean> {
  return (await q.query('SELECT 1 FROM models WHERE name = $1 FOR UPDATE', [name])).rows.length > 0;
}

/** The artifact as stored: gzip of its JSON, and the sha256 of that JSON checked on load. */
function packArtifact(a: ModelArtifact): { bytes: Buffer; sha256: string } {
  const json = JSON.stringify(a);
  return { bytes: gzipSync(json), sha256: createHash('sha256').update(json).digest('hex') };
}

/**
 * Registers a version as 'candidate' under the next number of its model (the number is taken by
 * the same statement that inserts, so concurrent registrations never collide).
 */
export async function insertVersion(q: Queryable, v: NewVersion): Promise<ModelVersion> {
  const { bytes, sha256 } = packArtifact(v.artifact);
  const companion = v.companion ? packArtifact(v.companion) : null;
  const { rows } = await q.query<DbRow>(
    `WITH n AS (UPDATE models SET last_version = last_version + 1 WHERE name = $1 RETURNING last_version AS v)
     INSERT INTO model_versions (id, model, version, kind, spec, features, series_ids, train_start, train_end, data_hash,
       code_version, artifact, artifact_sha256, metrics, created_by, weather, warnings, companion_artifact, companion_sha256)
     SELECT $1 || '@' || n.v::text, $1, n.v, $2, $3::jsonb, $4::jsonb, $5::text[], $6, $7, $8, $9, $10::bytea, $11, $12::jsonb, $13,
       $14::jsonb, $15::jsonb, $16::bytea, $17 FROM n
     RETURNING ${COLUMNS}`,
    [
      v.model,
      v.kind,
      JSON.stringify(v.spec),
      JSON.stringify(v.features),
      v.seriesIds,
      v.trainStart,
      v.trainEnd,
      v.dataHash,
      v.codeVersion,
      bytes,
      sha256,
      v.metrics === null ? null : JSON.stringify(v.metrics),
      v.createdBy,
      JSON.stringify(v.weather),
      JSON.stringify(v.warnings),
      companion?.bytes ?? null,
      companion?.sha256 ?? null,
    ],
  );
  if (rows.length === 0) throw new GridcastError('MODEL_NOT_FOUND', `no model '${v.model}': create it before registering a version`, { model: v.model });
  return fromDb(rows[0]);
}

export async function getVersion(q: Queryable, id: string): Promise<ModelVersion | null> {
  const { rows } = await q.query<DbRow>(`SELECT ${COLUMNS} FROM model_versions WHERE id = $1`, [id]);
  return rows[0] ? fromDb(rows[0]) : null;
}

/** The stored artifact, checked against its sha256 (ARTIFACT_CORRUPT when it does not match). */
export async function loadArtifact(q: Queryable, id: string): Promise<ModelArtifact> {
  const { rows } = await q.query<{ artifact: Uint8Array; artifact_sha256: string }>('SELECT artifact, artifact_sha256 FROM model_versions WHERE id = $1', [id]);
  if (!rows[0]) throw new GridcastError('VERSION_NOT_FOUND', `no model version '${id}' (see 'gridcast models list')`, { id });
  return unpackArtifact(id, 'artifact', rows[0].artifact, rows[0].artifact_sha256);
}

/** The version's weather-free companion, checked like the artifact; null when it has none. */
export async function loadCompanionArtifact(q: Queryable, id: string): Promise<ModelArtifact | null> {
  const { rows } = await q.query<{ artifact: Uint8Array | null; sha256: string | null }>('SELECT companion_artifact AS artifact, companion_sha256 AS sha256 FROM model_versions WHERE id = $1', [id]);
  if (!rows[0]) throw new GridcastError('VERSION_NOT_FOUND', `no model version '${id}' (see 'gridcast models list')`, { id });
  return rows[0].artifact && rows[0].sha256 ? unpackArtifact(id, 'weather-free companion', rows[0].artifact, rows[0].sha256) : null;
}

function unpackArtifact(id: string, what: string, bytes: Uint8Array, sha256: string): ModelArtifact {
  let json: string;
  try {
    json = gunzipSync(bytes).toString('utf8');
  } catch (e) {
    throw new GridcastError('ARTIFACT_CORRUPT', `the ${what} of ${id} cannot be decompressed (${(e as Error).message}); retrain the model`, { id });
  }
  if (createHash('sha256').update(json).digest('hex') !== sha256) {
    throw new GridcastError('ARTIFACT_CORRUPT', `the ${what} of ${id} does not match its sha256; retrain the model`, { id });
  }
  return JSON.parse(json) as ModelArtifact;
}

/** Versions newest first, optionally of one model and/or status. */
export async function listVersions(q: Queryable, filter: { model?: string; status?: VersionStatus } = {}): Promise<ModelVersion[]> {
  const { rows } = await q.query<DbRow>(
    `SELECT ${COLUMNS} FROM model_versions WHERE ($1::text IS NULL OR model = $1) AND ($2::text IS NULL OR status = $2)
     ORDER BY created_at DESC, model, version DESC`,
    [filter.model ?? null, filter.status ?? null],
  );
  return rows.map(fromDb);
}

/** The champion of a model, or null. `forUpdate` locks it (inside a transaction). */
export async function championOf(q: Queryable, model: string, forUpdate = false): Promise<ModelVersion | null> {
  const { rows } = await q.query<DbRow>(`SELECT ${COLUMNS} FROM model_versions WHERE model = $1 AND status = 'champion' ${forUpdate ? 'FOR UPDATE' : ''}`, [model]);
  return rows[0] ? fromDb(rows[0]) : null;
}

/** Champions of models other than `model` that cover any of `seriesIds`, with the series they share. */
export async function overlappingChampions(q: Queryable, model: string, seriesIds: string[]): Promise<Array<{ id: string; series: string[] }>> {
  const { rows } = await q.query<{ id: string; series: string[] }>(
    `SELECT v.id, array_agg(s.sid ORDER BY s.sid) AS series
     FROM model_versions v CROSS JOIN LATERAL unnest(v.series_ids) AS s(sid)
     WHERE v.status = 'champion' AND v.model <> $1 AND s.sid = ANY($2::text[])
     GROUP BY v.id ORDER BY v.id`,
    [model, seriesIds],
  );
  return rows;
}

/**
 * The champion version covering each series (series without one are absent). A series'
 * champion is the champion of a model whose series_ids hold it. Models overlap (one for a
 * region, one for the whole grid) only when a promotion said so explicitly (--replace-overlap):
 * the most recently promoted champion wins, since that was the latest decision of a person;
 * ties go to the highest id.
 */
export async function championsFor(q: Queryable, seriesIds: string[]): Promise<Map<string, ModelVersion>> {
  const { rows } = await q.query<DbRow & { sid: string }>(
    `SELECT DISTINCT ON (s.sid) s.sid, ${COLUMN_NAMES.map((c) => `v.${c}`).join(', ')}, (v.companion_sha256 IS NOT NULL) AS has_companion
     FROM model_versions v CROSS JOIN LATERAL unnest(v.series_ids) AS s(sid)
     WHERE v.status = 'champion' AND v.series_ids && $1::text[] AND s.sid = ANY($1::text[])
     ORDER BY s.sid, v.status_at DESC, v.id DESC`,
    [seriesIds],
  );
  return new Map(rows.map((r) => [r.sid, fromDb(r)]));
}

/** Versions in shadow (D5) covering any of the series, oldest status change first. */
export async function shadowsFor(q: Queryable, seriesIds: string[]): Promise<ModelVersion[]> {
  const { rows } = await q.query<DbRow>(
    `SELECT ${COLUMN_NAMES.map((c) => `v.${c}`).join(', ')}, (v.companion_sha256 IS NOT NULL) AS has_companion
     FROM model_versions v WHERE v.status = 'shadow' AND v.series_ids && $1::text[] ORDER BY v.status_at, v.id`,
    [seriesIds],
  );
  return rows.map(fromDb);
}

/**
 * championsFor as the registry stood at `at`, read from the audit log (every status change is
 * audited with its time): a version is champion at `at` when its last status change at or before
 * `at` made it one. What a replay's runs use, so a past period is forecast by the champions of the day.
 */
export async function championsAsOf(q: Queryable, seriesIds: string[], at: Date): Promise<Map<string, ModelVersion>> {
  const { rows } = await q.query<DbRow & { sid: string }>(
    `WITH last_change AS (
       SELECT DISTINCT ON (entity_id) entity_id, to_status, at FROM audit_log
       WHERE entity = 'model_version' AND to_status IS NOT NULL AND at <= $2
       ORDER BY entity_id, at DESC, id DESC)
     SELECT DISTINCT ON (s.sid) s.sid, ${COLUMN_NAMES.map((c) => `v.${c}`).join(', ')}, (v.companion_sha256 IS NOT NULL) AS has_companion
     FROM last_change c JOIN model_versions v ON v.id = c.entity_id
     CROSS JOIN LATERAL unnest(v.series_ids) AS s(sid)
     WHERE c.to_status = 'champion' AND v.series_ids && $1::text[] AND s.sid = ANY($1::text[])
     ORDER BY s.sid, c.at DESC, v.id DESC`,
    [seriesIds, at],
  );
  return new Map(rows.map((r) => [r.sid, fromDb(r)]));
}

/**
 * The versions that were champions at `at`, from the audit log as championsAsOf reads it, newest
 * first like listVersions: what a replayed review looks at.
 */
export async function championVersionsAsOf(q: Queryable, at: Date): Promise<ModelVersion[]> {
  const { rows } = await q.query<DbRow>(
    `WITH last_change AS (
       SELECT DISTINCT ON (entity_id) entity_id, to_status FROM audit_log
       WHERE entity = 'model_version' AND to_status IS NOT NULL AND at <= $1
       ORDER BY entity_id, at DESC, id DESC)
     SELECT ${COLUMN_NAMES.map((c) => `v.${c}`).join(', ')}, (v.companion_sha256 IS NOT NULL) AS has_companion
     FROM last_change c JOIN model_versions v ON v.id = c.entity_id
     WHERE c.to_status = 'champion'
     ORDER BY v.created_at DESC, v.model, v.version DESC`,
    [at],
  );
  return rows.map(fromDb);
}

/**
 * Sets the status of a version and appends the audit row (who, why, from → to) with it: call it
 * inside a transaction. Transition rules are the registry service's; this only records.
 */
export async function setStatus(tx: Queryable, id: string, to: VersionStatus, by: RecordedChange): Promise<ModelVersion> {
  const { rows: before } = await tx.query<{ status: VersionStatus }>('SELECT status FROM model_versions WHERE id = $1 FOR UPDATE', [id]);
  if (!before[0]) throw new GridcastError('VERSION_NOT_FOUND', `no model version '${id}' (see 'gridcast models list')`, { id });
  const { rows } = await tx.query<DbRow>(`UPDATE model_versions SET status = $2, status_at = now() WHERE id = $1 RETURNING ${COLUMNS}`, [id, to]);
  await appendAudit(tx, {
    actor: by.actor,
    action: by.action ?? to,
    entity: 'model_version',
    entityId: id,
    fromStatus: before[0].status,
    toStatus: to,
    reason: by.reason,
    details: by.details ?? {},
  });
  return fromDb(rows[0]);
}

const queries = (q: Queryable, inTransaction: boolean): RegistryQueries => ({
  models: () => listModels(q),
  model: (name) => getModel(q, name),
  versions: (filter) => listVersions(q, filter),
  version: (id) => getVersion(q, id),
  champion: (model) => championOf(q, model, inTransaction),
  replacedChampion: (id) => replacedChampionId(q, id),
  audit: (filter) => listAudit(q, filter),
});

/**
 * The registry on either backend. A unit of work is one database transaction: lockModel takes
 * the model's row lock (SELECT … FOR UPDATE) and the champion read inside it locks the champion
 * row, so concurrent status changes of one model queue up behind each other.
 */
export function registryRepository(db: Db): RegistryRepository {
  return {
    ...queries(db, false),
    transaction: (fn) =>
      db.transaction((tx) => {
        const unit: RegistryTransaction = {
          ...queries(tx, true),
          lockModel: (name) => lockModel(tx, name),
          createModel: (m) => createModel(tx, m),
          insertVersion: (v) => insertVersion(tx, v),
          overlappingChampions: (model, seriesIds) => overlappingChampions(tx, model, seriesIds),
          setStatus: (id, to, change) => setStatus(tx, id, to, change),
          appendAudit: (e) => appendAudit(tx, e),
        };
        return fn(unit);
      }),
  };
}
