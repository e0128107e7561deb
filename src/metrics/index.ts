/**
 * Cross-sectional metrics (SPEC §3). Matrices are Float64Array row-major
 * [nDays][nStocks]. Formulas follow the reference (AlphaGen's batch_pearsonr /
 * batch_spearmanr) so results match it, computed in float64.
 */
import { IndexSorter } from '../expr/kernels/sortIndex.js';

/** Per day: (x - mean) / population std over non-NaN cells; every NaN (including 0/0) becomes 0. */
export function normalizeByDay(x: Float64Array, nDays: number, nStocks: number, out = new Float64Array(nDays * nStocks)): Float64Array {
  for (let d = 0; d < nDays; d++) {
    const o = d * nStocks;
    let n = 0;
    let sum = 0;
    for (let s = 0; s < nStocks; s++) {
      const v = x[o + s];
      if (v === v) {
        n++;
        sum += v;
      }
    }
    const mean = sum / n;
    let ss = 0;
    for (let s = 0; s < nStocks; s++) {
      const v = x[o + s];
      if (v === v) ss += (v - mean) * (v - mean);
    }
    const std = Math.sqrt(ss / n);
    for (let s = 0; s < nStocks; s++) {
      const z = (x[o + s] - mean) / std;
      out[o + s] = z === z ? z : 0;
    }
  }
  return out;
}

/**
 * Pearson over the cells where both sides are finite-or-infinite but not NaN,
 * with the reference's guard: a std below 1e-3 makes the denominator 1.
 * Returns NaN for a day with no valid pair.
 */
function pearsonOfDay(x: Float64Array, y: Float64Array, o: number, nStocks: number): number {
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
  if (n === 0) return NaN;
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
  const cov = sxy / n - mx * my;
  const stdX = Math.sqrt(vx / n);
  const stdY = Math.sqrt(vy / n);
  const denom = stdX < 1e-3 || stdY < 1e-3 ? 1 : stdX * stdY;
  return cov / denom;
}

/** Daily Pearson IC between two matrices (NaN for days without a valid pair). */
export function dailyIC(a: Float64Array, b: Float64Array, nDays: number, nStocks: number): Float64Array {
  const out = new Float64Array(nDays);
  for (let d = 0; d < nDays; d++) out[d] = pearsonOfDay(a, b, d * nStocks, nStocks);
  return out;
}

/** Scratch buffers for ranking one day, reused across days. */
class RankScratch {
  readonly rankA: Float64Array;
  readonly rankB: Float64Array;
  readonly va: Float64Array;
  readonly vb: Float64Array;
  readonly idx: Int32Array;
  readonly sorter: IndexSorter;
  constructor(n: number) {
    this.rankA = new Float64Array(n);
    this.rankB = new Float64Array(n);
    this.va = new Float64Array(n);
    this.vb = new Float64Array(n);
    this.idx = new Int32Array(n);
    this.sorter = new IndexSorter(n);
  }
}

/** Average ranks (0-based, ties share their mean rank) of v[0..n), written to out. */
function averageRanks(v: Float64Array, n: number, sc: RankScratch, out: Float64Array): void {
  const idx = sc.idx;
  for (let i = 0; i < n; i++) idx[i] = i;
  sc.sorter.sort(v, 0, idx, n); // radix sort: much faster than sort + binary search
  let first = 0;
  while (first < n) {
    const x = v[idx[first]];
    let last = first + 1;
    while (last < n && v[idx[last]] === x) last++;
    const avg = (first + last - 1) / 2;
    for (let k = first; k < last; k++) out[idx[k]] = avg;
    first = last;
  }
}

/** Daily Spearman (Pearson of average ranks over cells where neither side is NaN). */
export function dailyRankIC(a: Float64Array, b: Float64Array, nDays: number, nStocks: number): Float64Array {
  const out = new Float64Array(nDays);
  const sc = new RankScratch(nStocks);
  for (let d = 0; d < nDays; d++) {
    const o = d * nStocks;
    let n = 0;
    for (let s = 0; s < nStocks; s++) {
      const x = a[o + s];
      const y = b[o + s];
      if (x === x && y === y) {
        sc.va[n] = x;
        sc.vb[n] = y;
        n++;
      }
    }
    if (n === 0) {
      out[d] = NaN;
      continue;
    }
    averageRanks(sc.va, n, sc, sc.rankA);
    averageRanks(sc.vb, n, sc, sc.rankB);
    out[d] = pearsonOfDay(sc.rankA, sc.rankB, 0, n);
  }
  return out;
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
  return meanNanAsZero(dailyIC(normalizeByDay(value, nDays, nStocks), normalizeByDay(target, nDays, nStocks), nDays, nStocks));
}

/** RankIC of an alpha on raw value and raw target, skipping NaN cells; NaN if some day has no valid pair. */
export function alphaRankIC(value: Float64Array, target: Float64Array, nDays: number, nStocks: number): number {
  return mean(dailyRankIC(value, target, nDays, nStocks));
}

/**
 * Per day: mean forward return of the top `q` share of stocks by prediction,
 * among stocks where both prediction and return are not NaN (at least one stock).
 * NaN for a day with no valid stock.
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
    let sum = 0;
    for (let i = 0; i < k; i++) sum += fwdRet[o + day[i]];
    out[d] = sum / k;
  }
  return out;
}
