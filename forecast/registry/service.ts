import { GridcastError } from '../../core/errors.ts';
import type { Config } from '../../core/config.ts';
import type { Covariates, Forecaster, Series } from '../../core/types.ts';
import { appendAudit, replacedChampionId } from '../../store/audit.repository.ts';
import type { Db, Queryable } from '../../store/db.ts';
import { championOf, createModel, getVersion, insertVersion, lockModel, overlappingChampions, setStatus } from '../../store/registry.repository.ts';
import type { ModelVersion } from '../../core/registry.ts';
import { loadRunInputs, TEMPERATURE } from '../inputs.ts';
import { scoreNamedBacktest, type NamedBacktest } from './backtest.ts';
import { latestDataHour, resolveSeries } from './series.ts';

/** Builds the forecaster of a model kind (the composition root passes the catalog with the configured holidays). */
export type ForecasterFactory = (kind: string, params: Record<string, unknown>) => Forecaster;

export interface TrainRequest {
  /** Logical model name, e.g. 'load-day-ahead'. */
  model: string;
  /** Target family of a new model (default: the kind of the first series, e.g. 'load'). */
  family?: string;
  description?: string;
  kind: string;
  params?: Record<string, unknown>;
  /** The series to train on, else the subtree of `root`, else of config.forecast.root / the sole hierarchy. */
  seriesIds?: string[];
  root?: string;
  /** End of the training window (a whole hour); default: the end of the hour of the latest actual. */
  trainEnd?: Date;
  /** Default config.forecast.historyDays. */
  historyDays?: number;
  backtest?: NamedBacktest;
  actor: string;
  /** git commit or package version of the code that trains. */
  codeVersion: string;
}

export interface TrainResult {
  version: ModelVersion;
  /** Series of the window without any value (left out of the fit). */
  skipped: string[];
}

const HOUR_MS = 3_600_000;

const required = (value: string | undefined, code: string, what: string) => {
  if (!value?.trim()) throw new GridcastError(code, `${what} is required`);
  return value.trim();
};

/**
 * Fits a model on the store's history up to trainEnd and registers it as a candidate with its
 * audit entry ('register'), with the weather each series was trained on, the training's coded
 * warnings (WEATHER_UNMAPPED…) and, for a model trained with weather, its weather-free companion. The data hash is the inputs hash of loadRunInputs over the training
 * window (origin = trainEnd, no horizon): loading the same window as of the registration time
 * gives it again. With `backtest`, the named rolling-origin backtest over the actuals after the
 * window (out of sample) is scored first and stored in metrics under its name.
 */
export async function trainModel(db: Db, config: Config, req: TrainRequest, build: ForecasterFactory): Promise<TrainResult> {
  const actor = required(req.actor, 'ACTOR_REQUIRED', 'who trains (--by)');
  const { ids, rows } = await resolveSeries(db, { seriesIds: req.seriesIds, root: req.root, defaultRoot: config.forecast.root });
  const historyDays = req.historyDays ?? config.forecast.historyDays;
  const trainEnd = req.trainEnd ?? (await latestDataHour(db, ids));
  if (!trainEnd) throw new GridcastError('TRAIN_NO_DATA', `no actuals for ${ids.join(', ')}: ingest data before training`, { seriesIds: ids });
  if (trainEnd.getTime() % HOUR_MS !== 0) throw new GridcastError('TRAIN_END_INVALID', `the end of training must be a whole UTC hour, got ${trainEnd.toISOString()}`);
  const forecaster = build(req.kind, req.params ?? {});
  // First: a backtest refused for want of actuals after the window costs no training.
  const metrics = req.backtest ? { [req.backtest.name]: await scoreNamedBacktest(db, forecaster, { seriesIds: ids, trainEnd, historyDays }, req.backtest) } : null;

  const inputs = await loadRunInputs(db, { seriesIds: ids, origin: trainEnd, historyDays, horizonSteps: 0 });
  const history: Series[] = [];
  const covariates = new Map<string, Covariates>();
  const skipped: string[] = [];
  for (const id of ids) {
    const s = inputs.history.get(id)!;
    const first = s.values.findIndex((v) => !Number.isNaN(v));
    if (first < 0) {
      skipped.push(id);
      continue;
    }
    // Leading hours before a series' first value are not history (a node connected later).
    history.push({ ...s, start: new Date(s.start.getTime() + first * HOUR_MS), values: s.values.slice(first) });
    const t = inputs.fitCovariates.get(id)?.future?.[TEMPERATURE];
    if (t) covariates.set(id, { future: { [TEMPERATURE]: t.slice(first) } });
  }
  if (history.length === 0) {
    throw new GridcastError('TRAIN_NO_DATA', `no actuals for ${ids.join(', ')} in the ${historyDays} days before ${trainEnd.toISOString()}`, { seriesIds: ids });
  }
  const fitted = await forecaster.fit(history, covariates.size ? covariates : undefined);
  const withWeather = forecaster.capabilities.futureCovariates && covariates.size > 0;
  // What serves a run whose horizon has no weather forecast: the same spec, fitted without weather.
  const companion = withWeather ? (await build(req.kind, req.params ?? {}).fit(history)).toArtifact() : undefined;
  const features = ['calendar', ...(config.forecast.holidays ? [`holidays:${config.forecast.holidays}`] : []), ...(withWeather ? [TEMPERATURE] : [])];
  const weather = withWeather ? Object.fromEntries(history.map((s) => [s.id, inputs.weather.get(s.id) ?? null])) : {};
  // Weather warnings concern models that read weather; a seasonal naive has nothing to lose.
  const warnings = forecaster.capabilities.futureCovariates ? inputs.warnings : [];
  const trainStart = new Date(trainEnd.getTime() - historyDays * 24 * HOUR_MS);
  const version = await db.transaction(async (tx) => {
    await createModel(tx, { name: req.model, family: req.family ?? rows[0].kind, ...(req.description ? { description: req.description } : {}) });
    const v = await insertVersion(tx, {
      model: req.model,
      kind: req.kind,
      spec: fitted.spec,
      features,
      seriesIds: history.map((s) => s.id),
      trainStart,
      trainEnd,
      dataHash: inputs.hash,
      codeVersion: req.codeVersion,
      artifact: fitted.toArtifact(),
      ...(companion ? { companion } : {}),
      metrics,
      weather,
      warnings,
      createdBy: actor,
    });
    await appendAudit(tx, {
      actor,
      action: 'register',
      entity: 'model_version',
      entityId: v.id,
      toStatus: 'candidate',
      reason: `trained ${req.kind} on ${history.length} series`,
      details: {
        kind: req.kind,
        dataHash: inputs.hash,
        codeVersion: req.codeVersion,
        trainStart,
        trainEnd,
        skipped,
        weather: withWeather ? 'temperature' : 'none',
        ...(warnings.length ? { warnings } : {}),
        ...(req.backtest ? { backtest: req.backtest.name } : {}),
      },
    });
    return v;
  });
  return { version, skipped };
}

/**
 * The seam for the promotion rule (D5): the monitoring issue plugs in the paired test on shadow
 * errors and the sign-off. It runs inside the promotion's transaction.
 */
export interface PromotionGate {
  name: string;
  check(q: Queryable, candidate: ModelVersion, champion: ModelVersion | null): Promise<{ allowed: boolean; detail: string }>;
}

export const NO_GATE: PromotionGate = {
  name: 'none',
  check: async () => ({ allowed: true, detail: 'no gate configured' }),
};

export interface StatusChange {
  actor: string;
  reason: string;
}

async function lockedVersion(tx: Queryable, id: string): Promise<ModelVersion> {
  const v = await getVersion(tx, id);
  if (!v) throw new GridcastError('VERSION_NOT_FOUND', `no model version '${id}' (see 'gridcast models list')`, { id });
  // Status changes of one model are serialised on its row, so two promotions cannot both win.
  await lockModel(tx, v.model);
  return (await getVersion(tx, id))!;
}

/**
 * Makes a candidate or shadow version the champion of its model, in one transaction: the gate
 * decides, the current champion is retired (audit 'retire', replacedBy) and the version becomes
 * champion (audit 'promote' with previousChampion, which one-step rollback reads). A refusal by
 * the gate is audited ('promote-refused') and raised as PROMOTION_REFUSED.
 *
 * A version covering series that the champion of another model already serves is refused
 * (CHAMPION_OVERLAP, audited) unless `replaceOverlap` says it takes those series over; the
 * promotion's audit then lists them. Which champion serves a series is never decided silently.
 */
export async function promoteVersion(
  db: Db,
  id: string,
  by: StatusChange & { gate?: PromotionGate; replaceOverlap?: boolean },
): Promise<{ version: ModelVersion; previousChampion: ModelVersion | null; overlaps: Array<{ id: string; series: string[] }> }> {
  const actor = required(by.actor, 'ACTOR_REQUIRED', 'who promotes (--by)');
  const reason = required(by.reason, 'REASON_REQUIRED', 'a reason (--reason)');
  const gate = by.gate ?? NO_GATE;
  const outcome = await db.transaction(async (tx) => {
    const v = await lockedVersion(tx, id);
    if (v.status === 'retired') {
      throw new GridcastError('VERSION_RETIRED', `${id} is retired and cannot be promoted; train a new version (rollback restores a previous champion)`, { id });
    }
    if (v.status === 'champion') throw new GridcastError('VERSION_ALREADY_CHAMPION', `${id} is already the champion of ${v.model}`, { id });
    const champion = await championOf(tx, v.model, true);
    const overlaps = await overlappingChampions(tx, v.model, v.seriesIds);
    const refuse = async (details: Record<string, unknown>) =>
      appendAudit(tx, { actor, action: 'promote-refused', entity: 'model_version', entityId: id, fromStatus: v.status, toStatus: v.status, reason, details: { ...details, champion: champion?.id ?? null } });
    if (overlaps.length > 0 && !by.replaceOverlap) {
      await refuse({ code: 'CHAMPION_OVERLAP', overlaps });
      return { overlapRefused: overlaps };
    }
    const verdict = await gate.check(tx, v, champion);
    if (!verdict.allowed) {
      await refuse({ gate: gate.name, gateDetail: verdict.detail });
      return { refused: verdict.detail };
    }
    if (champion) await setStatus(tx, champion.id, 'retired', { actor, reason, action: 'retire', details: { replacedBy: id } });
    const { version } = await setStatus(tx, id, 'champion', {
      actor,
      reason,
      action: 'promote',
      details: { previousChampion: champion?.id ?? null, gate: gate.name, gateDetail: verdict.detail, ...(overlaps.length ? { replacesOverlap: overlaps } : {}) },
    });
    return { version, previousChampion: champion, overlaps };
  });
  if ('overlapRefused' in outcome) {
    const o = outcome.overlapRefused!;
    const shared = o.map((c) => `${c.id} (${c.series.length > 5 ? `${c.series.slice(0, 5).join(', ')}, … ${c.series.length} series` : c.series.join(', ')})`).join('; ');
    throw new GridcastError(
      'CHAMPION_OVERLAP',
      `${id} covers series already served by another model's champion: ${shared}. Promote with --replace-overlap to have ${id} serve them (the other champion keeps the rest), or retire ${o.map((c) => c.id).join(', ')} first; nothing was changed.`,
      { id, overlaps: o },
    );
  }
  if ('refused' in outcome) throw new GridcastError('PROMOTION_REFUSED', `promotion of ${id} refused by the ${gate.name} gate: ${outcome.refused}`, { id, gate: gate.name });
  return outcome;
}

/**
 * The champion the current one replaced — what a one-step rollback restores — read from the
 * audit of the current champion's promotion; null without a champion or a predecessor.
 */
export async function previousChampion(q: Queryable, model: string): Promise<ModelVersion | null> {
  const current = await championOf(q, model);
  if (!current) return null;
  const previous = await replacedChampionId(q, current.id);
  return previous ? getVersion(q, previous) : null;
}

/** A candidate starts shadow scoring (D5): its forecasts are stored, never published. */
export async function setShadow(db: Db, id: string, by: StatusChange): Promise<ModelVersion> {
  const actor = required(by.actor, 'ACTOR_REQUIRED', 'who changes the status (--by)');
  const reason = required(by.reason, 'REASON_REQUIRED', 'a reason (--reason)');
  return db.transaction(async (tx) => {
    const v = await lockedVersion(tx, id);
    if (v.status !== 'candidate') throw new GridcastError('VERSION_STATUS_INVALID', `${id} is ${v.status}: only a candidate can go into shadow`, { id, status: v.status });
    return (await setStatus(tx, id, 'shadow', { actor, reason, action: 'shadow' })).version;
  });
}

/** Retires a version; retiring the champion leaves its model without one (runs use the default model). */
export async function retireVersion(db: Db, id: string, by: StatusChange): Promise<ModelVersion> {
  const actor = required(by.actor, 'ACTOR_REQUIRED', 'who retires (--by)');
  const reason = required(by.reason, 'REASON_REQUIRED', 'a reason (--reason)');
  return db.transaction(async (tx) => {
    const v = await lockedVersion(tx, id);
    if (v.status === 'retired') throw new GridcastError('VERSION_RETIRED', `${id} is already retired`, { id });
    return (await setStatus(tx, id, 'retired', { actor, reason, action: 'retire', details: { wasChampion: v.status === 'champion' } })).version;
  });
}

/**
 * One-step rollback: the current champion of `model` is retired and the champion it replaced
 * serves again, in one transaction (audit 'retire' with rolledBackTo, then 'rollback'). The
 * restored version's own promotion names its predecessor, so a further rollback goes one step
 * further back. Without a champion or a predecessor: NO_PREVIOUS_CHAMPION. The restored version
 * follows the overlap rule of a promotion (CHAMPION_OVERLAP unless `replaceOverlap`).
 */
export async function rollbackModel(
  db: Db,
  model: string,
  by: StatusChange & { replaceOverlap?: boolean },
): Promise<{ version: ModelVersion; replaced: ModelVersion }> {
  const actor = required(by.actor, 'ACTOR_REQUIRED', 'who rolls back (--by)');
  const reason = required(by.reason, 'REASON_REQUIRED', 'a reason (--reason)');
  return db.transaction(async (tx) => {
    if (!(await lockModel(tx, model))) throw new GridcastError('MODEL_NOT_FOUND', `no model '${model}' (see 'gridcast models list')`, { model });
    const current = await championOf(tx, model, true);
    const previous = await previousChampion(tx, model);
    if (!current || !previous) {
      throw new GridcastError(
        'NO_PREVIOUS_CHAMPION',
        current ? `${current.id} replaced no champion: there is nothing to roll back to` : `${model} has no champion: there is nothing to roll back`,
        { model, champion: current?.id ?? null },
      );
    }
    const overlaps = await overlappingChampions(tx, model, previous.seriesIds);
    if (overlaps.length > 0 && !by.replaceOverlap) {
      throw new GridcastError(
        'CHAMPION_OVERLAP',
        `${previous.id} covers series now served by another model's champion (${overlaps.map((o) => o.id).join(', ')}): roll back with replaceOverlap to have it serve them again, or retire those first; nothing was changed.`,
        { id: previous.id, overlaps },
      );
    }
    await setStatus(tx, current.id, 'retired', { actor, reason, action: 'retire', details: { rolledBackTo: previous.id } });
    const { version } = await setStatus(tx, previous.id, 'champion', {
      actor,
      reason,
      action: 'rollback',
      details: { replaced: current.id, ...(overlaps.length ? { replacesOverlap: overlaps } : {}) },
    });
    return { version, replaced: current };
  });
}
