import type { AccuracyQuery, AccuracyRow, ForecastScore, ScoreCandidate, ScoreProgress, ScoreStore } from '../../core/scores.ts';

const key = (s: { runId: number; seriesId: string; grain: string; targetTs: Date }) => `${s.runId}|${s.seriesId}|${s.grain}|${s.targetTs.toISOString()}`;
const mean = (xs: number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : null);

/**
 * Scores in memory. `truths` are the forecast values with their current actual (what the store
 * would compute); candidates are those in the window not yet scored at that truth version. It
 * ignores `since` (it examines everything each pass), which the port allows: `since` only narrows.
 */
export function fakeScores(truths: ScoreCandidate[] = []): ScoreStore & { rows: ForecastScore[]; truths: ScoreCandidate[]; saved: ScoreProgress[] } {
  const rows: ForecastScore[] = [];
  const saved: ScoreProgress[] = [];
  return {
    rows,
    truths,
    saved,
    async progress() {
      return { last: saved.at(-1) ?? null, newestRunId: Math.max(0, ...truths.map((t) => t.runId)) };
    },
    async saveProgress(p) {
      saved.push(p);
    },
    async candidates({ from, to, asOf }) {
      return truths.filter(
        (c) =>
          c.targetTs >= from && c.targetTs < to && c.targetTs.getTime() + 3_600_000 <= asOf.getTime() && c.truthVersion <= asOf &&
          !rows.some((s) => key(s) === key(c) && s.truthVersion.getTime() === c.truthVersion.getTime()),
      );
    },
    async insert(scores) {
      let n = 0;
      for (const s of scores) {
        if (rows.some((r) => key(r) === key(s) && r.truthVersion.getTime() === s.truthVersion.getTime())) continue;
        rows.push(structuredClone(s));
        n++;
      }
      return n;
    },
    async accuracy(q: AccuracyQuery) {
      const latest = new Map<string, ForecastScore>();
      for (const s of rows) {
        if (s.targetTs < q.from || s.targetTs >= q.to) continue;
        if ((q.seriesId !== undefined && s.seriesId !== q.seriesId) || (q.horizon && s.horizon !== q.horizon) || (q.modelVersion !== undefined && s.modelVersion !== q.modelVersion)) continue;
        if (q.grain && s.grain !== q.grain) continue;
        const k = key(s);
        if (!latest.has(k) || latest.get(k)!.truthVersion < s.truthVersion) latest.set(k, s);
      }
      const groups = new Map<string, ForecastScore[]>();
      for (const s of latest.values()) {
        const lead = q.by === 'lead' ? Math.floor(s.leadHours / 24) * 24 : null;
        const day = q.by === 'day' ? new Intl.DateTimeFormat('en-CA', { timeZone: q.timeZone }).format(s.targetTs) : null;
        const g = JSON.stringify([s.seriesId, s.horizon, s.grain === '1h' ? 0 : 1, lead, day]);
        groups.set(g, [...(groups.get(g) ?? []), s]);
      }
      return [...groups.entries()].sort(([a], [b]) => (a < b ? -1 : 1)).map(([g, ss]): AccuracyRow => {
        const [seriesId, horizon, grainOrder, leadFrom, day] = JSON.parse(g) as [string, AccuracyRow['horizon'], number, number | null, string | null];
        const apes = ss.flatMap((s) => (s.ape === null ? [] : [s.ape]));
        const near = ss.filter((s) => s.ape === null).map((s) => Math.abs(s.error));
        const pin = ss.flatMap((s) => { const m = mean(s.pinball); return m === null ? [] : [m]; });
        const ins = ss.flatMap((s) => (s.inside === null ? [] : [s.inside ? 1 : 0]));
        const m = mean(apes);
        const c = mean(ins);
        return {
          seriesId, horizon, grain: grainOrder === 0 ? '1h' : '1d', leadFrom, leadTo: leadFrom === null ? null : leadFrom + 24, day, n: ss.length,
          mape: m === null ? null : 100 * m, nApe: apes.length, maeNearZero: mean(near), mae: mean(ss.map((s) => Math.abs(s.error)))!, meanActual: mean(ss.map((s) => s.actual))!,
          bias: mean(ss.map((s) => s.error))!, pinball: mean(pin), coverage: c === null ? null : 100 * c,
        };
      });
    },
  };
}
