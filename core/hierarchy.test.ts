import { describe, expect, it } from 'vitest';
import {
  aggregateBottom,
  allocateMovingLoad,
  ancestors,
  buildTree,
  denseSummingMatrix,
  leaves,
  lowestCommonAncestor,
  summingMatrix,
  type HierarchyNode,
} from './hierarchy.ts';

// T → A, B; A → A1, A2; B → B1, B2
const seven: HierarchyNode[] = [
  { id: 'T', parent: null },
  { id: 'A', parent: 'T' },
  { id: 'B', parent: 'T' },
  { id: 'A1', parent: 'A' },
  { id: 'A2', parent: 'A' },
  { id: 'B1', parent: 'B' },
  { id: 'B2', parent: 'B' },
];

const codeOf = (fn: () => unknown): string | undefined => {
  try {
    fn();
  } catch (e) {
    return (e as { code?: string }).code;
  }
  return undefined;
};

describe('summing matrix', () => {
  it('matches the hand-computed S of a 7-node tree', () => {
    const sm = summingMatrix(seven);
    expect(sm.rows).toEqual(['T', 'A', 'B', 'A1', 'A2', 'B1', 'B2']);
    expect(sm.cols).toEqual(['A1', 'A2', 'B1', 'B2']);
    expect(denseSummingMatrix(sm).map((r) => [...r])).toEqual([
      [1, 1, 1, 1],
      [1, 1, 0, 0],
      [0, 0, 1, 1],
      [1, 0, 0, 0],
      [0, 1, 0, 0],
      [0, 0, 1, 0],
      [0, 0, 0, 1],
    ]);
    expect([...aggregateBottom(sm, [1, 2, 3, 4])]).toEqual([10, 3, 7, 1, 2, 3, 4]);
  });

  it('builds S for a subtree and for uneven depths', () => {
    expect(summingMatrix(seven, 'B').rows).toEqual(['B', 'B1', 'B2']);
    const uneven = summingMatrix([...seven, { id: 'C', parent: 'T' }]);
    expect(uneven.cols).toEqual(['A1', 'A2', 'B1', 'B2', 'C']);
    expect(uneven.rows).toEqual(['T', 'A', 'B', 'A1', 'A2', 'B1', 'B2', 'C']);
    expect([...uneven.rowCols[0]]).toEqual([0, 1, 2, 3, 4]);
  });

  it('counts a moving load once at every level at or above its LCA and nowhere below', () => {
    const tree = buildTree(seven);
    const lca = lowestCommonAncestor(tree, ['A2', 'B1']);
    expect(lca).toBe('T');
    const sm = summingMatrix([...seven, { id: 'train', parent: lca, sharing: { substations: ['A2', 'B1'] } }]);
    const bottom = sm.cols.map((c) => (c === 'train' ? 100 : 1));
    const all = aggregateBottom(sm, bottom);
    const at = (id: string) => all[sm.rows.indexOf(id)];
    expect(at('T')).toBe(104);
    expect(at('A')).toBe(2);
    expect(at('B')).toBe(2);
    expect(at('train')).toBe(100);
    expect(lowestCommonAncestor(tree, ['A1', 'A2'])).toBe('A');
  });

  it('allocates a moving load by average (additive) or worst case (full value each)', () => {
    const v = Float64Array.from([10, 20]);
    const avg = allocateMovingLoad(v, { substations: ['x', 'y'] });
    expect([...avg.get('x')!]).toEqual([5, 10]);
    expect([...avg.get('y')!]).toEqual([5, 10]);
    const worst = allocateMovingLoad(v, { substations: ['x', 'y'], allocation: 'worst-case' });
    expect([...worst.get('x')!]).toEqual([10, 20]);
  });

  it('needs a root name when the topology holds several hierarchies', () => {
    expect(codeOf(() => summingMatrix([...seven, { id: 'U', parent: null }, { id: 'U1', parent: 'U' }]))).toBe('HIERARCHY_ROOT_AMBIGUOUS');
  });
});

describe('tree helpers and structural errors', () => {
  it('lists ancestors and leaves', () => {
    const tree = buildTree(seven);
    expect(ancestors(tree, 'B2')).toEqual(['B', 'T']);
    expect(leaves(tree, 'A')).toEqual(['A1', 'A2']);
    expect(leaves(tree, 'A1')).toEqual(['A1']);
  });

  it('rejects a cycle, a duplicate id and an unknown parent with codes', () => {
    expect(codeOf(() => buildTree([...seven, { id: 'X', parent: 'Y' }, { id: 'Y', parent: 'X' }]))).toBe('TOPOLOGY_CYCLE');
    expect(codeOf(() => buildTree([...seven, { id: 'A1', parent: 'B' }]))).toBe('TOPOLOGY_DUPLICATE_NODE');
    expect(codeOf(() => buildTree([...seven, { id: 'Z', parent: 'nowhere' }]))).toBe('TOPOLOGY_UNKNOWN_PARENT');
  });
});
