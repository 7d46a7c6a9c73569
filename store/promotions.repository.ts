import { GridcastError } from '../core/errors.ts';
import type { PromotionProposal, PromotionTest, ProposalRepository } from '../core/promotion.ts';
import type { Queryable } from './db.ts';

interface Row {
  id: number;
  model: string;
  version_id: string;
  champion_id: string | null;
  proposed_by: string;
  proposed_at: Date;
  reason: string;
  test: PromotionTest;
  decided_by: string | null;
  decided_at: Date | null;
  outcome: 'promoted' | 'refused' | null;
  detail: Record<string, unknown> | null;
}

const SELECT = `SELECT p.*, d.decided_by, d.decided_at, d.outcome, d.detail FROM promotion_proposals p LEFT JOIN promotion_decisions d ON d.proposal_id = p.id`;

const fromDb = (r: Row): PromotionProposal => ({
  id: Number(r.id),
  model: r.model,
  versionId: r.version_id,
  championId: r.champion_id,
  proposedBy: r.proposed_by,
  proposedAt: r.proposed_at,
  reason: r.reason,
  test: r.test,
  decision: r.outcome ? { by: r.decided_by!, at: r.decided_at!, outcome: r.outcome, detail: r.detail ?? {} } : null,
});

/** Promotion proposals and decisions (migration 091): two append-only tables. */
export function promotionsRepository(q: Queryable): ProposalRepository {
  const get = async (id: number) => {
    const { rows } = await q.query<Row>(`${SELECT} WHERE p.id = $1`, [id]);
    return rows[0] ? fromDb(rows[0]) : null;
  };
  return {
    async insert(p) {
      const { rows } = await q.query<{ id: number }>(
        `INSERT INTO promotion_proposals (model, version_id, champion_id, proposed_by, reason, test) VALUES ($1, $2, $3, $4, $5, $6::jsonb) RETURNING id`,
        [p.model, p.versionId, p.championId, p.proposedBy, p.reason, JSON.stringify(p.test)],
      );
      return (await get(Number(rows[0].id)))!;
    },
    get,
    async list(model) {
      const { rows } = await q.query<Row>(`${SELECT} WHERE p.model = $1 ORDER BY p.id DESC`, [model]);
      return rows.map(fromDb);
    },
    async decide(id, d) {
      const { rowCount } = await q.query(
        `INSERT INTO promotion_decisions (proposal_id, decided_by, decided_at, outcome, detail) VALUES ($1, $2, $3, $4, $5::jsonb) ON CONFLICT (proposal_id) DO NOTHING`,
        [id, d.by, d.at, d.outcome, JSON.stringify(d.detail)],
      );
      if (rowCount === 0) throw new GridcastError('PROPOSAL_DECIDED', `proposal ${id} has already been decided`, { id });
      return (await get(id))!;
    },
  };
}
