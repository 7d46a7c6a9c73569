import { z } from 'zod';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { JobsStatus } from '../../../jobs/status.service.ts';

export const JobView = z.object({
  name: z.string(),
  cron: z.string(),
  timeZone: z.string().describe('Zone of the cron expression.'),
  deadlineSec: z.number().describe('A run must be finished this long after its tick.'),
  nextRun: z.string().nullable(),
  lastRun: z
    .object({
      scheduledAt: z.string(),
      status: z.enum(['running', 'succeeded', 'failed', 'late', 'missed']),
      instance: z.string(),
      startedAt: z.string(),
      finishedAt: z.string().nullable(),
      attempts: z.number(),
      error: z.string().nullable(),
    })
    .nullable()
    .describe('The latest recorded tick on this store (any instance); null when the job never ran.'),
});

/** GET /jobs: each job's schedule, deadline, next tick and last run. */
export const jobsRoutes = (jobs: JobsStatus): FastifyPluginAsyncZod =>
  async function jobsV1(app) {
    app.get(
      '/jobs',
      { config: { role: 'viewer' }, schema: { summary: 'Scheduled jobs: schedule, deadline, next run, last run and its status', tags: ['jobs'], response: { 200: z.object({ jobs: z.array(JobView) }) } } },
      async () => ({
        jobs: (await jobs.list()).map((j) => ({
          ...j,
          nextRun: j.nextRun?.toISOString() ?? null,
          lastRun: j.lastRun && {
            scheduledAt: j.lastRun.scheduledAt.toISOString(),
            status: j.lastRun.status,
            instance: j.lastRun.instance,
            startedAt: j.lastRun.startedAt.toISOString(),
            finishedAt: j.lastRun.finishedAt?.toISOString() ?? null,
            attempts: j.lastRun.attempts,
            error: j.lastRun.error,
          },
        })),
      }),
    );
  };
