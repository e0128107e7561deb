/**
 * Cross-sectional metrics (SPEC §3). Matrices are Float64Array row-major
 * [nDays][nStocks]. Formulas follow the reference (AlphaGen's batch_pearsonr /
 * batch_spearmanr) so results match it, computed in float64.
 */
import { IndexSorter } from '../expr/kernels/sortIndex.js';

/** Per day: (x - mean) / population std over non-NaN cells; every NaN (including 0/0) becomes 0. */
export function normalizeByDay(x: Float64Array, nDays: number, nStocks: number, out = new Float64Array(nDays * nStocks)): Float64Array {
  for (let d = 0; d < nDays; d++) normalizeDay(x, d * nStocks, nStocks, out, d * nStocks);
  return out;
}

/** normalizeByDay for the day at x[o .. o + nStocks), written at out[oo ..]. */
function normalizeDay(x: Float64Array, o: number, nStocks: number, out: Float64Array, oo: number): void {
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
    out[oo + s] = z === z ? z : 0;
  }
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

/** Pearson of one day with the reference's guard; NaN for a day with no valid pair. */
function pearsonOfDay(x: Float64Array, y: Float64Array, o: number, nStocks: number): number {
  const p = pairStatsOfDay(x, y, o, nStocks);
  return p.n === 0 ? NaN : guardedPearson(p.cov, p.stdX, p.stdY);
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

/** Daily Pearson IC between two matrices (NaN for days without a valid pair). */
export function dailyIC(a: Float64Array, b: Float64Array, nDays: number, nStocks: number): Float64Array {
  const out = new Float64Array(nDays);
  for (let d = 0; d < nDays; d++) out[d] = pearsonOfDay(a, b, d * nStocks, nStocks);
  return out;
}

/**
 * Average ranks (0-based, ties share their mean rank) of v[0..n), NaN-free,
 * via the radix IndexSorter (much faster than sort + binary search).
 * Holds its scratch, so ranking allocates nothing.
 */
export class AverageRanker {
  readonly sorter: IndexSorter;
  private readonly idx: Int32Array;
  constructor(capacity: number) {
    this.sorter = new IndexSorter(capacity);
    this.idx = new Int32Array(capacity);
  }

  rank(v: Float64Array, n: number, out: Float64Array): void {
    const idx = this.idx;
    for (let i = 0; i < n; i++) idx[i] = i;
    this.sorter.sort(v, 0, idx, n);
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
}

/** Scratch buffers for ranking one day, reused across days. */
class RankScratch {
  readonly rankA: Float64Array;
  readonly rankB: Float64Array;
  readonly va: Float64Array;
  /** Position of each stock among the day's pair cells, -1 if not one. */
  readonly pos: Int32Array;
  readonly ranker: AverageRanker;
  constructor(n: number) {
    this.rankA = new Float64Array(n);
    this.rankB = new Float64Array(n);
    this.va = new Float64Array(n);
    this.pos = new Int32Array(n);
    this.ranker = new AverageRanker(n);
  }
}

/**
 * Each day's ascending order of the non-NaN stocks of a matrix, kept per array:
 * the second operand of dailyRankIC is usually the same target for every alpha,
 * so its days need not be sorted again. Checked on every use in O(nStocks)
 * (the right count, all non-NaN, ascending: then it is a valid sort of the day,
 * whatever changed in the array), and rebuilt for a day that fails.
 */
interface DayOrders {
  nDays: number;
  nStocks: number;
  /** Day d's order at [d * nStocks, d * nStocks + len[d]). */
  order: Int32Array;
  /** -1: not built. */
  len: Int32Array;
}
const dayOrders = new WeakMap<Float64Array, DayOrders>();

function dayOrdersOf(m: Float64Array, nDays: number, nStocks: number): DayOrders {
  let c = dayOrders.get(m);
  if (!c || c.nDays !== nDays || c.nStocks !== nStocks) {
    c = { nDays, nStocks, order: new Int32Array(nDays * nStocks), len: new Int32Array(nDays).fill(-1) };
    dayOrders.set(m, c);
  }
  return c;
}

/** Whether order[base .. base + len) is an ascending order of exactly the `count` non-NaN values of m's row at o. */
function validDayOrder(m: Float64Array, o: number, order: Int32Array, base: number, len: number, count: number): boolean {
  if (len !== count) return false;
  if (len === 0) return true;
  let prev = m[o + order[base]];
  if (prev !== prev) return false;
  for (let k = 1; k < len; k++) {
    const x = m[o + order[base + k]];
    if (!(prev <= x)) return false; // also false for a NaN
    prev = x;
  }
  return true;
}

/** Daily Spearman (Pearson of average ranks over cells where neither side is NaN). */
export function dailyRankIC(a: Float64Array, b: Float64Array, nDays: number, nStocks: number): Float64Array {
  const out = new Float64Array(nDays);
  const sc = new RankScratch(nStocks);
  const cache = dayOrdersOf(b, nDays, nStocks);
  const order = cache.order;
  const pos = sc.pos;
  const rankB = sc.rankB;
  for (let d = 0; d < nDays; d++) {
    const o = d * nStocks;
    let n = 0;
    let nb = 0; // non-NaN cells of b
    for (let s = 0; s < nStocks; s++) {
      const x = a[o + s];
      const y = b[o + s];
      pos[s] = -1;
      if (y === y) {
        nb++;
        if (x === x) {
          sc.va[n] = x;
          pos[s] = n++;
        }
      }
    }
    if (n === 0) {
      out[d] = NaN;
      continue;
    }
    sc.ranker.rank(sc.va, n, sc.rankA);
    // b's ranks over the pair cells: walk b's order of the day, skipping stocks where a is NaN.
    if (!validDayOrder(b, o, order, o, cache.len[d], nb)) {
      let m = 0;
      for (let s = 0; s < nStocks; s++) if (b[o + s] === b[o + s]) order[o + m++] = s;
      sc.ranker.sorter.sort(b, o, order.subarray(o, o + m), m);
      cache.len[d] = m;
    }
    let first = 0; // rank position among the pair cells
    for (let j = 0; j < nb; ) {
      const x = b[o + order[o + j]];
      let j2 = j + 1;
      while (j2 < nb && b[o + order[o + j2]] === x) j2++;
      let c = 0;
      for (let q = j; q < j2; q++) if (pos[order[o + q]] >= 0) c++;
      const avg = (first + first + c - 1) / 2; // as AverageRanker: (first + last - 1) / 2
      for (let q = j; q < j2; q++) {
        const p = pos[order[o + q]];
        if (p >= 0) rankB[p] = avg;
      }
      first += c;
      j = j2;
    }
    out[d] = pearsonOfDay(sc.rankA, rankB, 0, n);
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
  // Day by day through two row buffers: the same numbers as normalizing whole matrices
  // first, without writing two fresh [nDays][nStocks] arrays (page faults) per call.
  const za = new Float64Array(nStocks);
  const zb = new Float64Array(nStocks);
  const daily = new Float64Array(nDays);
  for (let d = 0; d < nDays; d++) {
    normalizeDay(value, d * nStocks, nStocks, za, 0);
    normalizeDay(target, d * nStocks, nStocks, zb, 0);
    daily[d] = pearsonOfDay(za, zb, 0, nStocks);
  }
  return meanNanAsZero(daily);
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
