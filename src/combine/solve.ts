/**
 * Least squares with an intercept from a summed Gram matrix, robust to
 * rank-deficient systems: like the reference, linearly dependent columns are
 * dropped (their coefficient is 0) and the rest is solved exactly.
 *
 * Columns are taken in order: the intercept first (always kept unless there
 * are no rows), then the selected alphas in pool order; a column is dropped
 * when the share of its sum of squares left unexplained by the columns kept
 * before it is below `tol` (its Schur complement, read off the Cholesky factor
 * of ml-matrix). The system of the kept columns is positive definite and is
 * solved by ml-matrix's Cholesky decomposition.
 */
import { CholeskyDecomposition, Matrix } from 'ml-matrix';
import type { DailyGram } from './gram.js';

export const DEFAULT_DEPENDENCE_TOL = 1e-10;

export interface LinearFit {
  /** Alpha indices given (pool order). */
  readonly selected: readonly number[];
  /** Coefficient per selected alpha (0 for a dropped one). */
  readonly coef: readonly number[];
  readonly intercept: number;
  /** Selected alphas dropped as linearly dependent on the intercept and earlier alphas. */
  readonly dropped: readonly number[];
  /** Rows (day, stock) in the fit. */
  readonly rows: number;
}

/**
 * Fits target ~ intercept + selected alphas from `sum`, a Gram summed over the
 * training days (packed, layout of `gram`).
 */
export function fitFromGram(gram: DailyGram, sum: Float64Array, selected: readonly number[], tol = DEFAULT_DEPENDENCE_TOL): LinearFit {
  const icpt = gram.intercept;
  const tcol = gram.targetColumn;
  const rows = gram.entry(sum, icpt, icpt);
  if (!(rows > 0)) {
    return { selected, coef: selected.map(() => 0), intercept: 0, dropped: [...selected], rows: 0 };
  }
  // candidate columns in order: intercept, then the alphas
  let kept = [icpt, ...selected];
  const dropped: number[] = [];
  for (;;) {
    const k = kept.length;
    const M = new Matrix(k, k);
    for (let i = 0; i < k; i++) {
      for (let j = i; j < k; j++) {
        const v = gram.entry(sum, kept[i], kept[j]);
        M.set(i, j, v);
        M.set(j, i, v);
      }
    }
    const chol = new CholeskyDecomposition(M);
    const L = chol.lowerTriangularMatrix;
    // first column whose residual share is too small (or not positive)
    let bad = -1;
    for (let i = 0; i < k; i++) {
      const diag = M.get(i, i);
      const l = L.get(i, i);
      if (!(diag > 0) || !(l * l > tol * diag) || !Number.isFinite(l)) {
        bad = i;
        break;
      }
    }
    if (bad === -1 && chol.isPositiveDefinite()) {
      const b = new Matrix(k, 1);
      for (let i = 0; i < k; i++) b.set(i, 0, gram.entry(sum, kept[i], tcol));
      const x = chol.solve(b);
      const byColumn = new Map<number, number>();
      for (let i = 0; i < k; i++) byColumn.set(kept[i], x.get(i, 0));
      return {
        selected,
        coef: selected.map((a) => byColumn.get(a) ?? 0),
        intercept: byColumn.get(icpt) ?? 0,
        dropped,
        rows,
      };
    }
    if (bad === -1) bad = k - 1; // not positive definite without a flagged column: drop the last (defensive)
    if (bad === 0) {
      // the intercept itself cannot be degenerate when rows > 0; keep the guard total anyway
      return { selected, coef: selected.map(() => 0), intercept: gram.entry(sum, icpt, tcol) / rows, dropped: [...selected], rows };
    }
    dropped.push(kept[bad]);
    kept = kept.filter((_, i) => i !== bad);
  }
}
