/**
 * An alpha's values normalized once (SPEC §3 normalize_by_day), with the
 * per-day statistics the IC kernel needs. Every IC a pool computes (single IC
 * against the target, mutual IC between members) is then one dot product per
 * day: the same numbers as `dailyIC` on the normalized matrices, without its
 * NaN checks and second pass.
 */
import { guardedPearson, normalizeByDay } from '../metrics/index.js';
import { sharedArena, type AlphaArena } from './arena.js';

export interface NormalizedAlpha {
  /** normalize_by_day(raw), row-major [nDays][nStocks]; never NaN. */
  readonly values: Float64Array;
  /** Per day: mean over all nStocks cells of `values` (NaN cells became 0 and count). */
  readonly dayMean: Float64Array;
  /** Per day: population std over all nStocks cells of `values`. */
  readonly dayStd: Float64Array;
}

/** Per-day mean and population std over all cells, computed as `dailyIC` computes them. */
function dayStatsInto(values: Float64Array, nDays: number, nStocks: number, dayMean: Float64Array, dayStd: Float64Array): void {
  for (let d = 0; d < nDays; d++) {
    const o = d * nStocks;
    let sum = 0;
    for (let s = 0; s < nStocks; s++) sum += values[o + s];
    const m = sum / nStocks;
    let ss = 0;
    for (let s = 0; s < nStocks; s++) {
      const c = values[o + s] - m;
      ss += c * c;
    }
    dayMean[d] = m;
    dayStd[d] = Math.sqrt(ss / nStocks);
  }
}

/** A NormalizedAlpha with fresh buffers (values in `arena` when it has a slot), to be filled by `normalizeAlphaInto`. */
export function allocateAlpha(nDays: number, nStocks: number, arena?: AlphaArena): NormalizedAlpha {
  return { values: arena?.take() ?? new Float64Array(nDays * nStocks), dayMean: new Float64Array(nDays), dayStd: new Float64Array(nDays) };
}

/**
 * Normalizes raw alpha values ([nDays][nStocks], NaN allowed) into `out`
 * (reused scratch: a pool tries many candidates and keeps few).
 */
export function normalizeAlphaInto(raw: Float64Array, nDays: number, nStocks: number, out: NormalizedAlpha): NormalizedAlpha {
  if (raw.length !== nDays * nStocks) {
    throw new Error(`alpha values have ${raw.length} cells, expected ${nDays} days x ${nStocks} stocks = ${nDays * nStocks}`);
  }
  const arena = sharedArena(out.values);
  if (arena) {
    arena.normalizeInto(raw, out.values, out.dayMean as Float64Array, out.dayStd as Float64Array); // compiled, the same bits
    return out;
  }
  normalizeByDay(raw, nDays, nStocks, out.values as Float64Array<ArrayBuffer>);
  dayStatsInto(out.values, nDays, nStocks, out.dayMean as Float64Array, out.dayStd as Float64Array);
  return out;
}

/** Normalizes raw alpha values ([nDays][nStocks], NaN allowed) and keeps their day statistics (values in `arena` when it has a slot). */
export function normalizeAlpha(raw: Float64Array, nDays: number, nStocks: number, arena?: AlphaArena): NormalizedAlpha {
  return normalizeAlphaInto(raw, nDays, nStocks, allocateAlpha(nDays, nStocks, arena));
}


/** Wraps values that are already normalized (no NaN), e.g. restored from a checkpoint. */
export function fromNormalizedValues(values: Float64Array, nDays: number, nStocks: number): NormalizedAlpha {
  const out = { values, dayMean: new Float64Array(nDays), dayStd: new Float64Array(nDays) };
  dayStatsInto(values, nDays, nStocks, out.dayMean, out.dayStd);
  return out;
}

/** Daily Pearson from the day's sum of products and both alphas' day statistics (SPEC §3 guard: std < 1e-3 -> denominator 1). */
function dayIC(sumXY: number, nStocks: number, a: NormalizedAlpha, b: NormalizedAlpha, d: number): number {
  return guardedPearson(sumXY / nStocks - a.dayMean[d] * b.dayMean[d], a.dayStd[d], b.dayStd[d]);
}

/**
 * Per day, the sum of x * y over the day's cells, with two accumulators (even
 * and odd cells of the day). In a pool's arena the WebAssembly kernel adds in
 * the same order (its two SIMD lanes), so both give the same bits.
 */
function daySums(x: Float64Array, y: Float64Array, nDays: number, nStocks: number): Float64Array {
  const arena = sharedArena(x, y);
  if (arena) return arena.dayDots(x, y);
  const out = new Float64Array(nDays);
  for (let d = 0; d < nDays; d++) {
    const o = d * nStocks;
    const end = o + nStocks;
    // Independent accumulators let the CPU overlap the multiply-adds.
    let s0 = 0;
    let s1 = 0;
    let i = o;
    for (; i + 1 < end; i += 2) {
      s0 += x[i] * y[i];
      s1 += x[i + 1] * y[i + 1];
    }
    if (i < end) s0 += x[i] * y[i];
    out[d] = s0 + s1;
  }
  return out;
}

/** Mean over days of the daily ICs from the day sums of a * b (a NaN day counts as 0): meanDailyIC from sums computed elsewhere. */
export function meanOfDayICs(sums: Float64Array, a: NormalizedAlpha, b: NormalizedAlpha, nDays: number, nStocks: number): number {
  let total = 0;
  for (let d = 0; d < nDays; d++) {
    const ic = dayIC(sums[d], nStocks, a, b, d);
    if (ic === ic) total += ic;
  }
  return total / nDays;
}

/**
 * Mean over days of the daily Pearson correlation of two normalized alphas
 * (SPEC §3: divisor n, a std below 1e-3 makes the denominator 1). Equals
 * `meanNanAsZero(dailyIC(a.values, b.values))` to rounding; symmetric in a, b.
 */
export function meanDailyIC(a: NormalizedAlpha, b: NormalizedAlpha, nDays: number, nStocks: number): number {
  return meanOfDayICs(daySums(a.values, b.values, nDays, nStocks), a, b, nDays, nStocks);
}

/**
 * meanDailyIC(c, m) for each m of `members` (any number); in a pool's arena
 * four members per pass over c (the candidate is read once for four). Each
 * equals the single version exactly.
 */
export function meanDailyICs(c: NormalizedAlpha, members: readonly NormalizedAlpha[], nDays: number, nStocks: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < members.length; i += 4) {
    const group = members.slice(i, i + 4);
    const arena = sharedArena(c.values, ...group.map((m) => m.values));
    if (!arena) {
      for (const m of group) out.push(meanDailyIC(c, m, nDays, nStocks));
      continue;
    }
    const sums = arena.dayDotsGroup(
      c.values,
      group.map((m) => m.values),
    );
    group.forEach((m, k) => out.push(meanOfDayICs(sums[k], c, m, nDays, nStocks)));
  }
  return out;
}
