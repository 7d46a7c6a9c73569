/** Promotion proposals (D5): a proposal with the paired test computed when it was made, and its one decision. */

export const PROMOTION_RULES = ['better', 'non-inferior'] as const;
export type PromotionRuleName = (typeof PROMOTION_RULES)[number];

/** The paired test a proposal carries (monitoring/promotion.ts promotionVerdict). */
export interface PromotionTest {
  passed: boolean;
  /** Why it passed or not, for a person. */
  reason: string;
  /** False for a model's first champion: there is nothing to compare against, only the sign-off counts. */
  compared: boolean;
  rule: PromotionRuleName;
  alpha: number;
  margin: number;
  minPairs: number;
  from?: string;
  to?: string;
  dm?: number;
  pValue?: number;
  h?: number;
  n?: number;
  meanLossDiff?: number;
  ci?: [number, number];
}

export interface PromotionProposal {
  id: number;
  model: string;
  versionId: string;
  /** The champion when proposed (null: a first champion); the sign-off refuses if it has changed. */
  championId: string | null;
  proposedBy: string;
  proposedAt: Date;
  reason: string;
  test: PromotionTest;
  decision: { by: string; at: Date; outcome: 'promoted' | 'refused'; detail: Record<string, unknown> } | null;
}

export type NewProposal = Omit<PromotionProposal, 'id' | 'proposedAt' | 'decision'>;

/** store/promotions.repository.ts on the database; append-only (a proposal, then at most one decision). */
export interface ProposalRepository {
  insert(p: NewProposal): Promise<PromotionProposal>;
  get(id: number): Promise<PromotionProposal | null>;
  /** Proposals of a model, newest first. */
  list(model: string): Promise<PromotionProposal[]>;
  /** Records the decision; PROPOSAL_DECIDED if one was already recorded. */
  decide(id: number, d: NonNullable<PromotionProposal['decision']>): Promise<PromotionProposal>;
}
