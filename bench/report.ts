import type { BacktestScore } from '../forecast/backtest/score.ts';

export interface BenchRow {
  dataset: string;
  series: string;
  weather: string;
  model: string;
  score?: BacktestScore;
  /** For averaged levels: how many series the averages cover, and which had no MAPE. */
  averaged?: { count: number; mapeUndefined: string[] };
  error?: string;
  note?: string;
}

const f = (v: number | null | undefined, d = 2) => (v === null || v === undefined || !Number.isFinite(v) ? '—' : v.toFixed(d));

/** MAPE, or MAE marked as such where MAPE is undefined (zero actuals). */
function pointError(s: BacktestScore): string {
  return s.mape === null ? `MAE ${f(s.mae, 1)}` : f(s.mape);
}

export function renderTable(rows: BenchRow[]): string {
  const head = ['dataset', 'series', 'weather', 'model', 'origins', 'MAPE %', 'pinball %', 'P10-P90 cov %', 'fit s/origin', 'notes'];
  const body = rows.map((r) => {
    const s = r.score;
    const notes = [r.error ? `FAILED ${r.error}` : '', r.note ?? '', r.averaged?.mapeUndefined.length ? `MAPE undefined on ${r.averaged.mapeUndefined.join(',')} (excluded from MAPE mean)` : '', s && Object.keys(s.fallbacks).length ? `fallbacks: ${Object.entries(s.fallbacks).map(([k, n]) => `${k} ×${n}`).join(', ')}` : '', s && s.mape === null && !r.averaged ? s.mapeUndefined ?? '' : '']
      .filter(Boolean)
      .join('; ');
    return [r.dataset, r.series, r.weather, r.model, s ? String(r.averaged ? `${s.origins}×${r.averaged.count}` : s.origins) : '—', s ? pointError(s) : '—', s ? f(s.pinballPct) : '—', s ? f(s.coverage, 1) : '—', s ? f(s.fitMs / 1000, 2) : '—', notes];
  });
  const w = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i].length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(w[i])).join(' | ')} |`;
  return [line(head), `|${w.map((n) => '-'.repeat(n + 2)).join('|')}|`, ...body.map(line)].join('\n');
}

/** Mean of per-series scores (MAPE over the series where it is defined), for a level such as "zones". */
export function averageScores(scores: { id: string; score: BacktestScore }[]): { score: BacktestScore; averaged: { count: number; mapeUndefined: string[] } } {
  const mean = (xs: number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : Number.NaN);
  const defined = scores.filter((s) => s.score.mape !== null);
  const pick = (k: 'pinballPct' | 'coverage' | 'fitMs' | 'mae' | 'rmse') => mean(scores.map((s) => s.score[k] ?? Number.NaN).filter(Number.isFinite));
  const fallbacks: Record<string, number> = {};
  for (const s of scores) for (const [k, n] of Object.entries(s.score.fallbacks)) fallbacks[k] = (fallbacks[k] ?? 0) + n;
  const first = scores[0].score;
  return {
    score: {
      ...first,
      n: scores.reduce((a, s) => a + s.score.n, 0),
      mape: defined.length ? mean(defined.map((s) => s.score.mape!)) : null,
      mae: pick('mae'),
      rmse: pick('rmse'),
      pinballPct: pick('pinballPct'),
      coverage: pick('coverage'),
      fitMs: pick('fitMs'),
      fallbacks,
    },
    averaged: { count: scores.length, mapeUndefined: scores.filter((s) => s.score.mape === null).map((s) => s.id) },
  };
}

/** Per model: on how many series (cases) its MAPE is below / above seasonal naive's, and the mean ratio of the two. */
export function winLoss(byCase: Map<string, Map<string, BacktestScore>>, models: string[], name: (model: string) => string = (m) => m): string {
  const lines = ['| model | wins | losses | series lost | mean MAPE ratio to seasonal naive |', '|---|---|---|---|---|'];
  for (const m of models) {
    let wins = 0;
    let losses = 0;
    const lost: string[] = [];
    const ratios: number[] = [];
    for (const [id, scores] of byCase) {
      const a = scores.get(m)?.mape;
      const b = scores.get('seasonal-naive')?.mape;
      if (a === undefined || a === null || b === undefined || b === null) continue;
      ratios.push(a / b);
      if (a < b) wins++;
      else if (a > b) {
        losses++;
        lost.push(id);
      }
    }
    const mean = ratios.length ? ratios.reduce((x, y) => x + y, 0) / ratios.length : Number.NaN;
    lines.push(`| ${name(m)} | ${wins} | ${losses} | ${lost.join(', ') || '—'} | ${mean.toFixed(3)} |`);
  }
  return lines.join('\n');
}


/**
 * What `auto` served over a backtest's origins: the mean weight of each candidate (a model that
 * served alone counts as weight 1; a mixture is labelled 'mlpol(a 0.52, b 0.48)'), and how often a
 * mixture served.
 */
export function autoNote(producedBy: Record<string, number>): string {
  const weight = new Map<string, number>();
  let origins = 0;
  let mixed = 0;
  for (const [model, n] of Object.entries(producedBy)) {
    origins += n;
    const mix = model.match(/^mlpol\((.*)\)$/);
    const parts = mix ? mix[1].split(', ').map((p) => { const i = p.lastIndexOf(' '); return [p.slice(0, i), Number(p.slice(i + 1))] as const; }) : [[model, 1] as const];
    if (mix) mixed += n;
    for (const [m, w] of parts) weight.set(m, (weight.get(m) ?? 0) + w * n);
  }
  const mean = [...weight].map(([m, w]) => [m, w / origins] as const).sort((a, b) => b[1] - a[1]);
  return `mean weights ${mean.map(([m, w]) => `${m} ${w.toFixed(2)}`).join(', ')}; mixture at ${mixed}/${origins} origins`;
}
