import { GridcastError } from '../../core/errors.ts';
import type { ComparisonRepository, PairedForecast } from '../../core/comparison.ts';
import type { PromotionProposal, ProposalRepository } from '../../core/promotion.ts';

/** Promotion proposals in memory, with the real repository's rules (one decision per proposal, newest first). */
export function fakeProposals(now = () => new Date()): ProposalRepository {
  const rows: PromotionProposal[] = [];
  return {
    async insert(p) {
      const row: PromotionProposal = { ...structuredClone(p), id: rows.length + 1, proposedAt: now(), decision: null };
      rows.push(row);
      return structuredClone(row);
    },
    async get(id) {
      const r = rows.find((x) => x.id === id);
      return r ? structuredClone(r) : null;
    },
    async list(model) {
      return rows.filter((r) => r.model === model).reverse().map((r) => structuredClone(r));
    },
    async decide(id, d) {
      const r = rows.find((x) => x.id === id)!;
      if (r.decision) throw new GridcastError('PROPOSAL_DECIDED', `proposal ${id} has already been decided`, { id });
      r.decision = structuredClone(d);
      return structuredClone(r);
    },
  };
}

/** Stored pairs and actuals in memory, filtered and ordered as store/comparison.repository.ts does. */
export function fakeComparison(pairs: Array<PairedForecast & { championVersion: string; challengerVersion: string }>, actuals: Map<string, Map<number, number>>): ComparisonRepository {
  return {
    async pairs(q) {
      return pairs
        .filter((p) => p.championVersion === q.champion && p.challengerVersion === q.challenger && p.targetTs >= q.from && p.targetTs < q.to)
        .sort((a, b) => (a.seriesId < b.seriesId ? -1 : a.seriesId > b.seriesId ? 1 : a.targetTs.getTime() - b.targetTs.getTime() || a.issuedAt.getTime() - b.issuedAt.getTime()))
        .map(({ championVersion: _c, challengerVersion: _d, ...p }) => p);
    },
    async actuals(seriesId, from, to) {
      return new Map([...(actuals.get(seriesId) ?? [])].filter(([t]) => t >= from.getTime() && t < to.getTime()));
    },
  };
}
