/** TsRank, TsMax / TsMin and their differences, TsMed. */
import { fillF, ld, st, vld, vsplat, vst } from './memory';

/** TsRank for one cell (the odd stock): the newest value's rank in its window by counting. */
function tsRankCell(pSrc: usize, o: i32, i: i32, nS: i32, w: i32): f64 {
  const x = ld(pSrc, i);
  if (x != x) return 0; // comparisons with a NaN last are all false
  let gt = 0;
  let ge = 1; // x itself
  for (let k = o; k < i; k += nS) {
    const v = ld(pSrc, k);
    gt += <i32>(v > x);
    ge += <i32>(v >= x);
  }
  return <f64>(gt + ge + (ge > gt ? 1 : 0)) / <f64>(2 * w);
}

/**
 * TsRank: the newest value's rank in its window by branch-free counting, O(w)
 * per cell, four stocks per step (two lane pairs; the last 1-3 stocks scalar).
 * The counts are integers: a compare gives an all-ones lane (-1), so
 * subtracting it counts (a NaN in the window compares false, so it counts in
 * neither); the exact total converts to f64 once, so the rank has the bits of
 * the scalar formula.
 */
export function tsRank(pSrc: usize, pOut: usize, nOut: i32, nS: i32, w: i32): void {
  const span = (w - 1) * nS;
  const twoW = vsplat(<f64>(2 * w));
  for (let r = 0; r < nOut; r++) {
    const o = r * nS;
    let s = 0;
    for (; s + 4 <= nS; s += 4) {
      // Four stocks: two independent count chains per window row.
      const i = o + s + span;
      const x = vld(pSrc, i);
      const y = vld(pSrc, i + 2);
      let gtX = i64x2.splat(0);
      let geX = i64x2.splat(1);
      let gtY = i64x2.splat(0);
      let geY = i64x2.splat(1);
      for (let k = o + s; k < i; k += nS) {
        const v = vld(pSrc, k);
        const u = vld(pSrc, k + 2);
        gtX = i64x2.sub(gtX, f64x2.gt(v, x));
        geX = i64x2.sub(geX, f64x2.ge(v, x));
        gtY = i64x2.sub(gtY, f64x2.gt(u, y));
        geY = i64x2.sub(geY, f64x2.ge(u, y));
      }
      const tX = i64x2.sub(i64x2.add(gtX, geX), i64x2.gt_s(geX, gtX));
      const tY = i64x2.sub(i64x2.add(gtY, geY), i64x2.gt_s(geY, gtY));
      vst(pOut, o + s, v128.and(f64x2.div(f64x2.convert_low_i32x4_s(v128.shuffle<i32>(tX, tX, 0, 2, 0, 2)), twoW), f64x2.eq(x, x)));
      vst(pOut, o + s + 2, v128.and(f64x2.div(f64x2.convert_low_i32x4_s(v128.shuffle<i32>(tY, tY, 0, 2, 0, 2)), twoW), f64x2.eq(y, y)));
    }
    for (; s < nS; s++) st(pOut, o + s, tsRankCell(pSrc, o + s, o + s + span, nS, w)); // the last 1-3 stocks
  }
}


const EXT_MAX = 0;
const EXT_MIN = 1;
const EXT_MAX_MINUS_MIN = 2;
const EXT_LAST_MINUS_MAX = 3;
const EXT_LAST_MINUS_MIN = 4;

/**
 * van Herk / Gil-Werman block extrema: suffix extrema h within blocks of w rows
 * (aligned at row 0), then prefix extrema g as one running row; a window's
 * max is max(h[first], g[last]). f64.max / f64.min propagate NaN as Math.max does.
 * Scratch: extremesScratch bytes: hMax, hMin (nSrc * nS f64 each), gMax, gMin (nS f64 each).
 */
export function extremesScratch(nSrc: f64, nS: f64): f64 {
  return (2 * nSrc * nS + 2 * nS) * 8;
}
export function extremes(mode: i32, pSrc: usize, pOut: usize, nOut: i32, nS: i32, w: i32, pScratch: usize): void {
  // One function per mode (why: assembly/index.ts).
  if (mode == EXT_MAX) rollingMax(pSrc, pOut, nOut, nS, w, pScratch);
  else if (mode == EXT_MIN) rollingMin(pSrc, pOut, nOut, nS, w, pScratch);
  else if (mode == EXT_MAX_MINUS_MIN) rollingMaxMinusMin(pSrc, pOut, nOut, nS, w, pScratch);
  else if (mode == EXT_LAST_MINUS_MAX) rollingLastMinusMax(pSrc, pOut, nOut, nS, w, pScratch);
  else rollingLastMinusMin(pSrc, pOut, nOut, nS, w, pScratch);
}
function rollingMax(pSrc: usize, pOut: usize, nOut: i32, nS: i32, w: i32, pScratch: usize): void {
  extremesOf(EXT_MAX, pSrc, pOut, nOut, nS, w, pScratch);
}
function rollingMin(pSrc: usize, pOut: usize, nOut: i32, nS: i32, w: i32, pScratch: usize): void {
  extremesOf(EXT_MIN, pSrc, pOut, nOut, nS, w, pScratch);
}
function rollingMaxMinusMin(pSrc: usize, pOut: usize, nOut: i32, nS: i32, w: i32, pScratch: usize): void {
  extremesOf(EXT_MAX_MINUS_MIN, pSrc, pOut, nOut, nS, w, pScratch);
}
function rollingLastMinusMax(pSrc: usize, pOut: usize, nOut: i32, nS: i32, w: i32, pScratch: usize): void {
  extremesOf(EXT_LAST_MINUS_MAX, pSrc, pOut, nOut, nS, w, pScratch);
}
function rollingLastMinusMin(pSrc: usize, pOut: usize, nOut: i32, nS: i32, w: i32, pScratch: usize): void {
  extremesOf(EXT_LAST_MINUS_MIN, pSrc, pOut, nOut, nS, w, pScratch);
}
@inline function extremesOf(mode: i32, pSrc: usize, pOut: usize, nOut: i32, nS: i32, w: i32, pScratch: usize): void {
  const wantMax = mode != EXT_MIN && mode != EXT_LAST_MINUS_MIN;
  const wantMin = mode != EXT_MAX && mode != EXT_LAST_MINUS_MAX;
  const nSrc = nOut + w - 1;
  const n2 = nS & ~1; // two stocks per SIMD step, the odd one scalar
  const hMax = pScratch;
  const hMin = hMax + ((<usize>(nSrc * nS)) << 3);
  const gMax = hMin + ((<usize>(nSrc * nS)) << 3);
  const gMin = gMax + ((<usize>nS) << 3);
  for (let b = 0; b < nSrc; b += w) {
    const e = min(b + w, nSrc) - 1;
    const ie = e * nS;
    for (let s = 0; s < nS; s++) {
      const x = ld(pSrc, ie + s);
      if (wantMax) st(hMax, ie + s, x);
      if (wantMin) st(hMin, ie + s, x);
    }
    for (let t = e - 1; t >= b; t--) {
      const it = t * nS;
      if (wantMax) {
        for (let s = 0; s < n2; s += 2) vst(hMax, it + s, f64x2.max(vld(hMax, it + nS + s), vld(pSrc, it + s)));
        for (let s = n2; s < nS; s++) st(hMax, it + s, max<f64>(ld(hMax, it + nS + s), ld(pSrc, it + s)));
      }
      if (wantMin) {
        for (let s = 0; s < n2; s += 2) vst(hMin, it + s, f64x2.min(vld(hMin, it + nS + s), vld(pSrc, it + s)));
        for (let s = n2; s < nS; s++) st(hMin, it + s, min<f64>(ld(hMin, it + nS + s), ld(pSrc, it + s)));
      }
    }
  }
  for (let t = 0; t < nSrc; t++) {
    const it = t * nS;
    if (t % w == 0) {
      // A block starts: the prefix extrema restart (max(-inf, x) = x exactly, NaN included).
      fillF(gMax, nS, -Infinity);
      fillF(gMin, nS, Infinity);
    }
    const o = (t - w + 1) * nS; // the window's first row: where its h is, and where its output goes
    for (let s = 0; s < n2; s += 2) {
      const x = vld(pSrc, it + s);
      let g = x;
      let l = x;
      if (wantMax) {
        g = f64x2.max(vld(gMax, s), x);
        vst(gMax, s, g);
      }
      if (wantMin) {
        l = f64x2.min(vld(gMin, s), x);
        vst(gMin, s, l);
      }
      if (t < w - 1) continue;
      let v: v128;
      if (mode == EXT_MAX) v = f64x2.max(vld(hMax, o + s), g);
      else if (mode == EXT_MIN) v = f64x2.min(vld(hMin, o + s), l);
      else if (mode == EXT_MAX_MINUS_MIN) v = f64x2.sub(f64x2.max(vld(hMax, o + s), g), f64x2.min(vld(hMin, o + s), l));
      else if (mode == EXT_LAST_MINUS_MAX) v = f64x2.sub(x, f64x2.max(vld(hMax, o + s), g));
      else v = f64x2.sub(x, f64x2.min(vld(hMin, o + s), l));
      vst(pOut, o + s, v);
    }
    for (let s = n2; s < nS; s++) {
      const x = ld(pSrc, it + s);
      let g = x;
      let l = x;
      if (wantMax) {
        g = max<f64>(ld(gMax, s), x);
        st(gMax, s, g);
      }
      if (wantMin) {
        l = min<f64>(ld(gMin, s), x);
        st(gMin, s, l);
      }
      if (t < w - 1) continue;
      let v: f64;
      if (mode == EXT_MAX) v = max<f64>(ld(hMax, o + s), g);
      else if (mode == EXT_MIN) v = min<f64>(ld(hMin, o + s), l);
      else if (mode == EXT_MAX_MINUS_MIN) v = max<f64>(ld(hMax, o + s), g) - min<f64>(ld(hMin, o + s), l);
      else if (mode == EXT_LAST_MINUS_MAX) v = x - max<f64>(ld(hMax, o + s), g);
      else v = x - min<f64>(ld(hMin, o + s), l);
      st(pOut, o + s, v);
    }
  }
}


/**
 * One sliding step of two sorted windows side by side (lane l of blk[j] is
 * stock l's j-th smallest): remove one copy of r, insert a, branch-free and
 * in one pass. With s ascending and u = s less one copy of r,
 *   u[j] = s[j] < r ? s[j] : s[j + 1]         (s[j] < r exactly for j below r's first index)
 *   t[j] = max(u[j - 1], min(a, u[j]))        (u[-1] = -inf, u[w - 1] = +inf)
 * is the ascending u with a inserted. No NaN is ever in blk (the caller maps
 * NaN to +inf), so pmin / pmax (one instruction each) are exact.
 */
@inline function sortedWindowStep(blk: usize, w: i32, r: v128, a: v128): void {
  let sj = v128.load(blk);
  let uPrev = vsplat(-Infinity);
  let p = blk;
  const last = blk + ((<usize>(w - 1)) << 4);
  for (; p < last; p += 16) {
    const sNext = v128.load(p, 16);
    const u = v128.bitselect(sj, sNext, f64x2.lt(sj, r));
    v128.store(p, f64x2.pmax(uPrev, f64x2.pmin(a, u)));
    uPrev = u;
    sj = sNext;
  }
  v128.store(last, f64x2.pmax(uPrev, a));
}

/** sortedWindowStep for four stocks: two lane pairs interleaved in blk (32 bytes per rank), two independent chains. */
@inline function sortedWindowStep4(blk: usize, w: i32, r0: v128, r1: v128, a0: v128, a1: v128): void {
  let s0 = v128.load(blk);
  let s1 = v128.load(blk, 16);
  let u0Prev = vsplat(-Infinity);
  let u1Prev = u0Prev;
  let p = blk;
  const last = blk + ((<usize>(w - 1)) << 5);
  for (; p < last; p += 32) {
    const n0 = v128.load(p, 32);
    const n1 = v128.load(p, 48);
    const u0 = v128.bitselect(s0, n0, f64x2.lt(s0, r0));
    const u1 = v128.bitselect(s1, n1, f64x2.lt(s1, r1));
    v128.store(p, f64x2.pmax(u0Prev, f64x2.pmin(a0, u0)));
    v128.store(p, f64x2.pmax(u1Prev, f64x2.pmin(a1, u1)), 16);
    u0Prev = u0;
    u1Prev = u1;
    s0 = n0;
    s1 = n1;
  }
  v128.store(last, f64x2.pmax(u0Prev, a0));
  v128.store(last, f64x2.pmax(u1Prev, a1), 16);
}

/**
 * TsMed (lower median; NaN if the window holds a NaN): four stocks at a time
 * (sortedWindowStep4; the last two or one by sortedWindowStep, two per SIMD
 * lane pair), each with its window kept sorted, O(w)
 * branch-free work per cell (an insertion that branches on every compare
 * mispredicts about half of them). Values enter and leave as x + 0, so -0 is
 * +0 there: equal values are interchangeable only if they have the same bits
 * (removing a +0 could otherwise take a -0 out, leaving -0 as the median of a
 * window without one). A NaN enters the sorted window as +inf and
 * leaves as +inf (equal values are interchangeable); a count of NaNs in the
 * window decides the output. The window starts as w copies of +inf, each
 * early step removing one, so the first full window holds exactly its values.
 * An odd last stock runs in both lanes and keeps lane 0.
 * Scratch: tsMedScratch bytes: the sorted windows of four stocks (2w f64x2).
 */
export function tsMedScratch(w: f64): f64 {
  return w * 32;
}
export function tsMed(pSrc: usize, pOut: usize, nOut: i32, nS: i32, w: i32, pScratch: usize): void {
  const nSrc = nOut + w - 1;
  const mid = (w - 1) >> 1;
  const inf = vsplat(Infinity);
  const nanV = vsplat(NaN);
  const zero = i64x2.splat(0);
  const rowBytes = (<usize>nS) << 3;
  let s = 0;
  for (; s + 4 <= nS; s += 4) {
    for (let j = 0; j < 2 * w; j++) v128.store(pScratch + ((<usize>j) << 4), inf);
    let nan0 = zero;
    let nan1 = zero;
    let pIn = pSrc + ((<usize>s) << 3);
    let pOld = pIn;
    let pDst = pOut + ((<usize>s) << 3);
    for (let t = 0; t < nSrc; t++, pIn += rowBytes) {
      const x0 = v128.load(pIn);
      const x1 = v128.load(pIn, 16);
      const x0NaN = f64x2.ne(x0, x0);
      const x1NaN = f64x2.ne(x1, x1);
      nan0 = i64x2.sub(nan0, x0NaN);
      nan1 = i64x2.sub(nan1, x1NaN);
      let r0 = inf;
      let r1 = inf;
      if (t >= w) {
        const old0 = v128.load(pOld);
        const old1 = v128.load(pOld, 16);
        pOld += rowBytes;
        const old0NaN = f64x2.ne(old0, old0);
        const old1NaN = f64x2.ne(old1, old1);
        nan0 = i64x2.add(nan0, old0NaN);
        nan1 = i64x2.add(nan1, old1NaN);
        r0 = v128.bitselect(inf, f64x2.add(old0, zero), old0NaN);
        r1 = v128.bitselect(inf, f64x2.add(old1, zero), old1NaN);
      }
      sortedWindowStep4(pScratch, w, r0, r1, v128.bitselect(inf, f64x2.add(x0, zero), x0NaN), v128.bitselect(inf, f64x2.add(x1, zero), x1NaN));
      if (t < w - 1) continue;
      const at = pScratch + ((<usize>mid) << 5);
      v128.store(pDst, v128.bitselect(nanV, v128.load(at), i64x2.ne(nan0, zero)));
      v128.store(pDst, v128.bitselect(nanV, v128.load(at, 16), i64x2.ne(nan1, zero)), 16);
      pDst += rowBytes;
    }
  }
  for (; s < nS; s += 2) {
    const single = s + 1 == nS;
    for (let j = 0; j < w; j++) v128.store(pScratch + ((<usize>j) << 4), inf);
    let nan = zero;
    let pIn = pSrc + ((<usize>s) << 3);
    let pOld = pIn;
    let pDst = pOut + ((<usize>s) << 3);
    for (let t = 0; t < nSrc; t++, pIn += rowBytes) {
      const x = single ? v128.load64_splat(pIn) : v128.load(pIn);
      const xNaN = f64x2.ne(x, x);
      nan = i64x2.sub(nan, xNaN); // true lanes are -1
      let r = inf;
      if (t >= w) {
        const old = single ? v128.load64_splat(pOld) : v128.load(pOld);
        pOld += rowBytes;
        const oldNaN = f64x2.ne(old, old);
        nan = i64x2.add(nan, oldNaN);
        r = v128.bitselect(inf, f64x2.add(old, zero), oldNaN);
      }
      sortedWindowStep(pScratch, w, r, v128.bitselect(inf, f64x2.add(x, zero), xNaN));
      if (t < w - 1) continue;
      const med = v128.load(pScratch + ((<usize>mid) << 4));
      const v = v128.bitselect(nanV, med, i64x2.ne(nan, zero));
      if (single) v128.store64_lane(pDst, v, 0);
      else v128.store(pDst, v);
      pDst += rowBytes;
    }
  }
}
