import { GridcastError } from '../../core/errors.ts';
import type { Covariates, Forecaster, ModelArtifact, Series } from '../../core/types.ts';
import type { ModelVersion } from '../../core/registry.ts';
import { abnormalDaysOf } from '../../models/explain.ts';
import { abnormalDaysWarning } from '../abnormal-days.ts';
import { TEMPERATURE } from '../inputs.ts';
import { scoreNamedBacktest, type NamedBacktest } from './backtest.ts';
import type { TrainDeps } from './ports.ts';
import { required } from './required.ts';
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

/**
 * Fits a model on the stored history up to trainEnd and registers it as a candidate with its
 * audit entry ('register'), with the weather each series was trained on, the training's coded
 * warnings (WEATHER_UNMAPPED…) and, for a model trained with weather, its weather-free companion. The data hash is the inputs hash of the training
 * window (origin = trainEnd, no horizon): loading the same window as of the registration time
 * gives it again. With `backtest`, the named rolling-origin backtest over the actuals after the
 * window (out of sample) is scored first and stored in metrics under its name.
 */
export async function trainModel({ registry, inputs: source, config }: TrainDeps, req: TrainRequest, build: ForecasterFactory): Promise<TrainResult> {
  const actor = required(req.actor, 'ACTOR_REQUIRED', 'who trains (--by)');
  const { ids, rows } = resolveSeries(await source.series(), { seriesIds: req.seriesIds, root: req.root, defaultRoot: config.forecast.root });
  const historyDays = req.historyDays ?? config.forecast.historyDays;
  const trainEnd = req.trainEnd ?? (await latestDataHour(source, ids));
  if (!trainEnd) throw new GridcastError('TRAIN_NO_DATA', `no actuals for ${ids.join(', ')}: ingest data before training`, { seriesIds: ids });
  if (trainEnd.getTime() % HOUR_MS !== 0) throw new GridcastError('TRAIN_END_INVALID', `the end of training must be a whole UTC hour, got ${trainEnd.toISOString()}`);
  const forecaster = build(req.kind, req.params ?? {});
  // First: a backtest refused for want of actuals after the window costs no training.
  const metrics = req.backtest ? { [req.backtest.name]: await scoreNamedBacktest(source, forecaster, { seriesIds: ids, trainEnd, historyDays }, req.backtest) } : null;

  const inputs = await source.load({ seriesIds: ids, origin: trainEnd, historyDays, horizonSteps: 0 });
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
  const artifact = fitted.toArtifact();
  const warnings = [...(forecaster.capabilities.futureCovariates ? inputs.warnings : []), ...abnormalDaysWarning(history.map((s) => [s.id, abnormalDaysOf(artifact, s.id)]), "each series' model explanation lists them")];
  const trainStart = new Date(trainEnd.getTime() - historyDays * 24 * HOUR_MS);
  const version = await registry.transaction(async (tx) => {
    await tx.createModel({ name: req.model, family: req.family ?? rows[0].kind, ...(req.description ? { description: req.description } : {}) });
    const v = await tx.insertVersion({
      model: req.model,
      kind: req.kind,
      spec: fitted.spec,
      features,
      seriesIds: history.map((s) => s.id),
      trainStart,
      trainEnd,
      dataHash: inputs.hash,
      codeVersion: req.codeVersion,
      artifact,
      ...(companion ? { companion } : {}),
      metrics,
      weather,
      warnings,
      createdBy: actor,
    });
    await tx.appendAudit({
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
