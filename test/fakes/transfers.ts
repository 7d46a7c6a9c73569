import { GridcastError } from '../../core/errors.ts';
import type { PlannedTransfer, TransferStore } from '../../core/planned.ts';

/** Planned transfers in memory, with the repository's rules (store/transfers.repository.ts). */
export function fakeTransfers(now: () => Date = () => new Date()): TransferStore & { rows: PlannedTransfer[] } {
  const rows: PlannedTransfer[] = [];
  return {
    rows,
    async append(input) {
      const added: PlannedTransfer[] = [];
      let unchanged = 0;
      for (const t of input) {
        const same = rows.find((r) => r.source === t.source && r.ref === t.ref && r.issuedAt.getTime() === Date.parse(t.issued_at));
        const next: PlannedTransfer = {
          source: t.source,
          ref: t.ref,
          version: rows.filter((r) => r.source === t.source && r.ref === t.ref).length + 1,
          fromNode: t.from_node,
          toNode: t.to_node,
          start: new Date(t.start),
          end: new Date(t.end),
          share: t.share,
          status: t.status,
          reason: t.reason ?? null,
          issuedAt: new Date(t.issued_at),
          receivedAt: t.received_at ? new Date(t.received_at) : now(),
        };
        if (same) {
          const equal = JSON.stringify({ ...same, version: 0, receivedAt: 0 }) === JSON.stringify({ ...next, version: 0, receivedAt: 0 });
          if (equal) {
            unchanged++;
            continue;
          }
          throw new GridcastError('TRANSFER_VERSION_CONFLICT', `plan ${t.ref} already has a different version issued at ${t.issued_at}`, { source: t.source, ref: t.ref });
        }
        rows.push(next);
        added.push(next);
      }
      return { added, unchanged };
    },
    async inForce(q) {
      const latest = new Map<string, PlannedTransfer>();
      for (const r of rows) {
        if (r.issuedAt > q.knownAt || (q.receivedBy && r.receivedAt > q.receivedBy)) continue;
        const k = `${r.source}\0${r.ref}`;
        const cur = latest.get(k);
        if (!cur || r.issuedAt > cur.issuedAt || (r.issuedAt.getTime() === cur.issuedAt.getTime() && r.version > cur.version)) latest.set(k, r);
      }
      return [...latest.values()]
        .filter((r) => r.status === 'planned' && r.start < q.to && r.end > q.from && (!q.seriesIds || q.seriesIds.includes(r.fromNode) || q.seriesIds.includes(r.toNode)))
        .sort((a, b) => a.issuedAt.getTime() - b.issuedAt.getTime() || (a.source < b.source ? -1 : a.source > b.source ? 1 : a.ref < b.ref ? -1 : 1));
    },
    async versions(q) {
      return rows
        .filter((r) => (!q.source || r.source === q.source) && (!q.ref || r.ref === q.ref) && (!q.seriesId || r.fromNode === q.seriesId || r.toNode === q.seriesId))
        .sort((a, b) => b.issuedAt.getTime() - a.issuedAt.getTime() || (a.source < b.source ? -1 : a.source > b.source ? 1 : a.ref < b.ref ? -1 : a.ref > b.ref ? 1 : b.version - a.version));
    },
  };
}
