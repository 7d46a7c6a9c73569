import { describe, expect, it } from 'vitest';
import { GridcastError } from '../core/errors.ts';
import type { TransferStore } from '../core/planned.ts';
import { ingestTransfers } from './planned/transfers.service.ts';
import { ingestSchedules, scheduleCsvBatch, type ScheduleIngestPorts } from './schedules/schedules.service.ts';

const lost = (atCommit: boolean) => new GridcastError('DB_CONNECTION_LOST', 'The connection to PostgreSQL was lost', { atCommit });

describe('schedule and transfer imports across a store restart', () => {
  it('a schedule batch whose COMMIT was cut is found stored on the retry, not written twice', async () => {
    const stored = new Set<string>();
    let calls = 0;
    const ports: ScheduleIngestPorts = {
      targets: async (ids) => new Map(ids.map((id) => [id, { unit: 'MW', stepSec: 3600 }])),
      async write(batch, rows) {
        calls++;
        if (stored.has(batch.batchKey)) return { status: 'already-ingested', batchId: 1 };
        stored.add(batch.batchKey);
        if (calls === 1) throw lost(true);
        return { status: 'committed', batchId: 1, written: rows.length, unchanged: 0 };
      },
    };
    const csv = 'series_id,ts,value,unit,issued_at,source\nplant,2026-01-01T00:00:00Z,5,MW,2025-12-30T00:00:00Z,plant\n';
    expect(await ingestSchedules(ports, scheduleCsvBatch('s.csv', csv, 'csv'))).toMatchObject({ status: 'already-ingested', batchId: 1 });
    expect([calls, stored.size]).toEqual([2, 1]);
  });

  it('a transfer batch cut by a lost connection is appended once the store is back', async () => {
    let appends = 0;
    const store = {
      async append(rows) {
        if (++appends === 1) throw lost(false);
        return { added: rows.map((r) => ({ ...r, id: 1 })) as never, unchanged: 0 };
      },
    } as Pick<TransferStore, 'append'> as TransferStore;
    const row = { ref: 'SW-1', source: 'dso', from_node: 'a', to_node: 'b', start: '2026-01-01T00:00:00Z', end: '2026-01-02T00:00:00Z', share: '0.4', issued_at: '2025-12-30T00:00:00Z' };
    const r = await ingestTransfers({ store, knownNodes: async (ids) => new Set(ids) }, [{ line: 2, row }]);
    expect([r.added.length, appends]).toEqual([1, 2]);
  });

  it('any other failure is not retried', async () => {
    let appends = 0;
    const store = {
      async append() {
        appends++;
        throw new GridcastError('TRANSFER_VERSION_CONFLICT', 'refused');
      },
    } as Pick<TransferStore, 'append'> as TransferStore;
    const row = { ref: 'SW-1', source: 'dso', from_node: 'a', to_node: 'b', start: '2026-01-01T00:00:00Z', end: '2026-01-02T00:00:00Z', share: '0.4', issued_at: '2025-12-30T00:00:00Z' };
    await expect(ingestTransfers({ store, knownNodes: async (ids) => new Set(ids) }, [{ line: 2, row }])).rejects.toMatchObject({ code: 'TRANSFER_VERSION_CONFLICT' });
    expect(appends).toBe(1);
  });
});
