import { registryStatusService, type RegistryStatusService } from '../../forecast/registry/status-changes.ts';
import type { Db } from '../../store/db.ts';
import { registryRepository } from '../../store/registry.repository.ts';

/** The registry's status changes over the store: shadow and retire (promotion and rollback go through bin/lib/promotion-service.ts, with the paired test and its events). */
export const registryServiceOf = (db: Db): RegistryStatusService => registryStatusService({ registry: registryRepository(db) });
