/**
 * src/metrics' daily statistics (SPEC §3): normalize by day, daily Pearson IC,
 * and both in one pass for an alpha's IC. Every sum adds the TypeScript
 * formulas' terms in their order, so the results are the same bits. Two days
 * run at a time, one per SIMD lane: each lane adds its own day's cells in
 * order, and the two chains of dependent adds overlap. A cell that the
 * TypeScript skips (NaN) adds +0 here instead: the same bits, since these sums
 * start at +0 and never become -0 (x + -x is +0).
 */
import { ld, st, vld, vsplat, vst } from './memory';

/** The cells of rows oA and oB at s as the two lanes. */
@inline export function twoRows(p: usize, oA: i32, oB: i32, s: i32): v128 {
  return v128.load64_lane(p + ((<usize>(oB + s)) << 3), v128.load64_zero(p + ((<usize>(oA + s)) << 3)), 1);
}

/** Relative std at or below which a day counts as one repeated value (README, mine: flat days). */
const FLAT_DAY_STD: f64 = 1e-12;

/** out[oOut ..] = (raw[oIn ..] - mean) / std over nS cells, NaN (and 0 / 0) as 0. */
@inline function normalizeRow(pRaw: usize, oIn: i32, pOut: usize, oOut: i32, nS: i32, mean: f64, std: f64): void {
  const meanV = vsplat(mean);
  const stdV = vsplat(std);
  let s = 0;
  for (; s + 1 < nS; s += 2) {
    const z = f64x2.div(f64x2.sub(vld(pRaw, oIn + s), meanV), stdV);
    vst(pOut, oOut + s, v128.and(z, f64x2.eq(z, z)));
  }
  if (s < nS) {
    const z = (ld(pRaw, oIn + s) - mean) / std;
    st(pOut, oOut + s, z == z ? z : 0);
  }
}

/**
 * normalizeByDay of the rows at cell offsets oA and oB (lanes 0 and 1: per
 * day, mean and population std over the non-NaN cells, then (x - mean) / std
 * with NaN as 0) into pOut at qA and qB (only qA when !both).
 */
@inline export function normalizeTwoRows(pRaw: usize, oA: i32, oB: i32, pOut: usize, qA: i32, qB: i32, nS: i32, both: bool): void {
  const one = vsplat(1);
  let n = vsplat(0);
  let sum = vsplat(0);
  for (let s = 0; s < nS; s++) {
    const v = twoRows(pRaw, oA, oB, s);
    const ok = f64x2.eq(v, v);
    n = f64x2.add(n, v128.and(one, ok));
    sum = f64x2.add(sum, v128.and(v, ok));
  }
  const mean = f64x2.div(sum, n);
  let ss = vsplat(0);
  for (let s = 0; s < nS; s++) {
    const v = twoRows(pRaw, oA, oB, s);
    const c = f64x2.sub(v, mean);
    ss = f64x2.add(ss, v128.and(f64x2.mul(c, c), f64x2.eq(v, v)));
  }
  const spread = f64x2.sqrt(f64x2.div(ss, n));
  // A day of one repeated value has std 0 in exact arithmetic (0 / 0: every cell 0), but the rounding of its
  // mean leaves a std of ~1e-16 |mean|, which the division would blow up into +-1 noise: a constant alpha
  // then looked informative and novel to the pools. A std within FLAT_DAY_STD of |mean| divides by infinity.
  const flat = f64x2.le(spread, f64x2.mul(f64x2.abs(mean), vsplat(FLAT_DAY_STD)));
  const std = v128.bitselect(vsplat(Infinity), spread, flat);
  normalizeRow(pRaw, oA, pOut, qA, nS, f64x2.extract_lane(mean, 0), f64x2.extract_lane(std, 0));
  if (both) normalizeRow(pRaw, oB, pOut, qB, nS, f64x2.extract_lane(mean, 1), f64x2.extract_lane(std, 1));
}

/** normalizeByDay: pRaw -> pOut, [nDays][nS] (in place allowed). */
export function normalizeByDay(pRaw: usize, pOut: usize, nDays: i32, nS: i32): void {
  // An odd last day runs in both lanes.
  for (let d = 0; d < nDays; d += 2) {
    const oB = min(d + 1, nDays - 1) * nS;
    normalizeTwoRows(pRaw, d * nS, oB, pOut, d * nS, oB, nS, d + 1 < nDays);
  }
}

/**
 * pearsonOfDay for two days at once: rows oA, oB of x against the same rows
 * of y (lane = day), over the cells where neither is NaN; the population
 * Pearson with the guard (a std below it makes the denominator 1); NaN for a
 * day without such a cell. Into out[0] (and out[1] when both).
 */
@inline function pearsonTwoDays(pX: usize, pY: usize, oA: i32, oB: i32, nS: i32, guard: f64, pOut: usize, both: bool): void {
  const one = vsplat(1);
  let n = vsplat(0);
  let sx = vsplat(0);
  let sy = vsplat(0);
  for (let s = 0; s < nS; s++) {
    const a = twoRows(pX, oA, oB, s);
    const b = twoRows(pY, oA, oB, s);
    const ok = v128.and(f64x2.eq(a, a), f64x2.eq(b, b));
    n = f64x2.add(n, v128.and(one, ok));
    sx = f64x2.add(sx, v128.and(a, ok));
    sy = f64x2.add(sy, v128.and(b, ok));
  }
  const mx = f64x2.div(sx, n);
  const my = f64x2.div(sy, n);
  let sxy = vsplat(0);
  let vx = vsplat(0);
  let vy = vsplat(0);
  for (let s = 0; s < nS; s++) {
    const a = twoRows(pX, oA, oB, s);
    const b = twoRows(pY, oA, oB, s);
    const ok = v128.and(f64x2.eq(a, a), f64x2.eq(b, b));
    const ca = f64x2.sub(a, mx);
    const cb = f64x2.sub(b, my);
    sxy = f64x2.add(sxy, v128.and(f64x2.mul(a, b), ok));
    vx = f64x2.add(vx, v128.and(f64x2.mul(ca, ca), ok));
    vy = f64x2.add(vy, v128.and(f64x2.mul(cb, cb), ok));
  }
  const cov = f64x2.sub(f64x2.div(sxy, n), f64x2.mul(mx, my));
  const stdX = f64x2.sqrt(f64x2.div(vx, n));
  const stdY = f64x2.sqrt(f64x2.div(vy, n));
  const g = vsplat(guard);
  const guarded = v128.or(f64x2.lt(stdX, g), f64x2.lt(stdY, g));
  const r = f64x2.div(cov, v128.bitselect(one, f64x2.mul(stdX, stdY), guarded));
  const ic = v128.bitselect(vsplat(NaN), r, f64x2.eq(n, vsplat(0)));
  st(pOut, 0, f64x2.extract_lane(ic, 0));
  if (both) st(pOut, 1, f64x2.extract_lane(ic, 1));
}

/** dailyIC: per day, the guarded Pearson of x and y over their shared non-NaN cells, into out[d]. */
export function dailyIC(pX: usize, pY: usize, pOut: usize, nDays: i32, nS: i32, guard: f64): void {
  for (let d = 0; d < nDays; d += 2) {
    const oB = min(d + 1, nDays - 1) * nS;
    pearsonTwoDays(pX, pY, d * nS, oB, nS, guard, pOut + ((<usize>d) << 3), d + 1 < nDays);
  }
}

/**
 * An alpha's daily IC as src/metrics alphaIC defines it: per day, x and y
 * normalized by day, then dailyIC of the normalized rows; into out[d]. The
 * normalized rows go through scratch, two days at a time.
 * Scratch: dailyNormalizedICScratch bytes: 4 rows (nS f64 each).
 */
export function dailyNormalizedICScratch(nS: f64): f64 {
  return 4 * nS * 8;
}
export function dailyNormalizedIC(pX: usize, pY: usize, pOut: usize, nDays: i32, nS: i32, guard: f64, pScratch: usize): void {
  for (let d = 0; d < nDays; d += 2) {
    const oB = min(d + 1, nDays - 1) * nS;
    const both = d + 1 < nDays;
    // Scratch rows: x's days at cells 0 and nS, y's at 2 nS and 3 nS.
    normalizeTwoRows(pX, d * nS, oB, pScratch, 0, nS, nS, both);
    normalizeTwoRows(pY, d * nS, oB, pScratch, 2 * nS, 3 * nS, nS, both);
    if (!both) {
      // Lane 1 repeats the last day: give it that day's rows too.
      memory.copy(pScratch + ((<usize>nS) << 3), pScratch, (<usize>nS) << 3);
      memory.copy(pScratch + ((<usize>(3 * nS)) << 3), pScratch + ((<usize>(2 * nS)) << 3), (<usize>nS) << 3);
    }
    pearsonTwoDays(pScratch, pScratch + ((<usize>(2 * nS)) << 3), 0, nS, nS, guard, pOut + ((<usize>d) << 3), both);
  }
}
