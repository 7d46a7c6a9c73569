import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { storeAppDeps } from '../bin/lib/app-deps.ts';
import { runDeps } from '../bin/lib/run-deps.ts';
import { trainDeps } from '../bin/lib/train-deps.ts';
import { writeServices } from '../bin/lib/write-services.ts';
import { forecasterFor } from '../bin/lib/models.ts';
import { readServices } from '../bin/lib/read-services.ts';
import { ConfigSchema } from '../core/config.ts';
import { trainModel } from '../forecast/registry/service.ts';
import { registryStatusService } from '../forecast/registry/status-changes.ts';
import type { GroupsRunner, RunDeps } from '../forecast/run/ports.ts';
import { runForecast } from '../forecast/run/service.ts';
import { shadowScoring } from '../forecast/run/shadow.service.ts';
import { threadGroups } from '../forecast/run/workers.ts';
import { compareVersions, comparisonReport, pairedErrorsCsv } from '../monitoring/compare.service.ts';
import { promotionService } from '../monitoring/promotion.service.ts';
import { dmTest } from '../core/stats/dm.ts';
import { comparisonRepository } from '../store/comparison.repository.ts';
import type { Db } from '../store/db.ts';
import { latestRun, listRuns, readForecasts, readRun } from '../store/forecasts.repository.ts';
import { promotionsRepository } from '../store/promotions.repository.ts';
import { registryRepository } from '../store/registry.repository.ts';
import { authAs } from './api-auth.ts';
import { testApp } from './api-app.ts';
import { backends } from './db.ts';
import { cliStore } from './aggregates-fixtures.ts';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { fakeEvents } from './fakes/events.ts';
import { AS_OF_MARCH, forecastConfig, seedGrid } from './fixtures/runs/grid.ts';

// Scenario 8 (REQUIREMENTS D5): a challenger runs in shadow for several days on the simulated
// grid; it publishes nothing; its crash leaves the champion unaffected; a paired test is
// reported; promotion needs a sign-off; rollback takes one step.
// The event log is the in-memory one until the store's event table (another branch) is merged.

const DAY = 86_400_000;
const DAYS = [7, 6, 5, 4, 3, 2];
const CRASH_DAY = 4;
const health = { dbKind: 'pglite' as const, pingDb: async () => {}, lastIngestAt: () => null, sources: () => [] };

describe.each(backends)('scenario 8: champion / challenger on %s', (kind) => {
  let db: Db;
  let app: FastifyInstance;
  const config = forecastConfig();
  const promotionConfig = ConfigSchema.parse({ promotion: { rule: 'non-inferior', margin: 0.1, twoPerson: true } }).promotion;
  const events = fakeEvents();
  let champion: string;
  let challenger: string;
  const published = new Map<number, number>();
  const shadows = new Map<number, number | null>();

  const train = async (weeks: number) =>
    (
      await trainModel(
        trainDeps(db, config),
        { model: 'substations', kind: 'profile', params: { weeks }, seriesIds: ['ss2', 'ss3'], trainEnd: new Date('2025-03-15T00:00:00Z'), historyDays: 21, actor: 'ds', codeVersion: 'test' },
        (k, p) => forecasterFor(k, p),
      )
    ).version.id;
  const promotion = () =>
    promotionService({ registry: registryRepository(db), proposals: promotionsRepository(db), comparison: comparisonRepository(db), events, rule: promotionConfig, now: () => new Date() });

  let store: Awaited<ReturnType<typeof cliStore>>;
  beforeAll(async () => {
    store = await cliStore(kind);
    db = await store.open();
    await seedGrid(db, { climate: false });
    champion = await train(3);
    challenger = await train(1);
    await promotion().promote(champion, { actor: 'owner', reason: 'first model' });
    await registryStatusService({ registry: registryRepository(db) }).shadow(challenger, { actor: 'ds', reason: 'challenger' });
    app = await testApp({ ...storeAppDeps(db), health, writes: writeServices(db, { ...config, promotion: promotionConfig }) });
  }, 120_000);
  let handedOver = false;
  afterAll(async () => {
    if (!handedOver) {
      await app?.close();
      await db?.close();
    }
    await store?.cleanup();
  });

  it('runs the challenger in shadow for several days: stored on the same inputs, never published; its crash leaves the champion as it is', async () => {
    for (const d of DAYS) {
      // On one day the challenger crashes in its worker; the champion's groups run as always.
      const workers: GroupsRunner = (job, signal, deadline, artifacts) =>
        d === CRASH_DAY && job.groups.some((g) => 'champion' in g.plan && g.plan.champion === challenger) ? Promise.reject(new Error('challenger crashed')) : threadGroups(job, signal, deadline, artifacts);
      const base = runDeps(db, config);
      const scoring = shadowScoring({ store: base.store, inputs: base.inputs, workers, events, now: () => new Date(), timeoutMs: 60_000 });
      const deps: RunDeps = { ...base, workers, shadows: scoring };
      const s = await runForecast(deps, { horizon: 'day-ahead', asOf: new Date(AS_OF_MARCH.getTime() - d * DAY), method: 'bottom-up' });
      published.set(d, s.runId);
      const [outcome] = await scoring.idle();
      expect(outcome.version).toBe(challenger);
      shadows.set(d, outcome.runId);
    }
    for (const d of DAYS) {
      const run = await readRun(db, published.get(d)!);
      expect(run.shadowOf).toBeUndefined();
      expect(run.modelVersions).toMatchObject({ ss2: champion, ss3: champion });
      const values = await readForecasts(db, run.id);
      expect(values.filter((v) => ['ss2', 'ss3'].includes(v.seriesId)).every((v) => v.modelVersion === champion && v.fallbackReason === null)).toBe(true);
      const shadow = await readRun(db, shadows.get(d)!);
      expect(shadow.shadowOf).toEqual({ runId: run.id, version: challenger });
      expect([shadow.issuedAt, shadow.origin, shadow.inputsHash]).toEqual([run.issuedAt, run.origin, run.inputsHash]);
      const shadowValues = await readForecasts(db, shadow.id, { seriesId: 'ss2', grain: '1h' });
      if (d === CRASH_DAY) expect(shadowValues.every((v) => v.fallbackReason !== null)).toBe(true);
      else expect(shadowValues.every((v) => v.modelVersion === challenger && v.fallbackReason === null)).toBe(true);
    }
    // The crash is an event, and the champion's run that day is like the others: stored before the shadow started.
    expect(events.rows.filter((e) => e.kind === 'shadow-failed').map((e) => [e.runId, e.modelVersion, (e.detail as { failedSeries: string[] }).failedSeries])).toEqual([[published.get(CRASH_DAY), challenger, ['ss2', 'ss3']]]);
    expect(shadows.get(CRASH_DAY)!).toBeGreaterThan(published.get(CRASH_DAY)!);

    // Publishes nothing: the latest run, the list, and the reads by id never serve a shadow run.
    expect((await latestRun(db, 'day-ahead'))!.id).toBe(published.get(2));
    const listed = (await listRuns(db, { limit: 100 })).map((r) => r.id);
    expect(listed.sort()).toEqual([...published.values()].sort());
    const reader = readServices(db, config).runs;
    await expect(reader.forecasts({ runId: shadows.get(2)! })).rejects.toMatchObject({ code: 'RUN_NOT_FOUND' });
    const viewer = await authAs(db, 'viewer');
    const res = await app.inject({ method: 'GET', url: `/api/v1/runs/${shadows.get(2)}`, headers: viewer });
    expect(res.statusCode).toBe(404);
  }, 300_000);

  it('reports the paired test over exactly the paired errors it writes (API and the CSV of the CLI)', async () => {
    const c = await compareVersions(comparisonRepository(db), { champion, challenger, from: new Date(0), to: new Date() });
    // 5 days without a crash × 2 series × 24 hours: the crashed day's fallbacks are no evidence.
    expect(c.errors).toHaveLength(5 * 2 * 24);
    const viewer = await authAs(db, 'viewer');
    const res = await app.inject({ method: 'GET', url: `/api/v1/models/substations/compare?challenger=${challenger}&errors=true`, headers: viewer });
    expect(res.statusCode, res.body).toBe(200);
    const body = res.json();
    expect(body).toMatchObject({ champion, challenger, n: 240 });
    const csv = pairedErrorsCsv(comparisonReport(c, true).errors!).trim().split('\n').slice(1).map((l) => l.split(','));
    const e1 = csv.map((r) => Number(r[3]));
    const e2 = csv.map((r) => Number(r[4]));
    const r = dmTest(e1, e2, { h: body.h, power: 2 });
    expect(body.dm).toBeCloseTo(r.statistic, 10);
    expect(body.pValue).toBeCloseTo(r.pValue, 10);
    expect(body.meanLossDiff).toBeCloseTo(r.meanLossDiff, 10);
    expect(body.perLead.length).toBeGreaterThan(0);
    expect(body.daily.n).toBe(5);
  });

  it('promotes only with a sign-off by another admin, and rolls back in one step', async () => {
    const service = promotion();
    await expect(service.promote(challenger, { actor: 'owner', reason: 'alone' })).rejects.toMatchObject({ code: 'PROMOTION_SIGNOFF_REQUIRED' });
    const p = await service.propose(challenger, { actor: 'apikey:op', reason: 'as good in shadow, simpler' });
    expect(p.test).toMatchObject({ compared: true, n: 240, rule: 'non-inferior' });
    await expect(service.signoff(p.id, { actor: 'apikey:op' })).rejects.toMatchObject({ code: 'SIGNOFF_BY_PROPOSER' });
    const signed = service.signoff(p.id, { actor: 'apikey:admin' });
    if (!p.test.passed) {
      await expect(signed).rejects.toMatchObject({ code: 'PROMOTION_REFUSED' });
      expect(events.rows.at(-1)).toMatchObject({ kind: 'promotion-refused', modelVersion: challenger });
      throw new Error(`the fixture's challenger should pass non-inferiority: ${p.test.reason}`);
    }
    expect((await signed).promotion.previousChampion!.id).toBe(champion);
    expect(events.rows.at(-1)).toMatchObject({ kind: 'promotion', modelVersion: challenger });
    const back = await service.rollback('substations', { actor: 'apikey:admin', reason: 'alarm in production' });
    expect(back).toMatchObject({ version: { id: champion, status: 'champion' }, replaced: { id: challenger } });
    expect(events.rows.at(-1)).toMatchObject({ kind: 'rollback', modelVersion: champion });
    const history = await service.history('substations');
    expect(history.map((h) => [h.version, h.how, h.proposedBy, h.signedBy, h.to === null])).toEqual([
      [champion, 'promote', 'owner', 'owner', false],
      [challenger, 'promote', 'apikey:op', 'apikey:admin', false],
      [champion, 'rollback', null, null, true],
    ]);
    expect(history[1].test).toMatchObject({ passed: true, n: 240 });
  });

  it('gridcast models compare prints, as JSON, the test of exactly the paired errors it writes', async () => {
    // The embedded store takes one process: hand it over to the command.
    handedOver = true;
    await app.close();
    await db.close();
    const out = join(mkdtempSync(join(tmpdir(), 'gridcast-compare-')), 'errors.csv');
    const cli = fileURLToPath(new URL('../bin/gridcast.mjs', import.meta.url));
    const r = await new Promise<{ code: number; stdout: string; stderr: string }>((done) =>
      execFile(process.execPath, [cli, 'models', 'compare', champion, challenger, '--format', 'json', '--errors-out', out], { env: { ...process.env, FORCE_COLOR: '0', ...store.env } }, (err, stdout, stderr) =>
        done({ code: err ? 1 : 0, stdout, stderr }),
      ),
    );
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout);
    const lines = readFileSync(out, 'utf8').trim().split('\n');
    expect(lines[0]).toBe('ts,series_id,lead,champion_error,challenger_error');
    const rows = lines.slice(1).map((l) => l.split(','));
    expect(rows).toHaveLength(report.n);
    expect(report.n).toBe(240);
    const t = dmTest(rows.map((x) => Number(x[3])), rows.map((x) => Number(x[4])), { h: report.h, power: 2 });
    expect([report.dm, report.pValue, report.meanLossDiff]).toEqual([t.statistic, t.pValue, t.meanLossDiff]);
    expect(Number.isInteger(report.h)).toBe(true);
    console.log(`scenario 8 (${kind}): DM ${report.dm} p ${report.pValue} h ${report.h} n ${report.n} meanLossDiff ${report.meanLossDiff} ci ${report.ci}; daily ${JSON.stringify(report.daily)}`);
  }, 120_000);
});
