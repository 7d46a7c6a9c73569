import { registryStatusService, type RegistryStatusService } from '../../forecast/registry/status-changes.ts';
import type { Db } from '../../store/db.ts';
import { registryRepository } from '../../store/registry.repository.ts';

/** The registry's status changes over the store (no promotion gate until monitoring brings one). */
export const registryServiceOf = (db: Db): RegistryStatusService => registryStatusService({ registry: registryRepository(db) });
