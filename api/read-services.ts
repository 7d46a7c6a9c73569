import type { ActualsService } from '../ingest/actuals.service.ts';
import type { TopologyReader } from '../ingest/topology/topology.service.ts';
import type { RunReader } from '../forecast/run/read-runs.service.ts';
import type { JobsStatus } from '../jobs/status.service.ts';
import type { EventReader } from '../monitoring/events.service.ts';
import type { DriftReader } from '../monitoring/drift.service.ts';
import type { AccuracyService } from '../monitoring/accuracy.service.ts';
import type { ProposalReader } from '../monitoring/proposals.service.ts';
import type { NodeStatusReader } from '../monitoring/node-status.service.ts';
import type { PlannedTransfer } from '../core/planned.ts';
import type { PlannedAccuracy } from '../monitoring/planned-accuracy.service.ts';

/** Reads of plans: transfer versions (or those in force at asOf), and planned-vs-actual error per source. */
export interface PlannedReads {
  transfers(q: { seriesId?: string; source?: string; ref?: string; asOf?: Date }): Promise<PlannedTransfer[]>;
  accuracy: PlannedAccuracy;
}

/** The services behind the read routes of /api/v1, built by the composition root (bin/lib/read-services.ts). */
export interface ReadServices {
  topology: TopologyReader;
  actuals: ActualsService;
  runs: RunReader;
  jobs: JobsStatus;
  events: EventReader;
  drift: DriftReader;
  proposals: ProposalReader;
  accuracy: Pick<AccuracyService, 'read'>;
  nodeStatus: NodeStatusReader;
  /** GET /planned/transfers and /planned/accuracy. */
  planned: PlannedReads;
}
