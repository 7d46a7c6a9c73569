import { GridcastError } from '../../core/errors.ts';
import type { AuditEntry } from '../../core/audit.ts';
import type { ModelRecord, ModelVersion, NewVersion, RegistryQueries, RegistryRepository, RegistryTransaction } from '../../core/registry.ts';

interface State {
  models: Map<string, ModelRecord & { lastVersion: number }>;
  versions: Map<string, ModelVersion>;
  audit: AuditEntry[];
}

const MODEL_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;
const byText = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
const copy = <T>(x: T): T => structuredClone(x);

/**
 * The registry in memory, with the real repository's rules: version numbers per model, one
 * champion per model, every status change audited from → to, an append-only audit log, and
 * transactions that commit whole or not at all. Transactions run one at a time (the real one
 * serialises only those of one model, on its row lock) on a copy that replaces the state when
 * they resolve, so reads outside see only committed changes. `now` stamps statusAt and audit times.
 */
export function fakeRegistry({ now = () => new Date() }: { now?: () => Date } = {}): RegistryRepository {
  let committed: State = { models: new Map(), versions: new Map(), audit: [] };
  let queue: Promise<unknown> = Promise.resolve();

  const queries = (s: () => State): RegistryQueries => ({
    async models() {
      return copy([...s().models.values()].map(({ lastVersion: _, ...m }) => m).sort((a, b) => byText(a.name, b.name)));
    },
    async model(name) {
      const m = s().models.get(name);
      if (!m) return null;
      const { lastVersion: _, ...record } = m;
      return copy(record);
    },
    async versions(filter = {}) {
      return copy(
        [...s().versions.values()]
          .filter((v) => (!filter.model || v.model === filter.model) && (!filter.status || v.status === filter.status))
          .sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime() || byText(a.model, b.model) || b.version - a.version),
      );
    },
    async version(id) {
      const v = s().versions.get(id);
      return v ? copy(v) : null;
    },
    async champion(model) {
      const v = [...s().versions.values()].find((x) => x.model === model && x.status === 'champion');
      return v ? copy(v) : null;
    },
    async replacedChampion(versionId) {
      const promotion = s().audit.findLast((e) => e.entity === 'model_version' && e.entityId === versionId && e.action === 'promote');
      return (promotion?.details.previousChampion as string | null | undefined) ?? null;
    },
    async audit(f = {}) {
      const matching = s().audit.filter(
        (e) =>
          (!f.entity || e.entity === f.entity) &&
          (!f.entityId || e.entityId === f.entityId) &&
          (!f.entityPrefix || e.entityId.startsWith(f.entityPrefix)) &&
          (f.beforeId === undefined || e.id < f.beforeId),
      );
      return copy(matching.slice(-(f.limit ?? 1000)));
    },
  });

  const unit = (s: State): RegistryTransaction => {
    const append = (e: Parameters<RegistryTransaction['appendAudit']>[0]): AuditEntry => {
      const entry: AuditEntry = {
        id: (s.audit.at(-1)?.id ?? 0) + 1,
        at: now(),
        fromStatus: null,
        toStatus: null,
        reason: null,
        ...e,
        details: e.details ?? {},
      };
      s.audit.push(entry);
      return copy(entry);
    };
    return {
      ...queries(() => s),
      async lockModel(name) {
        return s.models.has(name);
      },
      async createModel(m) {
        if (!MODEL_NAME.test(m.name)) throw new GridcastError('MODEL_NAME_INVALID', `model name '${m.name}' is invalid`, { name: m.name });
        const existing = s.models.get(m.name);
        if (existing && existing.family !== m.family) {
          throw new GridcastError('MODEL_FAMILY_MISMATCH', `model '${m.name}' belongs to the family '${existing.family}', not '${m.family}'`, { name: m.name, family: existing.family });
        }
        if (!existing) s.models.set(m.name, { name: m.name, family: m.family, description: m.description ?? null, createdAt: now(), lastVersion: 0 });
        const { lastVersion: _, ...record } = s.models.get(m.name)!;
        return copy(record);
      },
      async insertVersion(nv: NewVersion) {
        const m = s.models.get(nv.model);
        if (!m) throw new GridcastError('MODEL_NOT_FOUND', `no model '${nv.model}': create it before registering a version`, { model: nv.model });
        const { artifact: _a, companion, ...rest } = nv;
        const at = now();
        m.lastVersion += 1;
        const v: ModelVersion = { ...copy(rest), id: `${nv.model}@${m.lastVersion}`, version: m.lastVersion, hasCompanion: companion !== undefined, status: 'candidate', statusAt: at, createdAt: at };
        s.versions.set(v.id, v);
        return copy(v);
      },
      async overlappingChampions(model, seriesIds) {
        const wanted = new Set(seriesIds);
        return [...s.versions.values()]
          .filter((v) => v.status === 'champion' && v.model !== model)
          .map((v) => ({ id: v.id, series: v.seriesIds.filter((x) => wanted.has(x)).sort(byText) }))
          .filter((o) => o.series.length > 0)
          .sort((a, b) => byText(a.id, b.id));
      },
      async setStatus(id, to, change) {
        const v = s.versions.get(id);
        if (!v) throw new GridcastError('VERSION_NOT_FOUND', `no model version '${id}' (see 'gridcast models list')`, { id });
        // The database's unique index: one champion per model.
        if (to === 'champion' && [...s.versions.values()].some((x) => x.model === v.model && x.status === 'champion' && x.id !== id)) {
          throw new Error(`duplicate key value violates unique constraint "model_versions_one_champion" (${v.model})`);
        }
        const from = v.status;
        Object.assign(v, { status: to, statusAt: now() });
        append({ actor: change.actor, action: change.action ?? to, entity: 'model_version', entityId: id, fromStatus: from, toStatus: to, reason: change.reason, details: change.details ?? {} });
        return copy(v);
      },
      async appendAudit(e) {
        return append(e);
      },
    };
  };

  return {
    ...queries(() => committed),
    transaction<T>(fn: (tx: RegistryTransaction) => Promise<T>): Promise<T> {
      const run = queue.then(async () => {
        const working = copy(committed);
        const result = await fn(unit(working));
        committed = working;
        return result;
      });
      queue = run.catch(() => undefined);
      return run;
    },
  };
}

/** A new version to register with `insertVersion`: what training would store, minus the fitting. */
export function newVersion(model: string, seriesIds: string[], over: Partial<NewVersion> = {}): NewVersion {
  const spec = { kind: 'seasonal-naive', version: 1, params: {} };
  return {
    model,
    kind: 'seasonal-naive',
    spec,
    features: ['calendar'],
    seriesIds,
    trainStart: new Date('2026-01-01T00:00:00Z'),
    trainEnd: new Date('2026-02-01T00:00:00Z'),
    dataHash: 'hash',
    codeVersion: 'test',
    metrics: null,
    weather: {},
    warnings: [],
    createdBy: 'alice',
    artifact: { formatVersion: 1, spec, trainWindow: { start: '2026-01-01T00:00:00Z', end: '2026-02-01T00:00:00Z' }, dataHash: 'hash', state: {} },
    ...over,
  };
}
