import { z } from 'zod';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { FastifyRequest } from 'fastify';
import { WeatherInputSchema } from '../../../core/topology/weather.ts';
import type { AuditEntry } from '../../../core/audit.ts';
import { VERSION_STATUSES, type ModelRecord, type ModelVersion } from '../../../core/registry.ts';
import type { RegistryService } from '../../write-services.ts';
import { problemResponses } from '../../openapi.ts';

/** Largest audit page. */
export const AUDIT_MAX_LIMIT = 500;

const ModelName = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/, 'a model name: letters, digits, _ . -');

const Model = z.object({ name: z.string(), family: z.string(), description: z.string().nullable(), createdAt: z.string() });

export const ModelSummaryView = Model.extend({
  champion: z.string().nullable(),
  versions: z.object(Object.fromEntries(VERSION_STATUSES.map((s) => [s, z.number().int()])) as Record<(typeof VERSION_STATUSES)[number], z.ZodNumber>),
});

export const VersionView = z.object({
  id: z.string(),
  model: z.string(),
  version: z.number().int(),
  status: z.enum(VERSION_STATUSES),
  statusAt: z.string(),
  kind: z.string(),
  spec: z.object({ kind: z.string(), version: z.number(), params: z.unknown() }),
  features: z.array(z.string()),
  seriesIds: z.array(z.string()),
  trainStart: z.string(),
  trainEnd: z.string(),
  dataHash: z.string(),
  codeVersion: z.string(),
  metrics: z.record(z.string(), z.unknown()).nullable().describe('backtest scores by backtest name'),
  weather: z.record(z.string(), WeatherInputSchema.nullable()).describe('the weather each series was trained on (null: none)'),
  hasWeatherFreeCompanion: z.boolean(),
  warnings: z.array(z.string()),
  createdAt: z.string(),
  createdBy: z.string(),
});

export const AuditView = z.object({
  id: z.number().int(),
  at: z.string(),
  actor: z.string(),
  action: z.string(),
  entity: z.string(),
  entityId: z.string(),
  fromStatus: z.string().nullable(),
  toStatus: z.string().nullable(),
  reason: z.string().nullable(),
  details: z.record(z.string(), z.unknown()),
});

const modelView = (m: ModelRecord) => ({ ...m, createdAt: m.createdAt.toISOString() });
export const versionView = (v: ModelVersion): z.infer<typeof VersionView> => ({
  id: v.id,
  model: v.model,
  version: v.version,
  status: v.status,
  statusAt: v.statusAt.toISOString(),
  kind: v.kind,
  spec: v.spec,
  features: v.features,
  seriesIds: v.seriesIds,
  trainStart: v.trainStart.toISOString(),
  trainEnd: v.trainEnd.toISOString(),
  dataHash: v.dataHash,
  codeVersion: v.codeVersion,
  metrics: v.metrics,
  weather: v.weather,
  hasWeatherFreeCompanion: v.hasCompanion,
  warnings: v.warnings,
  createdAt: v.createdAt.toISOString(),
  createdBy: v.createdBy,
});
const auditView = (e: AuditEntry) => ({ ...e, at: e.at.toISOString() });

/**
 * Who acts, for the audit log: the API key behind the request. The auth hook sets the principal
 * on every non-public route; an app built without it records the change as unauthenticated.
 */
export const actorOf = (req: FastifyRequest) => (req.principal ? `apikey:${req.principal.name}` : 'apikey:(none)');

const VersionParams = z.object({ name: ModelName, version: z.coerce.number().int().positive() });

const Axis = z.object({ variable: z.string(), label: z.string().describe('What the axis measures.'), unit: z.string().nullable() });
const Band = {
  effect: z.array(z.number()).describe('The partial effect at each grid point (on the response scale: log(load) when `response` says so).'),
  se: z.array(z.number()).describe('Its standard error: from the posterior covariance Vp of the coefficients restricted to the term (plot.gam, seWithMean = FALSE).'),
  lower: z.array(z.number()).describe('effect − 1.96 se: the pointwise 95 % band.'),
  upper: z.array(z.number()).describe('effect + 1.96 se.'),
};
const TermName = { name: z.string().describe('What the term is, for people: "daily profile: Monday", "annual cycle", "trend"…'), label: z.string().describe("The term as in the formula, mgcv style: s(hour):hourGroup0, te(temp,hour)…") };
export const EffectTerm = z.discriminatedUnion('kind', [
  z.object({
    kind: z.literal('curve'), ...TermName, variable: z.string(),
    by: z.object({ variable: z.string(), level: z.number() }).nullable().describe('A by-factor smooth: the level this curve is for.'),
    edf: z.number().nullable(), axes: z.array(Axis), x: z.array(z.number()).describe('The grid: evenly from the first to the last knot (the data range; the whole cycle for a cyclic smooth).'), ...Band,
  }),
  z.object({
    kind: z.literal('surface'), ...TermName, variables: z.array(z.string()), edf: z.number().nullable(), axes: z.array(Axis),
    x: z.array(z.number()), z: z.array(z.number()).describe('Second axis; effect[i · z.length + j] is at (x[i], z[j]).'), ...Band,
  }),
  z.object({
    kind: z.literal('factor'), ...TermName, variable: z.string(),
    levels: z.array(z.object({ level: z.number(), name: z.string(), effect: z.number(), se: z.number(), lower: z.number(), upper: z.number() })).describe('Each level against the first (effect 0).'),
  }),
  z.object({ kind: z.literal('linear'), ...TermName, variable: z.string(), coefficient: z.number(), se: z.number() }),
]);
export const EffectsView = z.object({
  version: z.string(),
  kind: z.string().describe("The version's model kind."),
  seriesId: z.string(),
  path: z.array(z.string()).describe('From the stored model down to the GAM explained: ["gam"], ["gam-arima", "gam"], ["auto", "gam-arima", "gam"].'),
  response: z.enum(['log(load)', 'load']).describe('What the effects add up to: on log(load) an effect e multiplies the load by exp(e).'),
  criterion: z.enum(['REML', 'GCV']),
  n: z.number().describe('Hours fitted.'),
  edf: z.number().describe('Total effective degrees of freedom.'),
  sig2: z.number().describe('Residual variance on the response scale.'),
  bandLevel: z.number(),
  terms: z.array(EffectTerm),
  abnormalDays: z.array(z.string()).describe("The days the GAM was fitted without: each day's mean residual was that many MADs from a normal day's (an outage, a storm: the model's `abnormalDayThreshold`); ISO time of each day's first step."),
});

const EFFECTS_DESCRIPTION = [
  "For each term of the GAM behind the series (the version's own GAM, the GAM under a gam-arima, or what auto chose for it), its partial effect as R mgcv's plot.gam draws it: the term alone, f(x) = X_j(x)β_j, centred as mgcv centres it (a by-factor curve over all fitted rows), on a grid of its variables, with a pointwise 95 % band f ± 1.96·se where se² = X_j Vp_jj X_jᵀ (Vp the Bayesian posterior covariance of the coefficients, restricted to the term's columns).",
  'Curves: the daily profile of each day-type group (hour 0–24, one curve per group), the annual cycle, the trend, the thermal-inertia temperatures. Surfaces: the temperature response by hour of day (temperature × hour), its change with the season. Factors: each day type and school vacation against the reference level; a day type\'s level plus its profile gives its shape against Monday (against the working day in a weather-free GAM under a year, whose Monday to Friday share one type).',
  'A model that is not a GAM (seasonal naive, profile, sharing key, shallow history, LSTM) has none: 422 MODEL_NO_PARTIAL_EFFECTS. A GAM stored before this API (gam state v1) lacks the centring its day-type curves need: 409 EFFECTS_REFIT_REQUIRED (train a new version).',
].join('\n\n');
const Change = z.strictObject({ reason: z.string().trim().min(1).describe('why: recorded in the audit log') });
const OverlapChange = Change.extend({
  replaceOverlap: z.boolean().default(false).describe("take over the series another model's champion serves (CHAMPION_OVERLAP otherwise)"),
});
const Overlap = z.object({ id: z.string(), series: z.array(z.string()) });

/** The model registry: models, versions and the audit log (viewer); status changes (data-scientist). */
export const registryRoutes = (models: RegistryService): FastifyPluginAsyncZod =>
  async function registry(app) {
    app.get(
      '/models',
      { config: { role: 'viewer' }, schema: { summary: 'Models of the registry, with their champion and version counts', tags: ['registry'], response: { 200: z.object({ items: z.array(ModelSummaryView) }) } } },
      async () => ({ items: (await models.modelSummaries()).map((m) => ({ ...modelView(m), champion: m.champion, versions: m.versions })) }),
    );

    app.get(
      '/models/:name',
      {
        config: { role: 'viewer' },
        schema: {
          summary: 'A model and its versions (newest first) with status, backtest metrics and the weather they were trained on',
          tags: ['registry'],
          params: z.object({ name: ModelName }),
          response: { 200: z.object({ model: Model, versions: z.array(VersionView) }), ...problemResponses({ 404: 'No model has this name (MODEL_NOT_FOUND)' }) },
        },
      },
      async (req) => {
        const d = await models.modelDetail(req.params.name);
        return { model: modelView(d.model), versions: d.versions.map(versionView) };
      },
    );

    app.get(
      '/audit',
      {
        config: { role: 'viewer' },
        schema: {
          summary: 'The audit log, newest first, by pages',
          description: `Pass nextCursor as cursor for the next (older) page. limit at most ${AUDIT_MAX_LIMIT}.`,
          tags: ['registry'],
          querystring: z.strictObject({
            entity: z.string().min(1).optional().describe('e.g. model_version'),
            entityId: z.string().min(1).optional().describe('e.g. load@3'),
            model: ModelName.optional().describe('entries of the versions of this model'),
            cursor: z.coerce.number().int().positive().optional(),
            limit: z.coerce.number().int().min(1).max(AUDIT_MAX_LIMIT).default(100),
          }),
          response: { 200: z.object({ items: z.array(AuditView), nextCursor: z.string().nullable() }) },
        },
      },
      async (req) => {
        const q = req.query;
        const page = await models.auditPage({
          ...(q.entity ? { entity: q.entity } : {}),
          ...(q.entityId ? { entityId: q.entityId } : {}),
          ...(q.model ? { model: q.model } : {}),
          ...(q.cursor !== undefined ? { before: q.cursor } : {}),
          limit: q.limit,
        });
        return { items: page.entries.map(auditView), nextCursor: page.next === null ? null : String(page.next) };
      },
    );

    app.get(
      '/models/:name/versions/:version/effects',
      {
        config: { role: 'viewer' },
        schema: {
          summary: "Model explanation: the partial effects of a GAM version's terms for one series (daily profile per day type, annual cycle, trend, temperature responses…) with pointwise 95 % bands, from its stored artifact",
          description: EFFECTS_DESCRIPTION,
          tags: ['registry'],
          params: VersionParams,
          querystring: z.strictObject({
            series: z.string().min(1).optional().describe('The series (required when the version covers several).'),
            points: z.coerce.number().int().min(10).max(400).default(100).describe('Grid points of a curve (plot.gam: 100).'),
            surfacePoints: z.coerce.number().int().min(5).max(100).default(40).describe('Grid points per axis of a surface (plot.gam: 40).'),
          }),
          response: {
            200: EffectsView,
            ...problemResponses({
              400: 'The version covers several series and none was named (EFFECTS_SERIES_REQUIRED), or a bad parameter (REQUEST_INVALID)',
              404: 'No such model (MODEL_NOT_FOUND) or version (VERSION_NOT_FOUND), or the version was not trained on the series (VERSION_SERIES_NOT_FOUND)',
              409: 'The GAM was stored before what its effects need was kept: refit it (EFFECTS_REFIT_REQUIRED)',
              422: 'The series is not forecast by a GAM (seasonal naive, profile, LSTM…): no partial effects (MODEL_NO_PARTIAL_EFFECTS)',
            }),
          },
        },
      },
      async (req) => {
        const { version, explanation } = await models.effects({
          model: req.params.name, version: req.params.version, points: req.query.points, surfacePoints: req.query.surfacePoints,
          ...(req.query.series !== undefined && { seriesId: req.query.series }),
        });
        return { version: version.id, kind: version.kind, bandLevel: 0.95, ...explanation };
      },
    );

    const versionChange = { config: { role: 'data-scientist' as const }, tags: ['registry'] };
    const NO_VERSION = 'No model has this name (MODEL_NOT_FOUND), or it has no such version (VERSION_NOT_FOUND)';
    app.post(
      '/models/:name/versions/:version/promote',
      {
        // Proposing and signing off in one call: an admin's (the sign-off), refused over a champion with promotion.twoPerson.
        config: { role: 'admin' as const },
        schema: {
          summary: 'Propose and sign off in one call (admin): a first champion is promoted; over a champion the paired test on the shadow period must pass',
          description: 'With promotion.twoPerson this is refused over a champion (PROMOTION_SIGNOFF_REQUIRED): POST …/proposals, then another admin POST …/proposals/{id}/signoff.',
          tags: versionChange.tags,
          params: VersionParams,
          body: OverlapChange,
          response: {
            200: z.object({ version: VersionView, previousChampion: VersionView.nullable(), overlaps: z.array(Overlap) }),
            ...problemResponses({
              404: NO_VERSION,
              409: 'The version is already the champion (VERSION_ALREADY_CHAMPION) or retired (VERSION_RETIRED), its series overlap another champion without replaceOverlap (CHAMPION_OVERLAP), the paired test did not pass (PROMOTION_REFUSED), or two people are required (PROMOTION_SIGNOFF_REQUIRED)',
            }),
          },
        },
      },
      async (req) => {
        const r = await models.promote(`${req.params.name}@${req.params.version}`, {
          actor: actorOf(req),
          reason: req.body.reason,
          ...(req.body.replaceOverlap ? { replaceOverlap: true } : {}),
        });
        return { version: versionView(r.version), previousChampion: r.previousChampion && versionView(r.previousChampion), overlaps: r.overlaps };
      },
    );

    app.post(
      '/models/:name/rollback',
      {
        config: versionChange.config,
        schema: {
          summary: 'Roll a model back one step: its champion is retired and the champion it replaced serves again',
          tags: versionChange.tags,
          params: z.object({ name: ModelName }),
          body: OverlapChange,
          response: {
            200: z.object({ version: VersionView, replaced: VersionView }),
            ...problemResponses({ 404: 'No model has this name (MODEL_NOT_FOUND)', 409: 'The model has no champion, or its champion replaced none (NO_PREVIOUS_CHAMPION), or the one it replaced overlaps another champion without replaceOverlap (CHAMPION_OVERLAP)' }),
          },
        },
      },
      async (req) => {
        const r = await models.rollback(req.params.name, { actor: actorOf(req), reason: req.body.reason, ...(req.body.replaceOverlap ? { replaceOverlap: true } : {}) });
        return { version: versionView(r.version), replaced: versionView(r.replaced) };
      },
    );

    for (const [action, change, summary] of [
      ['shadow', models.shadow, 'Put a candidate in shadow: its forecasts are stored and scored, never published'],
      ['retire', models.retire, 'Retire a version (retiring the champion leaves its model without one)'],
    ] as const) {
      app.post(
        `/models/:name/versions/:version/${action}`,
        {
          config: versionChange.config,
          schema: {
            summary,
            tags: versionChange.tags,
            params: VersionParams,
            body: Change,
            response: { 200: z.object({ version: VersionView }), ...problemResponses({ 404: NO_VERSION, 409: 'The version is retired (VERSION_RETIRED) or its status does not allow this change (VERSION_STATUS_INVALID)' }) },
          },
        },
        async (req) => ({ version: versionView(await change(`${req.params.name}@${req.params.version}`, { actor: actorOf(req), reason: req.body.reason })) }),
      );
    }
  };
