// @ts-check
// Node statuses for the tree: GET /api/v1/node-status (per node: its headline status — rupture,
// late-run, fallback, partial-data or ok — the reasons, the worst status below it, and the latest
// day-ahead MAPE). A server without that route shows no statuses, and says so.
import { ApiError, get } from './api.js';

/** @typedef {import('./tree.js').NodeStatus} NodeStatus */

/** @returns {Promise<{ status: Map<string, NodeStatus>, available: boolean, raw: any }>} */
export async function loadStatus() {
  try {
    const body = await get('/node-status');
    /** @type {Map<string, NodeStatus>} */
    const status = new Map();
    for (const n of body.nodes ?? []) {
      status.set(n.id, {
        status: n.status,
        mape: n.dayAheadMape?.mape ?? null,
        worstBelow: n.worstBelow ?? null,
        detail: (n.reasons ?? []).map((/** @type {{ message: string }} */ r) => r.message).join('; '),
      });
    }
    return { status, available: true, raw: body };
  } catch (e) {
    if (e instanceof ApiError && e.code === 'ROUTE_NOT_FOUND') return { status: new Map(), available: false, raw: null };
    throw e;
  }
}
