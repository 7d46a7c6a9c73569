/** One row of the append-only audit log (D7): who did what to which entity, when and why. */
export interface AuditEntry {
  id: number;
  at: Date;
  actor: string;
  /** e.g. 'register', 'promote', 'retire', 'shadow', 'promote-refused'. */
  action: string;
  /** e.g. 'model_version'. */
  entity: string;
  entityId: string;
  fromStatus: string | null;
  toStatus: string | null;
  reason: string | null;
  details: Record<string, unknown>;
}

export type NewAuditEntry = Omit<AuditEntry, 'id' | 'at' | 'fromStatus' | 'toStatus' | 'reason' | 'details'> &
  Partial<Pick<AuditEntry, 'fromStatus' | 'toStatus' | 'reason' | 'details'>>;

/**
 * Which entries to list: of one entity kind, id or id prefix (the versions of a model are
 * '<model>@…'), older than entry `beforeId`, at most the `limit` most recent (default 1000).
 */
export interface AuditQuery {
  entity?: string;
  entityId?: string;
  entityPrefix?: string;
  beforeId?: number;
  limit?: number;
}
