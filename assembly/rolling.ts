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
 * per cell, two stocks per SIMD lane pair (counts as exact small doubles; a
 * NaN in the window compares false, so it counts in neither).
 */
export function tsRank(pSrc: usize, pOut: usize, nOut: i32, nS: i32, w: i32): void {
  const span = (w - 1) * nS;
  const nV = nS & ~1;
  const one = vsplat(1);
  const zero = vsplat(0);
  const twoW = vsplat(<f64>(2 * w));
  for (let r = 0; r < nOut; r++) {
    const o = r * nS;
    for (let s = 0; s < nV; s += 2) {
      const i = o + s + span;
      const x = vld(pSrc, i);
      let gt = zero;
      let ge = one;
      for (let k = o + s; k < i; k += nS) {
        const v = vld(pSrc, k);
        gt = f64x2.add(gt, v128.and(f64x2.gt(v, x), one));
        ge = f64x2.add(ge, v128.and(f64x2.ge(v, x), one));
      }
      const tie = v128.and(f64x2.gt(ge, gt), one);
      const rank = f64x2.div(f64x2.add(f64x2.add(gt, ge), tie), twoW);
      vst(pOut, o + s, v128.and(rank, f64x2.eq(x, x))); // a NaN last gives 0
    }
    for (let s = nV; s < nS; s++) st(pOut, o + s, tsRankCell(pSrc, o + s, o + s + span, nS, w));
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


/** dst[c * rows + r] = src[r * cols + c], in 32 x 32 tiles. */
function toColumns(src: usize, dst: usize, rows: i32, cols: i32): void {
  for (let r0 = 0; r0 < rows; r0 += 32) {
    const r1 = min(rows, r0 + 32);
    for (let c0 = 0; c0 < cols; c0 += 32) {
      const c1 = min(cols, c0 + 32);
      for (let r = r0; r < r1; r++) for (let c = c0; c < c1; c++) st(dst, c * rows + r, ld(src, r * cols + c));
    }
  }
}

/** out[r * nS + s] = cols[s * nSrc + r] for r < nOut, in 32 x 32 tiles. */
function toRows(cols: usize, out: usize, nOut: i32, nS: i32, nSrc: i32): void {
  for (let r0 = 0; r0 < nOut; r0 += 32) {
    const r1 = min(nOut, r0 + 32);
    for (let c0 = 0; c0 < nS; c0 += 32) {
      const c1 = min(nS, c0 + 32);
      for (let r = r0; r < r1; r++) for (let c = c0; c < c1; c++) st(out, r * nS + c, ld(cols, c * nSrc + r));
    }
  }
}

/** How many of the ascending val[0, n) are below x: a branch-free count, two per SIMD step (x is in the array: its first index). */
@inline function countBelow(val: usize, n: i32, x: f64): i32 {
  const xv = vsplat(x);
  let c = i64x2.splat(0);
  let k = 0;
  for (; k + 1 < n; k += 2) c = i64x2.sub(c, f64x2.lt(vld(val, k), xv)); // true lanes are -1
  let r = <i32>(i64x2.extract_lane(c, 0) + i64x2.extract_lane(c, 1));
  if (k < n) r += <i32>(ld(val, k) < x);
  return r;
}

/**
 * TsMed (lower median; NaN if the window holds a NaN): one stock column at a
 * time (transposed into contiguous scratch), an incrementally sorted window
 * of the non-NaN values. The leaving value is found by value (a branch-free
 * count of the values below it: equal values are interchangeable, so no
 * bookkeeping of which row sits where); the arriving value takes its place
 * and moves to its rank (an insertion step: w/3 moves of one double on
 * average).
 * Scratch: tsMedScratch bytes: cols, colOut (nSrc * nS f64 each), val (w f64).
 */
export function tsMedScratch(nSrc: f64, w: f64, nS: f64): f64 {
  return (2 * nSrc * nS + w) * 8;
}
export function tsMed(pSrc: usize, pOut: usize, nOut: i32, nS: i32, w: i32, pScratch: usize): void {
  const nSrc = nOut + w - 1;
  const cols = pScratch;
  const colOut = cols + ((<usize>(nSrc * nS)) << 3);
  const val = colOut + ((<usize>(nSrc * nS)) << 3);
  const mid = (w - 1) >> 1;
  toColumns(pSrc, cols, nSrc, nS);
  for (let s = 0; s < nS; s++) {
    let n = 0;
    let nan = 0;
    for (let t = 0, i = s * nSrc; t < nSrc; t++, i++) {
      const x = ld(cols, i);
      const addNew = x == x;
      if (!addNew) nan++;
      let p = -1; // index of the leaving value
      if (t >= w) {
        const old = ld(cols, i - w);
        if (old == old) p = countBelow(val, n, old);
        else nan--;
      }
      if (p >= 0 && addNew) {
        // Replace in place, then move to the rank of x.
        while (p + 1 < n && ld(val, p + 1) < x) {
          st(val, p, ld(val, p + 1));
          p++;
        }
        while (p > 0 && ld(val, p - 1) > x) {
          st(val, p, ld(val, p - 1));
          p--;
        }
      } else if (p >= 0) {
        // Remove: shift the larger values left.
        for (let k = p; k < n - 1; k++) st(val, k, ld(val, k + 1));
        n--;
      } else if (addNew) {
        // Insert: from the end, move left to the rank of x.
        p = n++;
        while (p > 0 && ld(val, p - 1) > x) {
          st(val, p, ld(val, p - 1));
          p--;
        }
      }
      if (addNew) st(val, p, x);
      if (t < w - 1) continue;
      st(colOut, i - (w - 1), nan > 0 ? NaN : ld(val, mid));
    }
  }
  toRows(colOut, pOut, nOut, nS, nSrc);
}
