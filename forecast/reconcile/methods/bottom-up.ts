import type { MethodOutcome } from '../projection.ts';
import type { Structure } from '../structure.ts';

/** P = [0 | I_m]: the bottom base forecasts as they are; aggregates are their sums. */
export function bottomUp(st: Structure): MethodOutcome {
  const { a, m } = st;
  return { projection: { bottoms: (yhats) => yhats.map((y) => y.slice(a, a + m)) }, applied: 'bottom-up', warnings: [] };
}
