/**
 * Daily IC and RankIC of many normalized alphas against one raw target,
 * computed once up front (the adaptive combination then only sums them).
 * The target is ranked once per day (RankedTarget) for every alpha's RankIC.
 */
import { dailyIC, dailyRankIC, RankedTarget } from '../metrics/index.js';
import { AlphaArena } from '../pool/arena.js';
import { fromNormalizedValues, meanDailyICs } from '../pool/normalized.js';

/** Per-alpha daily series, row-major [nAlphas][nDays]; NaN days already 0 (as the combination counts them). */
export interface DailyAlphaICs {
  readonly nAlphas: number;
  readonly nDays: number;
  readonly ic: Float64Array;
  readonly rankIc: Float64Array;
}

/**
 * Daily IC (Pearson) and RankIC (Spearman, average ranks for ties) of every
 * alpha against `target`, as src/metrics dailyIC / dailyRankIC (SPEC §3).
 * `alphas[i]` must hold no NaN (normalized values); `target` may hold NaN
 * (those stocks are skipped that day). A day without a valid stock gives 0
 * for both (NaN counted as 0).
 */
export function dailyAlphaICs(alphas: readonly Float64Array[], target: Float64Array, nDays: number, nStocks: number): DailyAlphaICs {
  const nAlphas = alphas.length;
  const ic = new Float64Array(nAlphas * nDays);
  const rankIc = new Float64Array(nAlphas * nDays);
  const ranked = new RankedTarget(target, nDays, nStocks);
  alphas.forEach((x, a) => {
    const dayIC = dailyIC(x, target, nDays, nStocks);
    const dayRankIC = dailyRankIC(x, ranked, nDays, nStocks);
    for (let d = 0; d < nDays; d++) {
      ic[a * nDays + d] = dayIC[d] === dayIC[d] ? dayIC[d] : 0;
      rankIc[a * nDays + d] = dayRankIC[d] === dayRankIC[d] ? dayRankIC[d] : 0;
    }
  });
  return { nAlphas, nDays, ic, rankIc };
}

/**
 * Mutual IC matrix (mean over days of the daily Pearson, SPEC §3) of normalized
 * alphas over days [from, to): every cell counts (no NaN in normalized values).
 * Each pair costs one dot product per day. Row-major n x n, ones on the diagonal.
 */
export function mutualICMatrix(alphas: readonly Float64Array[], nStocks: number, from: number, to: number): Float64Array {
  const n = alphas.length;
  const nDays = to - from;
  // The pool's IC kernels: day statistics once per alpha, then one dot product per day and pair, in
  // WebAssembly when the window's alphas fit in an arena (four pairs per pass; the same numbers).
  const arena = nDays > 0 ? AlphaArena.create(n, nDays, nStocks) : undefined;
  const window = alphas.map((x) => {
    const values = x.subarray(from * nStocks, to * nStocks);
    const slot = arena?.take();
    slot?.set(values);
    return fromNormalizedValues(slot ?? values, nDays, nStocks);
  });
  const out = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    out[i * n + i] = 1;
    const ics = nDays > 0 ? meanDailyICs(window[i], window.slice(i + 1), nDays, nStocks) : [];
    for (let j = i + 1; j < n; j++) out[i * n + j] = out[j * n + i] = nDays > 0 ? ics[j - i - 1] : NaN;
  }
  return out;
}
