import { z } from 'zod';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { parseTimeInput } from '../../../core/time-input.ts';
import type { DriftReader, DriftReport } from '../../../monitoring/drift.service.ts';
import { problemResponses } from '../../openapi.ts';

/** A number that JSON can carry (W1/σ of a constant reference is Infinity): null otherwise. */
const finite = (v: number | null) => (v !== null && Number.isFinite(v) ? v : null);
const Num = z.number().nullable();

export const DriftView = z.object({
  at: z.string().describe('When the report was made.'),
  asOf: z.string().describe('End of the recent window.'),
  settings: z.object({ windowDays: z.number(), alpha: z.number(), psi: z.number(), wasserstein: z.number(), minReferenceDays: z.number(), alarmsPerYear: z.number(), minLoadShift: z.number() }),
  series: z.array(
    z.object({
      seriesId: z.string(),
      modelVersion: z.string().describe('The champion whose training window is the reference.'),
      recent: z.object({ from: z.string(), to: z.string() }).describe('Whole local days compared, [from, to).'),
      reference: z.object({ trainStart: z.string(), trainEnd: z.string(), months: z.array(z.number()), days: z.number() }),
      calibration: z
        .object({
          effectiveFeatures: z.number().describe('Effective number of independent features (Galwey) the false-alarm budget is split over.'),
          alarmsPerYear: z.number().describe('False alarm episodes per series-year allowed (drift.alarmsPerYear).'),
          gapDays: z.number().describe('Days between a training window and its reference in the calibration.'),
          trainingDays: z.number().describe('Whole training days the calibration compared.'),
        })
        .nullable()
        .describe("How the thresholds were calibrated on the champion's training data."),
      features: z.array(
        z.object({
          feature: z.string(),
          test: z.enum(['ks', 'chisq']),
          recentDays: z.number(),
          referenceDays: z.number(),
          statistic: Num,
          df: z.number().optional(),
          pValue: Num,
          pAdjusted: Num.describe('Holm-corrected across the series’ features.'),
          psi: Num.describe('PSI on the hours (numeric features, reported only) or of the day-type shares (calendar mix).'),
          wasserstein: Num.describe('W1 of the daily means divided by the reference’s standard deviation (numeric features): the business threshold.'),
          effect: Num.describe('(mean recent − mean reference) / sd reference of the daily means (numeric features): the calibrated statistic.'),
          relativeShift: Num.optional().describe('Load features: (mean recent − mean reference) / the reference’s mean daily load; the load level drifts only from minLoadShift.'),
          calibration: z
            .object({
              threshold: z.number().describe('|effect| at or above which the feature drifts: the larger of `gaussian` and `inSample`.'),
              gaussian: z.number().describe('Threshold meeting this feature’s alarmsPerYear for a Gaussian series of the training windows’ spread and day-to-day correlation.'),
              inSample: z.number().describe('Threshold allowing at most the budget’s share of excursions on the training windows.'),
              sd: z.number().describe('RMS of the effect over the training windows.'),
              rho: z.number().describe('Correlation of the effect from one day’s window to the next.'),
              windows: z.number().describe('Training windows compared.'),
              alarmsPerYear: z.number().describe('This feature’s share of the false-alarm budget.'),
            })
            .nullable(),
          drift: z.boolean().describe('Numeric: |effect| ≥ its calibrated threshold and W1/σ ≥ wasserstein (load: and |relativeShift| ≥ minLoadShift). Calendar mix: p_holm < alpha and psi ≥ its threshold.'),
          note: z.string().optional().describe('Why the feature was not tested.'),
        }),
      ),
      drifted: z.array(z.string()),
    }),
  ),
  skipped: z.array(z.object({ seriesId: z.string(), reason: z.string() })),
});
export type DriftView = z.infer<typeof DriftView>;

/** A report as served (the API, and `gridcast drift` whichever way it was made). */
export const driftView = (r: DriftReport): DriftView => ({
  at: r.at.toISOString(),
  asOf: r.asOf.toISOString(),
  settings: r.settings,
  series: r.series.map((s) => ({
    seriesId: s.seriesId,
    modelVersion: s.modelVersion,
    recent: { from: s.recent.from.toISOString(), to: s.recent.to.toISOString() },
    reference: { trainStart: s.reference.trainStart.toISOString(), trainEnd: s.reference.trainEnd.toISOString(), months: s.reference.months, days: s.reference.days },
    calibration: s.calibration,
    features: s.features.map((f) => ({
      ...f,
      statistic: finite(f.statistic),
      pValue: finite(f.pValue),
      pAdjusted: finite(f.pAdjusted),
      psi: finite(f.psi),
      wasserstein: finite(f.wasserstein),
      effect: finite(f.effect),
      ...(f.relativeShift !== undefined ? { relativeShift: finite(f.relativeShift) } : {}),
    })),
    drifted: s.drifted,
  })),
  skipped: r.skipped,
});

const DriftQuery = z.object({
  series: z
    .string()
    .optional()
    .transform((s) => (s === undefined ? undefined : s.split(',').map((x) => x.trim()).filter(Boolean)))
    .describe('Comma-separated series ids; default every series with a champion.'),
  asOf: z.string().optional().describe("End of the recent window: an instant with its offset, or a date (local midnight of the grid's zone); default now."),
});

/** GET /drift: the input drift report of the champions, computed on request (a report: the daily job records the events). */
export const driftRoutes = (drift: DriftReader): FastifyPluginAsyncZod =>
  async function driftV1(app) {
    app.get(
      '/drift',
      {
        config: { role: 'viewer' },
        schema: {
          summary: "Input drift of each champion's features against a season-matched reference from its training window",
          tags: ['monitoring'],
          querystring: DriftQuery,
          response: { 200: DriftView, ...problemResponses({ 400: 'A time that cannot be read (TS_INVALID, TS_NO_OFFSET)', 404: 'An unknown series (SERIES_NOT_FOUND)' }) },
        },
      },
      async (req) => {
        const asOf = req.query.asOf === undefined ? undefined : parseTimeInput(req.query.asOf, 'asOf');
        return driftView(await drift({ ...(req.query.series && { seriesIds: req.query.series }), ...(asOf && { asOf }) }));
      },
    );
  };
