import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { forecasterFor } from '../bin/lib/models.ts';
import { replayJobsOf, type Knowledge } from '../bin/lib/replay-jobs.ts';
import { trainDeps } from '../bin/lib/train-deps.ts';
import { ConfigSchema, type Config } from '../core/config.ts';
import { validateTopology } from '../core/topology/validate.ts';
import { trainModel } from '../forecast/registry/service.ts';
import { readDefaultGrid } from '../ingest/simulator/default-grid.ts';
import { createSimulator } from '../ingest/simulator/simulator.ts';
import { replayClock, replayJobs } from '../jobs/replay.ts';
import { createAccuracyService } from '../monitoring/accuracy.service.ts';
import type { Db } from '../store/db.ts';
import { registryRepository } from '../store/registry.repository.ts';
import { openReplayScope, type ReplayScope } from '../store/replay.repository.ts';
import { scoresRepository } from '../store/scores.repository.ts';
import { saveTopology } from '../store/topology.repository.ts';
import { cliStore, createSeries } from './aggregates-fixtures.ts';
import { backends, storeWithUrl } from './db.ts';
import { forecastConfig, seedGrid } from './fixtures/runs/grid.ts';
import { insertRun } from './fixtures/scored-run.ts';

const exec = promisify(execFile);
const CLI = new URL('../bin/gridcast.mjs', import.meta.url).pathname;
const H = 3_600_000;
const LIVE_TABLES = ['forecast_runs', 'forecasts', 'forecast_scores', 'score_progress', 'events'];

interface StoredScore {
  run_id: string;
  series_id: string;
  grain: string;
  target_ts: Date;
  truth_version: Date;
  truth_status: string;
  horizon: string;
  model_version: string;
  lead_hours: number;
  forecast: number;
  actual: number;
  error: number;
  ape: number | null;
  pinball: number[];
  inside: boolean | null;
}
const SCORE_COLUMNS = 'run_id, series_id, grain, target_ts, truth_version, truth_status, horizon, model_version, lead_hours, forecast, actual, error, ape, pinball, inside';
const scores = async (db: Db) => (await db.query<StoredScore>(`SELECT ${SCORE_COLUMNS} FROM forecast_scores ORDER BY run_id, series_id, grain, target_ts, truth_version`)).rows;
const count = async (db: Db, table: string) => (await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${table}`)).rows[0].n;

/**
 * A replay runs the live system's `score` job (every 15 minutes, incremental) and its monthly
 * `review` over the replayed runs, in the replay's scratch schema: the accuracy and the
 * retraining proposals live operation would have had at each replayed tick, never written to
 * the live tables, with the actuals as the replay's --known-at allows.
 */
describe.each(backends)('a replay scores and reviews (%s)', (kind) => {
  const cleanup: Array<() => Promise<void>> = [];
  afterAll(async () => {
    for (const c of cleanup.reverse()) await c();
  });

  const store = () => storeWithUrl(kind, cleanup);

  /** Replays `jobs` (default: every replayed job) of `config` over [from, to) in a new scope, which is returned open. */
  async function replay(
    s: { db: Db; url?: string },
    config: Config,
    opts: { from: Date; to: Date; knowledge: Knowledge; only?: string[]; stamp: string },
  ): Promise<{ scope: ReplayScope; failed: string[]; ticks: Map<string, number> }> {
    const scope = await openReplayScope(s.db, { ...(s.url && { databaseUrl: s.url }), stamp: `${opts.stamp}_${process.pid}_${kind}` });
    const clock = replayClock(opts.from);
    const jobs = replayJobsOf(scope.db, config, clock, { horizons: ['day-ahead'], knowledge: opts.knowledge }).filter((j) => !opts.only || opts.only.includes(j.name));
    const done = await replayJobs(jobs, { from: opts.from, to: opts.to, timeZone: config.timeZone, clock });
    const ticks = new Map<string, number>();
    for (const t of done) ticks.set(t.job, (ticks.get(t.job) ?? 0) + 1);
    return { scope, failed: done.filter((t) => t.status === 'failed').map((t) => `${t.at.toISOString()} ${t.job} ${t.error?.code}: ${t.error?.message}`), ticks };
  }

  /** The live tables, read past the scope: nothing a replay made is there. */
  async function expectLiveUntouched(db: Db) {
    for (const t of LIVE_TABLES) expect([t, await count(db, t)]).toEqual([t, 0]);
  }

  it('scores the replayed runs at the score ticks, as the score service scores the same runs and actuals, in its scratch schema only', async () => {
    const s = await store();
    await seedGrid(s.db, { climate: false });
    const config = forecastConfig();
    const from = new Date('2025-03-26T23:00:00Z');
    const to = new Date('2025-03-29T10:00:00Z');
    const { scope, failed, ticks } = await replay(s, config, { from, to, knowledge: 'timestamps', stamp: 'score' });
    try {
      expect(failed).toEqual([]);
      expect(ticks.get('score')).toBe((to.getTime() - from.getTime()) / (15 * 60_000));
      expect(ticks.get('forecast-day-ahead')).toBe(3);
      const replayed = await scores(scope.db);
      // Runs of 27 and 28 March (7 nodes): 28 March's 24 hours and the 10 of 29 March settled before 10:00Z; the day of 28 March.
      expect(replayed.filter((r) => r.grain === '1h')).toHaveLength(7 * (24 + 10));
      expect(replayed.filter((r) => r.grain === '1d')).toHaveLength(7);
      expect(new Set(replayed.map((r) => r.run_id)).size).toBe(2);
      expect(replayed.every((r) => r.horizon === 'day-ahead')).toBe(true);
      if (kind === 'pg') await expectLiveUntouched(s.db);

      // The score service once, at the last score tick, on the same runs and actuals (read as the replay reads them): the same scores.
      await scope.db.query('DELETE FROM forecast_scores');
      await scope.db.query('DELETE FROM score_progress');
      const once = createAccuracyService({ scores: scoresRepository(scope.db), timeZone: config.timeZone, ...config.accuracy, knownBy: 'timestamps' });
      expect(await once.scoreNew(new Date(to.getTime() - 15 * 60_000))).toEqual({ scored: replayed.length });
      expect(await scores(scope.db)).toEqual(replayed);
    } finally {
      await scope.close();
    }
    await expectLiveUntouched(s.db);
  }, 300_000);

  it('uses, under --known-at received, only the actuals received by the tick; by timestamps every stored one', async () => {
    const s = await store();
    await createSeries(s.db, [{ id: 's', unit: 'MW' }]);
    const DAY = Date.parse('2025-06-10T00:00:00Z');
    const LATE = new Date('2025-06-12T00:00:00Z');
    // Hourly load, each hour received 5 minutes after it ends; hours 10 and 11 only on 12 June (a late batch).
    const csv = Array.from({ length: 24 }, (_, h) => `s,${new Date(DAY + h * H).toISOString()},${50 + h},ok,${(h === 10 || h === 11 ? LATE : new Date(DAY + (h + 1) * H + 300_000)).toISOString()}`);
    await s.db.copyCsv('measurements', ['series_id', 'ts', 'value', 'quality', 'received_at'], csv.join('\n') + '\n');
    const config = ConfigSchema.parse({ timeZone: 'UTC' });
    const means = Array.from({ length: 24 }, (_, h) => 52 + h);
    const scored = async (knowledge: Knowledge, to: Date) => {
      // A day-ahead run issued the day before, as the replay's forecast job would have stored it.
      const scope = await openReplayScope(s.db, { ...(s.url && { databaseUrl: s.url }), stamp: `k${knowledge}${to.getTime()}_${process.pid}_${kind}` });
      try {
        await insertRun(scope.db, { seriesId: 's', issuedAt: new Date(DAY - 14 * H), start: new Date(DAY), means, daily: { timeZone: 'UTC', unit: 'MW' } });
        const clock = replayClock(new Date(DAY));
        const jobs = replayJobsOf(scope.db, config, clock, { horizons: ['day-ahead'], knowledge }).filter((j) => j.name === 'score');
        const done = await replayJobs(jobs, { from: new Date(DAY), to, timeZone: config.timeZone, clock });
        expect(done.every((t) => t.status === 'succeeded')).toBe(true);
        return await scores(scope.db);
      } finally {
        await scope.close();
      }
    };
    const dayAfter = new Date(DAY + 48 * H);
    const received = await scored('received', dayAfter);
    // Hours 10 and 11 were received after every tick: unscored, and so is the day.
    expect(received.filter((r) => r.grain === '1h').map((r) => new Date(r.target_ts).getUTCHours())).toEqual([...Array(24).keys()].filter((h) => h !== 10 && h !== 11));
    expect(received.filter((r) => r.grain === '1d')).toEqual([]);
    const byTimestamps = await scored('timestamps', dayAfter);
    expect(byTimestamps.filter((r) => r.grain === '1h')).toHaveLength(24);
    expect(byTimestamps.filter((r) => r.grain === '1d').map((r) => [r.actual, r.truth_version])).toEqual([[50 + 11.5, LATE]]);
    // Replayed past the late batch: scored at the first tick after it, with its receipt time as truth version.
    const later = await scored('received', new Date(LATE.getTime() + H));
    expect(later.filter((r) => r.grain === '1h')).toHaveLength(24);
    expect(later.filter((r) => new Date(r.target_ts).getUTCHours() === 10 && r.grain === '1h').map((r) => r.truth_version)).toEqual([LATE]);
    expect(later.filter((r) => r.grain === '1d').map((r) => [r.actual, r.truth_version])).toEqual([[50 + 11.5, LATE]]);
    await expectLiveUntouched(s.db);
  }, 300_000);

  it('raises a retraining proposal at the monthly review after a degraded period, printed and in --events-out (gridcast replay)', async () => {
    const cli = await cliStore(kind);
    cleanup.push(() => cli.cleanup());
    const dir = mkdtempSync(join(tmpdir(), 'gridcast-replay-review-'));
    cleanup.push(async () => rmSync(dir, { recursive: true, force: true }));
    const settings = {
      timeZone: 'UTC',
      simulator: { enabled: false },
      forecast: { defaultModel: { kind: 'profile', params: { weeks: 4 } }, historyDays: 35, reconciliation: 'bottom-up' },
      // A week's window keeps the replay short; the detectors are not what is looked at here.
      review: { windowDays: 7, minScoredDays: 5 },
      jobs: { ruptures: { enabled: false }, drift: { enabled: false } },
    };
    const config = ConfigSchema.parse(settings);
    const configFile = join(dir, 'gridcast.json');
    writeFileSync(configFile, JSON.stringify(settings));
    const STEP = Date.parse('2025-04-24T00:00:00Z');
    let champion: string;
    let backtest: number;
    let db = await cli.open();
    try {
      await saveTopology(
        db,
        validateTopology({
          timeZone: 'UTC',
          nodes: [
            { id: 'top', kind: 'load', unit: 'MW' },
            { id: 'a', parent: 'top', kind: 'load', unit: 'MW' },
            { id: 'b', parent: 'top', kind: 'load', unit: 'MW' },
          ],
        }),
      );
      // Two simulated substations, received 5 minutes after each hour; from 24 April their load is 30 % lower (large consumers left).
      const sim = createSimulator({ seed: 10, topology: readDefaultGrid(), faults: false });
      const from = { a: 'ss.lille-1', b: 'ss.dunkerque' } as const;
      const lines: string[] = [];
      for (const m of sim.generate(new Date('2025-02-01T00:00:00Z'), new Date('2025-05-02T00:00:00Z'), 3600).measurements) {
        for (const [id, src] of Object.entries(from)) {
          if (src !== m.seriesId) continue;
          const t = m.ts.getTime();
          lines.push(`${id},${m.ts.toISOString()},${t >= STEP ? 0.7 * m.value : m.value},ok,${new Date(t + H + 300_000).toISOString()}`);
        }
      }
      await db.copyCsv('measurements', ['series_id', 'ts', 'value', 'quality', 'received_at'], lines.join('\n') + '\n');
      // The champion: a 4-week profile trained to 10 April, its backtest the week after; promoted on 17 April (before the period).
      const trained = await trainModel(
        trainDeps(db, config),
        { model: 'grid', kind: 'profile', params: { weeks: 4 }, seriesIds: ['top', 'a', 'b'], trainEnd: new Date('2025-04-10T00:00:00Z'), historyDays: 35, backtest: { name: 'bt-april', origins: 7, horizon: 24 }, actor: 'ds', codeVersion: 'test' },
        (k, p) => forecasterFor(k, p),
      );
      champion = trained.version.id;
      await registryRepository(db).transaction((tx) => tx.setStatus(champion, 'champion', { actor: 'owner', reason: 'first model', action: 'promote' }));
      await db.query(
        `INSERT INTO audit_log (at, actor, action, entity, entity_id, from_status, to_status, reason) VALUES ($1, 'owner', 'promote', 'model_version', $2, 'candidate', 'champion', 'first model')`,
        [new Date('2025-04-17T00:00:00Z'), champion],
      );
      backtest = (trained.version.metrics as Record<string, { all: { mape: number } }>)['bt-april'].all.mape;
      expect(backtest).toBeLessThan(10);
    } finally {
      await db.close();
    }

    // A week of day-ahead runs on the lower load, and the review of 1 May 06:00 (after the score tick of 06:00, the last one replayed).
    const eventsCsv = join(dir, 'events.csv');
    const r = await exec('node', [CLI, 'replay', '--from', '2025-04-24T00:00:00Z', '--to', '2025-05-01T06:05:00Z', '--known-at', 'received', '--events-out', eventsCsv, '--keep'], {
      env: { ...process.env, ...cli.env, GRIDCAST_CONFIG: configFile, LOG_LEVEL: 'warn' },
      maxBuffer: 64 * 1024 * 1024,
    });
    expect(r.stdout).toMatch(/^forecast-day-ahead +7 +0$/m);
    expect(r.stdout).toMatch(/^review +1 +0$/m);
    expect(r.stdout).toMatch(/^retrain-proposal +1$/m);
    expect(r.stdout).toMatch(new RegExp(`^1 retraining proposal:\\n  2025-05-01T06:00:00.000Z ${champion}: window MAPE \\d+\\.\\d\\d % vs backtest ${backtest.toFixed(2)} % \\(×\\d+\\.\\d\\d\\) on \\d scored days$`, 'm'));
    const proposalLines = readFileSync(eventsCsv, 'utf8').split('\n').filter((l) => l.includes(',retrain-proposal,'));
    expect(proposalLines).toEqual([expect.stringMatching(new RegExp(`^2025-05-01T06:00:00.000Z,retrain-proposal,,${champion},`))]);

    const schema = /replay schema kept: (replay_[a-z0-9_]+)/.exec(r.stderr)![1];
    db = await cli.open();
    try {
      const { rows } = await db.query<{ at: Date; model_version: string; severity: string; detail: { windowMape: number; backtestMape: number; scoredDays: number; levelRatio: number } }>(
        `SELECT at, model_version, severity, detail FROM ${schema}.events WHERE kind = 'retrain-proposal'`,
      );
      expect(rows).toHaveLength(1);
      const p = rows[0];
      expect([p.at, p.model_version, p.severity, p.detail.backtestMape]).toEqual([new Date('2025-05-01T06:00:00Z'), champion, 'warning', backtest]);
      expect(p.detail.windowMape).toBeGreaterThan(1.5 * backtest);
      expect(p.detail.scoredDays).toBeGreaterThanOrEqual(5);
      expect(p.detail.levelRatio).toBeLessThan(0.8);
      // The window MAPE is that of the champion's hourly scores of the window, as the replay scored them.
      const window = await db.query<{ mape: number }>(
        `SELECT 100 * avg(ape) AS mape FROM (
           SELECT DISTINCT ON (run_id, series_id, target_ts) ape FROM ${schema}.forecast_scores
           WHERE grain = '1h' AND model_version = $1 AND target_ts >= '2025-04-24T06:00:00Z' AND target_ts < '2025-05-01T06:00:00Z'
           ORDER BY run_id, series_id, target_ts, truth_version DESC) AS latest`,
        [champion],
      );
      expect(p.detail.windowMape).toBeCloseTo(window.rows[0].mape, 9);
      await expectLiveUntouched(db);
      await db.exec(`DROP SCHEMA ${schema} CASCADE`);
    } finally {
      await db.close();
    }
  }, 600_000);
});
