import { z } from 'zod';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { GridcastError } from '../../../core/errors.ts';
import { PROMOTION_RULES, type PromotionProposal } from '../../../core/promotion.ts';
import { comparisonReport } from '../../../monitoring/compare.service.ts';
import type { ChampionPeriod } from '../../../monitoring/promotion.service.ts';
import type { RegistryService } from '../../write-services.ts';
import { problemResponses } from '../../openapi.ts';
import { actorOf, VersionView, versionView } from './registry.ts';

const ModelName = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/, 'a model name: letters, digits, _ . -');
const VersionId = z.string().regex(/^[^@\s]+@\d+$/, 'a version: MODEL@N');
const Instant = z.iso.datetime({ offset: true });

const TestView = z.object({
  passed: z.boolean(),
  reason: z.string(),
  compared: z.boolean().describe('false for a first champion: nothing to compare against'),
  rule: z.enum(PROMOTION_RULES),
  alpha: z.number(),
  margin: z.number(),
  minPairs: z.number().int(),
  from: z.string().optional(),
  to: z.string().optional(),
  dm: z.number().nullable().optional(),
  pValue: z.number().nullable().optional().describe('one-sided'),
  h: z.number().int().optional(),
  n: z.number().int().optional(),
  meanLossDiff: z.number().nullable().optional(),
  ci: z.tuple([z.number().nullable(), z.number().nullable()]).optional(),
});

export const ProposalView = z.object({
  id: z.number().int(),
  model: z.string(),
  version: z.string(),
  champion: z.string().nullable(),
  proposedBy: z.string(),
  proposedAt: z.string(),
  reason: z.string(),
  test: TestView,
  decision: z.object({ by: z.string(), at: z.string(), outcome: z.enum(['promoted', 'refused']), detail: z.record(z.string(), z.unknown()) }).nullable(),
});
const proposalView = (p: PromotionProposal): z.infer<typeof ProposalView> => ({
  id: p.id,
  model: p.model,
  version: p.versionId,
  champion: p.championId,
  proposedBy: p.proposedBy,
  proposedAt: p.proposedAt.toISOString(),
  reason: p.reason,
  test: p.test,
  decision: p.decision && { ...p.decision, at: p.decision.at.toISOString() },
});

export const PeriodView = z.object({
  version: z.string(),
  from: z.string(),
  to: z.string().nullable().describe('null: still the champion'),
  how: z.string().describe("'promote' or 'rollback'"),
  by: z.string(),
  reason: z.string().nullable(),
  proposal: z.number().int().nullable(),
  proposedBy: z.string().nullable(),
  signedBy: z.string().nullable(),
  test: TestView.nullable(),
  previousChampion: z.string().nullable(),
  endedBy: z.object({ action: z.string(), actor: z.string(), reason: z.string().nullable(), at: z.string() }).nullable(),
});
const periodView = (p: ChampionPeriod): z.infer<typeof PeriodView> => ({
  ...p,
  from: p.from.toISOString(),
  to: p.to?.toISOString() ?? null,
  endedBy: p.endedBy && { ...p.endedBy, at: p.endedBy.at.toISOString() },
});

const PairedTestView = z.object({ dm: z.number().nullable(), pValue: z.number().nullable(), h: z.number().int(), n: z.number().int(), meanLossDiff: z.number(), ci: z.tuple([z.number().nullable(), z.number().nullable()]), level: z.number() });
export const ComparisonView = z.object({
  champion: z.string(),
  challenger: z.string(),
  from: z.string(),
  to: z.string(),
  loss: z.string(),
  alternative: z.literal('two.sided'),
  dm: z.number().nullable().describe('dm.test(champion_error, challenger_error, h = h, power = 2) over exactly the paired errors'),
  pValue: z.number().nullable(),
  h: z.number().int().nullable().describe('the largest lead in hours (the value dm.test used: 1 when its variance fell back)'),
  n: z.number().int(),
  meanLossDiff: z.number().nullable().describe('champion − challenger squared error: positive when the challenger is better'),
  ci: z.tuple([z.number().nullable(), z.number().nullable()]).nullable(),
  level: z.number().nullable(),
  issueStepHours: z.number(),
  perLead: z.array(PairedTestView.extend({ lead: z.number().int() })),
  daily: PairedTestView.nullable(),
  errors: z.array(z.object({ ts: z.string(), seriesId: z.string(), lead: z.number().int(), championError: z.number(), challengerError: z.number() })).optional(),
});

/**
 * Champion / challenger (D5): the paired comparison and the champion history (viewer), proposals
 * (operator) and the admin's sign-off. NaN statistics are sent as null.
 */
export const promotionRoutes = (models: RegistryService): FastifyPluginAsyncZod =>
  async function promotion(app) {
    app.get(
      '/models/:name/compare',
      {
        config: { role: 'viewer' },
        schema: {
          summary: "Paired comparison of the champion's published forecasts and a challenger's shadow forecasts against the actuals (Diebold–Mariano)",
          tags: ['registry'],
          params: z.object({ name: ModelName }),
          querystring: z.strictObject({
            challenger: VersionId,
            champion: VersionId.optional().describe("default: the model's current champion"),
            from: Instant.optional().describe('target times from (inclusive); default: all'),
            to: Instant.optional().describe('target times to (exclusive); default: now'),
            errors: z.enum(['true', 'false']).default('false').describe('include every paired error (the CLI --errors-out rows)'),
          }),
          response: { 200: ComparisonView, ...problemResponses({ 404: 'No model has this name (MODEL_NOT_FOUND)', 409: 'The model has no champion and none was named (NO_CHAMPION)' }) },
        },
      },
      async (req) => {
        const q = req.query;
        let champion = q.champion;
        if (!champion) {
          const d = await models.modelDetail(req.params.name);
          champion = d.versions.find((v) => v.status === 'champion')?.id;
          if (!champion) throw new GridcastError('NO_CHAMPION', `${req.params.name} has no champion: name the one to compare with (champion=MODEL@N)`, { model: req.params.name });
        }
        const c = await models.compare({ champion, challenger: q.challenger, from: q.from ? new Date(q.from) : new Date(0), to: q.to ? new Date(q.to) : new Date() });
        return nullNaN(comparisonReport(c, q.errors === 'true')) as z.infer<typeof ComparisonView>;
      },
    );

    app.get(
      '/models/:name/history',
      {
        config: { role: 'viewer' },
        schema: {
          summary: 'Which version was champion from when to when, who proposed and signed off, why, and the paired test (from the append-only audit log)',
          tags: ['registry'],
          params: z.object({ name: ModelName }),
          response: { 200: z.object({ items: z.array(PeriodView) }), ...problemResponses({ 404: 'No model has this name (MODEL_NOT_FOUND)' }) },
        },
      },
      async (req) => ({ items: (await models.history(req.params.name)).map((p) => nullNaN(periodView(p)) as z.infer<typeof PeriodView>) }),
    );

    app.get(
      '/models/:name/proposals',
      {
        config: { role: 'viewer' },
        schema: { summary: 'Promotion proposals of a model, newest first, with their test and decision', tags: ['registry'], params: z.object({ name: ModelName }), response: { 200: z.object({ items: z.array(ProposalView) }) } },
      },
      async (req) => ({ items: (await models.proposals(req.params.name)).map((p) => nullNaN(proposalView(p)) as z.infer<typeof ProposalView>) }),
    );

    app.post(
      '/models/:name/versions/:version/proposals',
      {
        config: { role: 'operator' },
        schema: {
          summary: 'Propose the promotion of a version: the paired test on its shadow period is computed and stored with the proposal',
          tags: ['registry'],
          params: z.object({ name: ModelName, version: z.coerce.number().int().positive() }),
          body: z.strictObject({ reason: z.string().trim().min(1).describe('why: recorded with the proposal and in the audit log') }),
          response: { 201: ProposalView, ...problemResponses({ 404: 'No such version (VERSION_NOT_FOUND)', 409: 'The version is already champion or retired' }) },
        },
      },
      async (req, reply) => {
        const p = await models.propose(`${req.params.name}@${req.params.version}`, { actor: actorOf(req), reason: req.body.reason });
        return reply.code(201).send(nullNaN(proposalView(p)) as z.infer<typeof ProposalView>);
      },
    );

    app.post(
      '/models/:name/proposals/:id/signoff',
      {
        config: { role: 'admin' },
        schema: {
          summary: 'Sign off a proposal (admin): the version is promoted if its paired test passed; otherwise the refusal is recorded',
          description: 'With promotion.twoPerson the signer must not be the proposer (SIGNOFF_BY_PROPOSER).',
          tags: ['registry'],
          params: z.object({ name: ModelName, id: z.coerce.number().int().positive() }),
          body: z.strictObject({ reason: z.string().trim().min(1).optional(), replaceOverlap: z.boolean().default(false) }),
          response: {
            200: z.object({ proposal: ProposalView, version: VersionView, previousChampion: VersionView.nullable() }),
            ...problemResponses({
              403: 'The signer proposed it (SIGNOFF_BY_PROPOSER), or the key is not an admin',
              404: 'No such proposal of this model (PROPOSAL_NOT_FOUND)',
              409: 'Already decided (PROPOSAL_DECIDED), the test did not pass or the champion changed (PROMOTION_REFUSED), or CHAMPION_OVERLAP',
            }),
          },
        },
      },
      async (req) => {
        const r = await models.signoff(req.params.id, { actor: actorOf(req), model: req.params.name, ...(req.body.reason ? { reason: req.body.reason } : {}), ...(req.body.replaceOverlap ? { replaceOverlap: true } : {}) });
        return { proposal: nullNaN(proposalView(r.proposal)) as z.infer<typeof ProposalView>, version: versionView(r.promotion.version), previousChampion: r.promotion.previousChampion && versionView(r.promotion.previousChampion) };
      },
    );
  };

/** JSON has no NaN: a statistic that could not be computed is sent as null. */
function nullNaN<T>(x: T): T {
  return JSON.parse(JSON.stringify(x, (_k, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? null : v))) as T;
}
