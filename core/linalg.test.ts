import { describe, expect, it } from 'vitest';
import { cholesky, cholInverse, cholInverseBlocks, matMul } from './linalg.ts';

/** A = B Bᵀ + I with B uniform from `seed`: symmetric positive definite, not banded. */
function spd(n: number, seed: number): Float64Array {
  const rnd = () => ((seed = (seed * 16807) % 2147483647) / 2147483647) - 0.5;
  const b = Float64Array.from({ length: n * n }, rnd);
  const bt = Float64Array.from({ length: n * n }, (_, k) => b[(k % n) * n + Math.floor(k / n)]);
  const a = matMul(b, bt, n, n, n);
  for (let i = 0; i < n; i++) a[i * n + i] += 1;
  return a;
}

describe('cholInverse', () => {
  it('inverts a symmetric positive definite matrix from its Cholesky factor', () => {
    const n = 23;
    const a = spd(n, 5);
    const inv = cholInverse(cholesky(a, n)!, n);
    const id = matMul(a, inv, n, n, n);
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) expect(id[i * n + j]).toBeCloseTo(i === j ? 1 : 0, 10);
    for (let i = 0; i < n; i++) for (let j = 0; j < i; j++) expect(inv[i * n + j]).toBe(inv[j * n + i]);
  });

  it('gives the diagonal blocks alone, each entry equal to the full inverse\'s, zero elsewhere', () => {
    const n = 31;
    const l = cholesky(spd(n, 11), n)!;
    const full = cholInverse(l, n);
    const blocks = [{ offset: 2, size: 5 }, { offset: 9, size: 13 }, { offset: 28, size: 3 }];
    const part = cholInverseBlocks(l, n, blocks);
    const blockOf = (i: number) => blocks.findIndex((x) => i >= x.offset && i < x.offset + x.size);
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++) {
        const same = blockOf(i) >= 0 && blockOf(i) === blockOf(j);
        expect(part[i * n + j]).toBe(same ? full[i * n + j] : 0);
      }
    }
  });
});
