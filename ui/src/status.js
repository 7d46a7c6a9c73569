// @ts-check
// Node statuses for the tree: GET /api/v1/node-status (per node: its headline status — rupture,
// late-run, fallback, partial-data or ok — the reasons, the worst status below it, and the latest
// day-ahead MAPE). A server without that route shows no statuses, and says so.
import { ApiError, get } from './api.js';

/** @typedef {import('./tree.js').NodeStatus} NodeStatus @typedef {import('./api-types.ts').NodeStatus} NodeStatusView */

/** @returns {Promise<{ status: Map<string, NodeStatus>, available: boolean, nodes: NodeStatusView[] }>} */
export async function loadStatus() {
  try {
    const body = await get('/node-status');
    /** @type {Map<string, NodeStatus>} */
    const status = new Map();
    /** @type {NodeStatusView[]} */
    const nodes = body.nodes ?? [];
    for (const n of nodes) {
      status.set(n.id, {
        status: n.status,
        mape: n.dayAheadMape?.mape ?? null,
        worstBelow: n.worstBelow ?? null,
        detail: n.reasons.map((r) => r.message).join('; '),
      });
    }
    return { status, available: true, nodes };
  } catch (e) {
    if (e instanceof ApiError && e.code === 'ROUTE_NOT_FOUND') return { status: new Map(), available: false, nodes: [] };
    throw e;
  }
}
