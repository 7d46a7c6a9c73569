/**
 * Solves the symmetric positive (semi-)definite system A x = b in place by Cholesky. Columns the
 * data never touched (zero diagonal, e.g. a month absent from the history) get coefficient 0, and
 * a ridge of `ridge` × the mean diagonal keeps collinear dummies solvable.
 */
export function solveSpd(A: Float64Array, b: Float64Array, p: number, ridge = 1e-9): Float64Array {
  let meanDiag = 0;
  for (let i = 0; i < p; i++) meanDiag += A[i * p + i];
  meanDiag /= p;
  const L = Float64Array.from(A);
  for (let i = 0; i < p; i++) {
    if (L[i * p + i] === 0) L[i * p + i] = 1;
    L[i * p + i] += ridge * meanDiag;
  }
  for (let j = 0; j < p; j++) {
    let d = L[j * p + j];
    for (let k = 0; k < j; k++) d -= L[j * p + k] * L[j * p + k];
    if (d <= 0) throw new RangeError(`solveSpd: matrix not positive definite at column ${j}`);
    const ljj = Math.sqrt(d);
    L[j * p + j] = ljj;
    for (let i = j + 1; i < p; i++) {
      let s = L[i * p + j];
      for (let k = 0; k < j; k++) s -= L[i * p + k] * L[j * p + k];
      L[i * p + j] = s / ljj;
    }
  }
  const y = new Float64Array(p);
  for (let i = 0; i < p; i++) {
    let s = b[i];
    for (let k = 0; k < i; k++) s -= L[i * p + k] * y[k];
    y[i] = s / L[i * p + i];
  }
  const x = new Float64Array(p);
  for (let i = p - 1; i >= 0; i--) {
    let s = y[i];
    for (let k = i + 1; k < p; k++) s -= L[k * p + i] * x[k];
    x[i] = s / L[i * p + i];
  }
  return x;
}
