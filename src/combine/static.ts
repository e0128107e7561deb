/**
 * Static combination (SPEC §6): a fixed weighted sum of the normalized alphas,
 * with the pool's weights or with weights fitted once on the training days.
 */
import type { AlphaPanel } from './adaptive.js';
import { DailyGram } from './gram.js';
import { DEFAULT_DEPENDENCE_TOL, fitFromGram, type LinearFit } from './solve.js';

/** Row-major [days.length][nStocks]: sum_i w_i * alpha_i (NaN where not tradable). */
export function staticCombine(
  panel: AlphaPanel,
  weights: readonly number[],
  days: readonly number[],
  tradable?: (day: number, stock: number) => boolean,
): Float64Array {
  const { nStocks, alphas } = panel;
  if (weights.length !== alphas.length) throw new Error(`staticCombine: ${weights.length} weights for ${alphas.length} alphas`);
  const pred = new Float64Array(days.length * nStocks);
  for (let i = 0; i < days.length; i++) {
    const o = days[i] * nStocks;
    const out = i * nStocks;
    for (let a = 0; a < alphas.length; a++) {
      const w = weights[a];
      if (w === 0) continue;
      const x = alphas[a];
      for (let s = 0; s < nStocks; s++) pred[out + s] += w * x[o + s];
    }
    if (tradable) for (let s = 0; s < nStocks; s++) if (!tradable(days[i], s)) pred[out + s] = NaN;
  }
  return pred;
}

/**
 * Least-squares weights (with an intercept, dependent alphas dropped) of every
 * alpha over the panel days [begin, end): the "weights fitted on the train window".
 */
export function fitStaticWeights(panel: AlphaPanel, begin: number, end: number, tol = DEFAULT_DEPENDENCE_TOL): LinearFit {
  const gram = new DailyGram(panel.alphas, panel.target, panel.nStocks, begin, end);
  const sum = gram.windowSum(begin, end);
  return fitFromGram(
    gram,
    sum,
    panel.alphas.map((_, i) => i),
    tol,
  );
}
