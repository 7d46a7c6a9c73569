import { z } from 'zod';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { HORIZONS, RECONCILIATION_METHODS } from '../../../core/config.ts';
import { GridcastError } from '../../../core/errors.ts';
import { checkInstant } from '../../../core/time-input.ts';
import { WeatherInputSchema } from '../../../core/topology/weather.ts';
import type { RunTrigger } from '../../write-services.ts';
import { problemResponses } from '../../openapi.ts';

export const TriggerRunBody = z.strictObject({
  horizon: z.enum(HORIZONS),
  asOf: z.string().optional().describe('ISO 8601 with Z or an offset: replay the run as of this time (its origin is that hour); default now'),
  root: z.string().min(1).optional().describe('root of the hierarchy to forecast; default forecast.root or the sole hierarchy'),
  method: z.enum(RECONCILIATION_METHODS).optional().describe('spatial reconciliation; default forecast.reconciliation'),
  series: z.array(z.string().min(1)).min(1).optional().describe('series the run must cover (each a node under the root)'),
});

export const RunCreated = z.object({
  runId: z.number().int(),
  issuedAt: z.string(),
  origin: z.string(),
  horizon: z.enum(HORIZONS),
  series: z.number().int(),
  fallbacks: z.number().int(),
  method: z.string(),
  inputsHash: z.string(),
  warnings: z.array(z.string()),
  weather: z.record(z.string(), WeatherInputSchema.nullable()),
});

/**
 * POST /runs makes a run now, through the service the scheduled forecast job calls, and answers
 * when it is stored (201): the run and all its values are stored in one transaction, so there is
 * no run id to point to before then, and a caller that triggers a run wants its numbers.
 */
export const runTriggerRoutes = (run: RunTrigger): FastifyPluginAsyncZod =>
  async function runs(app) {
    app.post(
      '/runs',
      {
        config: { role: 'operator' },
        schema: {
          summary: 'Make and store a forecast run now',
          description:
            'Synchronous: answers 201 once the run is stored (seconds for intraday and day-ahead, longer for mid-term), with a Location to GET /api/v1/runs/{id}. ' +
            'The same service as the scheduled forecast job, so the numbers are those a scheduled run with the same asOf would store.',
          tags: ['runs'],
          body: TriggerRunBody,
          response: {
            201: RunCreated,
            ...problemResponses({ 404: 'No stored node is this root (HIERARCHY_UNKNOWN_ROOT)', 422: 'The stored data cannot make this run, e.g. a series of the hierarchy has no history (HIERARCHY_MISSING_SERIES)' }),
          },
        },
      },
      async (req, reply) => {
        const b = req.body;
        let asOf: Date | undefined;
        if (b.asOf !== undefined) {
          const t = checkInstant(b.asOf);
          if (!t.ok) throw new GridcastError('AS_OF_INVALID', `asOf '${b.asOf}' ${t.problem}`, { asOf: b.asOf });
          asOf = new Date(t.ms);
        }
        const s = await run(
          { horizon: b.horizon, ...(asOf ? { asOf } : {}), ...(b.root ? { root: b.root } : {}), ...(b.method ? { method: b.method } : {}), ...(b.series ? { series: b.series } : {}) },
          req.log,
        );
        return reply
          .code(201)
          .header('location', `/api/v1/runs/${s.runId}`)
          .send({ ...s, issuedAt: s.issuedAt.toISOString(), origin: s.origin.toISOString() });
      },
    );
  };
