import type { Config } from '../../core/config.ts';
import type { Log } from '../../core/log.ts';
import { promotionService, type PromotionService } from '../../monitoring/promotion.service.ts';
import { comparisonRepository } from '../../store/comparison.repository.ts';
import type { Db } from '../../store/db.ts';
import { promotionsRepository } from '../../store/promotions.repository.ts';
import { registryRepository } from '../../store/registry.repository.ts';
import { eventsRepository } from '../../store/events.repository.ts';

/** Promotion with the paired test and sign-off (config.promotion) over one store, on the wall clock. */
export function promotionServiceOf(db: Db, config: Config, log?: Log): PromotionService {
  const { rule, alpha, margin, minPairs, twoPerson } = config.promotion;
  return promotionService({
    registry: registryRepository(db),
    proposals: promotionsRepository(db),
    comparison: comparisonRepository(db),
    events: eventsRepository(db),
    rule: { rule, alpha, margin, minPairs, twoPerson },
    now: () => new Date(),
  });
}
