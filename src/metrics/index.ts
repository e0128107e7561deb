/**
 * Cross-sectional metrics (SPEC §3). Matrices are Float64Array row-major
 * [nDays][nStocks]. Formulas follow the reference (AlphaGen's batch_pearsonr /
 * batch_spearmanr) so results match it, computed in float64.
 */
import { wasmDailyIC, wasmDailyNormalizedIC, wasmDailyRankIC, wasmNormalizeByDay, wasmRankDays } from '../expr/wasm/index.js';

/**
 * Per day: (x - mean) / population std over non-NaN cells; every NaN (including 0/0) becomes 0. A day
 * whose std is within 1e-12 of |mean| is one repeated value up to the rounding of its mean: all 0, as 0/0.
 * `out` may be x (in place). Runs in WebAssembly (assembly/metrics.ts).
 */
export function normalizeByDay(x: Float64Array, nDays: number, nStocks: number, out = new Float64Array(nDays * nStocks)): Float64Array {
  wasmNormalizeByDay(x, out, nDays, nStocks);
  return out;
}

/** The reference's Pearson guard: a population std below this makes the denominator 1. */
export const PEARSON_STD_GUARD = 1e-3;

/** Pearson from a covariance and population stds, with the reference's guard. */
export function guardedPearson(cov: number, stdX: number, stdY: number): number {
  return cov / (stdX < PEARSON_STD_GUARD || stdY < PEARSON_STD_GUARD ? 1 : stdX * stdY);
}

/** One day's pair statistics over the cells where neither side is NaN (n = 0: none). */
const dayPair = { n: 0, cov: 0, stdX: 0, stdY: 0 };
function pairStatsOfDay(x: Float64Array, y: Float64Array, o: number, nStocks: number): typeof dayPair {
  let n = 0;
  let sx = 0;
  let sy = 0;
  for (let s = 0; s < nStocks; s++) {
    const a = x[o + s];
    const b = y[o + s];
    if (a === a && b === b) {
      n++;
      sx += a;
      sy += b;
    }
  }
  dayPair.n = n;
  if (n === 0) return dayPair;
  const mx = sx / n;
  const my = sy / n;
  let sxy = 0;
  let vx = 0;
  let vy = 0;
  for (let s = 0; s < nStocks; s++) {
    const a = x[o + s];
    const b = y[o + s];
    if (a === a && b === b) {
      sxy += a * b;
      vx += (a - mx) * (a - mx);
      vy += (b - my) * (b - my);
    }
  }
  dayPair.cov = sxy / n - mx * my;
  dayPair.stdX = Math.sqrt(vx / n);
  dayPair.stdY = Math.sqrt(vy / n);
  return dayPair;
}

/**
 * Days (with at least two valid pairs) whose `a` has a std below the guard, so
 * that dailyIC divides by 1 there: the IC of a low-spread prediction is about 0.
 */
export function countGuardedDays(a: Float64Array, b: Float64Array, nDays: number, nStocks: number): number {
  let days = 0;
  for (let d = 0; d < nDays; d++) {
    const p = pairStatsOfDay(a, b, d * nStocks, nStocks);
    if (p.n >= 2 && p.stdX < PEARSON_STD_GUARD) days++;
  }
  return days;
}

/** Daily Pearson IC between two matrices, over the cells where neither is NaN (NaN for days without a valid pair). */
export function dailyIC(a: Float64Array, b: Float64Array, nDays: number, nStocks: number): Float64Array {
  return wasmDailyIC(a, b, nDays, nStocks, PEARSON_STD_GUARD);
}

/**
 * A target (or any matrix scored against many alphas) ranked once per day:
 * passed to dailyRankIC / alphaRankIC in place of its values, each call then
 * sorts only the alpha on days where the alpha is valid wherever the target
 * is (otherwise it ranks the target over the shared cells, as usual). Same
 * values as with the plain matrix. The values are copied: later changes to
 * the array do not reach it.
 */
export class RankedTarget {
  readonly values: Float64Array;
  /** Per day, the average ranks over the day's non-NaN cells (NaN elsewhere). */
  readonly ranks: Float64Array;
  /** Per day, how many cells are not NaN. */
  readonly counts: Int32Array;
  constructor(
    values: Float64Array,
    readonly nDays: number,
    readonly nStocks: number,
  ) {
    if (values.length !== nDays * nStocks) throw new Error(`RankedTarget: ${values.length} values for ${nDays} x ${nStocks}`);
    this.values = values.slice();
    const { ranks, counts } = wasmRankDays(this.values, nDays, nStocks);
    this.ranks = ranks;
    this.counts = counts;
  }
}

/**
 * Daily Spearman (Pearson of average ranks over cells where neither side is
 * NaN, with the reference's guard; NaN for a day without such a cell), in
 * WebAssembly (assembly/sort.ts `dailyRankIC`: the radix sort and the
 * day's passes there measured ~2x faster than here). `b` may be a
 * RankedTarget (ranked once for many calls).
 */
export function dailyRankIC(a: Float64Array, b: Float64Array | RankedTarget, nDays: number, nStocks: number): Float64Array {
  if (b instanceof RankedTarget) {
    if (b.nDays !== nDays || b.nStocks !== nStocks) throw new Error(`dailyRankIC: a RankedTarget of ${b.nDays} x ${b.nStocks} against ${nDays} x ${nStocks}`);
    return wasmDailyRankIC(a, b.values, nDays, nStocks, PEARSON_STD_GUARD, b);
  }
  return wasmDailyRankIC(a, b, nDays, nStocks, PEARSON_STD_GUARD);
}

export interface SeriesStats {
  mean: number;
  /** Population std (divisor n) unless asked otherwise. */
  std: number;
  /** mean / std. */
  ir: number;
}

/** Mean of daily values; NaN days count as 0 (SPEC §3 for IC). */
export function meanNanAsZero(daily: Float64Array): number {
  let s = 0;
  for (let i = 0; i < daily.length; i++) {
    const v = daily[i];
    if (v === v) s += v;
  }
  return s / daily.length;
}

/** Plain mean (NaN if any day is NaN, like the reference's RankIC mean). */
export function mean(daily: Float64Array): number {
  let s = 0;
  for (let i = 0; i < daily.length; i++) s += daily[i];
  return s / daily.length;
}

/** Mean, std (divisor n, or n-1 with `sampleStd`) and mean/std of a daily series; NaN days count as 0. */
export function seriesStats(daily: Float64Array, sampleStd = false): SeriesStats {
  const n = daily.length;
  const m = meanNanAsZero(daily);
  let ss = 0;
  for (let i = 0; i < n; i++) {
    const v = daily[i] === daily[i] ? daily[i] : 0;
    ss += (v - m) * (v - m);
  }
  const std = Math.sqrt(ss / (sampleStd ? n - 1 : n));
  return { mean: m, std, ir: m / std };
}

/** IC of an alpha: mean daily Pearson of normalized value vs normalized target (every cell counts). */
export function alphaIC(value: Float64Array, target: Float64Array, nDays: number, nStocks: number): number {
  // Day by day in WebAssembly: the same numbers as dailyIC(normalizeByDay(value), normalizeByDay(target)),
  // without writing two normalized matrices per call.
  return meanNanAsZero(wasmDailyNormalizedIC(value, target, nDays, nStocks, PEARSON_STD_GUARD));
}

/** RankIC of an alpha on raw value and raw target, skipping NaN cells; NaN if some day has no valid pair. */
export function alphaRankIC(value: Float64Array, target: Float64Array | RankedTarget, nDays: number, nStocks: number): number {
  return mean(dailyRankIC(value, target, nDays, nStocks));
}

/**
 * Per day: mean forward return of the top `q` share of stocks by prediction,
 * among stocks where both prediction and return are not NaN (at least one stock).
 * NaN for a day with no valid stock. Stocks tied at the cut share its places
 * (their mean return fills them), so ties are not broken by stock order: a
 * prediction equal for every stock earns the day's mean return, not that of
 * the first symbols.
 */
export function topQuantileReturn(pred: Float64Array, fwdRet: Float64Array, nDays: number, nStocks: number, q = 0.2): Float64Array {
  const out = new Float64Array(nDays);
  const idx = new Uint32Array(nStocks);
  for (let d = 0; d < nDays; d++) {
    const o = d * nStocks;
    let n = 0;
    for (let s = 0; s < nStocks; s++) {
      if (pred[o + s] === pred[o + s] && fwdRet[o + s] === fwdRet[o + s]) idx[n++] = s;
    }
    if (n === 0) {
      out[d] = NaN;
      continue;
    }
    const k = Math.max(1, Math.floor(n * q));
    // stable order: descending prediction, ties by stock order
    const day = Array.from(idx.subarray(0, n)).sort((i, j) => pred[o + j] - pred[o + i] || i - j);
    // The tie group at the cut: sorted places [a, b) with a < k <= b.
    const cut = pred[o + day[k - 1]];
    let a = k - 1;
    while (a > 0 && pred[o + day[a - 1]] === cut) a--;
    let b = k;
    while (b < n && pred[o + day[b]] === cut) b++;
    let sum = 0;
    for (let i = 0; i < a; i++) sum += fwdRet[o + day[i]];
    let tied = 0;
    for (let i = a; i < b; i++) tied += fwdRet[o + day[i]];
    out[d] = (sum + (k - a) * (tied / (b - a))) / k;
  }
  return out;
}
