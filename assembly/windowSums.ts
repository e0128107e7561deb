/**
 * Block partial sums (the van Herk / Gil-Werman idea applied to sums): rows are
 * cut into blocks of w; a window [f, t] is the tail [f, b0) of one block plus
 * the head [b0, t] of the next (b0 = the block start). Per block, one backward
 * pass stores the suffix sums of the previous block's tail (Q) and one forward
 * pass keeps the prefix sums of the block's head (P); each window's sum is one
 * suffix plus one prefix. Nothing is ever subtracted, so:
 * - no drift and no rebuilds: every window sum is a fresh sum of its own values;
 * - a NaN / infinity / 1e120 counts exactly in the windows holding it and in no
 *   other (IEEE propagation gives the NaN rule for free).
 * Central moments use values shifted by K (per stock, per block: the first
 * ordinary value of the block, inside every window using the block's sums), so
 * S2 - S1^2/w does not cancel. A cell takes the plain two-pass formula when
 * the shifted sums would lose digits (mean far from K relative to the spread,
 * huge or tiny values); a window of identical values gets the exact answer
 * (variance 0, skew NaN), found in O(1) per cell along runs. Blocks are
 * aligned to absolute rows (row0), so a window's bits do not depend on which
 * rows around it are evaluated (a shared or cached sub-expression equals its
 * standalone evaluation).
 */
import { fillF, fillI, isBig, ld, ldi, pin, SHIFT_MAX, st, sti, vld, vsplat, vst } from './memory';

const REL_ORDER2: f64 = 1e-6;
const REL_ORDER4: f64 = 1e-2;
const HUGE_ORDER2: f64 = 1e200;
const HUGE_ORDER4: f64 = 1e240;
const TINY_ORDER2: f64 = 1e-200;
const TINY_ORDER4: f64 = 1e-120;

const M_SUM = 0;
const M_MEAN = 1;
const M_DIV = 2;
const M_VAR = 3;
const M_STD = 4;
const M_IR = 5;
const M_SKEW = 6;
const M_KURT = 7;
const M_MAD = 8;

/** sum / w, except exactly the value for a window of identical values. */
function windowMean(src: usize, i0: i32, stride: i32, w: i32, sum: f64): f64 {
  const x0 = ld(src, i0);
  for (let k = 1; k < w; k++) if (ld(src, i0 + k * stride) != x0) return sum / <f64>w;
  return x0;
}

/** The plain two-pass formula on one window. */
function plainMoment(mode: i32, src: usize, i0: i32, stride: i32, w: i32): f64 {
  let sum: f64 = 0;
  for (let k = 0; k < w; k++) sum += ld(src, i0 + k * stride);
  const mean = windowMean(src, i0, stride, w, sum);
  const last = ld(src, i0 + (w - 1) * stride);
  if (mode == M_SUM) return sum;
  if (mode == M_MEAN) return mean;
  if (mode == M_DIV) return last / mean;
  let c1: f64 = 0;
  let c2: f64 = 0;
  let c3: f64 = 0;
  let c4: f64 = 0;
  for (let k = 0; k < w; k++) {
    const c = ld(src, i0 + k * stride) - mean;
    c1 += abs<f64>(c);
    c2 += c * c;
    c3 += c * c * c;
    c4 += c * c * c * c;
  }
  const fw = <f64>w;
  if (mode == M_VAR) return c2 / (fw - 1);
  if (mode == M_STD) return Math.sqrt(c2 / (fw - 1));
  if (mode == M_IR) return mean / Math.sqrt(c2 / (fw - 1));
  if (mode == M_SKEW) {
    const m2 = c2 / fw;
    return c3 / fw / (m2 * Math.sqrt(m2));
  }
  if (mode == M_KURT) {
    const v = c2 / (fw - 1);
    return c4 / fw / (v * v) - 3;
  }
  return c1 / fw;
}

/** Exact result on a window of w copies of x. */
function constantMoment(mode: i32, x: f64, w: i32): f64 {
  if (mode == M_SUM) return x * <f64>w;
  if (mode == M_MEAN) return x;
  if (mode == M_DIV) return x / x;
  if (mode == M_MAD) return x - x;
  if (mode == M_VAR || mode == M_STD) return w > 1 ? 0 : NaN;
  if (mode == M_IR) return x / (w > 1 ? 0 : NaN);
  return NaN;
}

/** The first block start: blocks aligned to absolute rows (row0 = src row 0's padded-day index). */
@inline function firstBlock(row0: i32, w: i32): i32 {
  return (w - (((row0 % w) + w) % w)) % w;
}

/** K for the block [b0, bEnd) of stock s: its first ordinary value (0 if none). */
function blockShift(src: usize, b0: i32, bEnd: i32, nS: i32, s: i32): f64 {
  for (let t = b0; t < bEnd; t++) {
    const x = ld(src, t * nS + s);
    if (abs<f64>(x) <= SHIFT_MAX) return x;
  }
  return 0;
}

/** Whether the window ending at index i (row t, stock s) is w identical values; O(1) along a run (constRow). */
function constantRun(src: usize, i: i32, nS: i32, w: i32, t: i32, s: i32, constRow: usize): bool {
  const x = ld(src, i);
  if (w > 1 && x != ld(src, i - nS)) return false;
  let constant = ldi(constRow, s) == t - 1;
  if (!constant) {
    constant = true;
    for (let j = 1, k = i - nS; j < w; j++, k -= nS) {
      if (ld(src, k) != x) {
        constant = false;
        break;
      }
    }
  }
  if (constant) sti(constRow, s, t);
  return constant;
}

/** TsMad's second pass: mean |x - m| over the window starting at index i0. */
function meanAbsDeviation(src: usize, i0: i32, nS: i32, w: i32, m: f64): f64 {
  const i = i0 + (w - 1) * nS;
  let a0: f64 = 0;
  let a1: f64 = 0;
  let k = i0;
  for (; k < i; k += 2 * nS) {
    a0 += abs<f64>(ld(src, k) - m);
    a1 += abs<f64>(ld(src, k + nS) - m);
  }
  if (k == i) a0 += abs<f64>(ld(src, k) - m);
  return (a0 + a1) / <f64>w;
}

/** One output of sumFamily (scalar: the odd stock and cells the vector path leaves). */
function sumCell(mode: i32, S: f64, x: f64, runStart: f64, lastBig: f64, pSrc: usize, o: i32, f: i32, nS: i32, w: i32): f64 {
  const invW = 1 / <f64>w;
  if (lastBig >= <f64>f && S == S) return plainMoment(mode, pSrc, o, nS, w);
  if (runStart <= <f64>f) return constantMoment(mode, x, w);
  if (mode == M_SUM) return S;
  if (mode == M_MEAN) return S * invW;
  if (mode == M_DIV) return x / (S * invW);
  return S == S ? meanAbsDeviation(pSrc, o, nS, w, S * invW) : NaN;
}

/**
 * TsSum, TsMean, TsDiv, TsMad: plain block sums; two stocks per SIMD lane pair.
 * Per stock, as rows (f64): runStart = the row where its current run of
 * identical values began (the window [f, t] is constant iff runStart <= f);
 * lastBig = the last row holding a NaN, an infinity or a value beyond
 * SHIFT_MAX (plain sums of such windows must add in window order:
 * 1e120 + 6 - 1e120 = 0, not 6).
 * Scratch: sumFamilyScratch bytes: Q (w * nS f64), P, runStart, lastBig (nS f64 each).
 */
export function sumFamilyScratch(nS: f64, w: f64): f64 {
  return (w * nS + 3 * nS) * 8;
}
export function sumFamily(mode: i32, pSrc: usize, pOut: usize, nOut: i32, nS: i32, w: i32, row0: i32, pScratch: usize): void {
  // One function per mode (why: assembly/index.ts).
  if (mode == M_SUM) rollingSum(pSrc, pOut, nOut, nS, w, row0, pScratch);
  else if (mode == M_MEAN) rollingMean(pSrc, pOut, nOut, nS, w, row0, pScratch);
  else if (mode == M_DIV) rollingDivByMean(pSrc, pOut, nOut, nS, w, row0, pScratch);
  else rollingMad(pSrc, pOut, nOut, nS, w, row0, pScratch);
}
function rollingSum(pSrc: usize, pOut: usize, nOut: i32, nS: i32, w: i32, row0: i32, pScratch: usize): void {
  sumFamilyOf(M_SUM, pSrc, pOut, nOut, nS, w, row0, pScratch);
}
function rollingMean(pSrc: usize, pOut: usize, nOut: i32, nS: i32, w: i32, row0: i32, pScratch: usize): void {
  sumFamilyOf(M_MEAN, pSrc, pOut, nOut, nS, w, row0, pScratch);
}
function rollingDivByMean(pSrc: usize, pOut: usize, nOut: i32, nS: i32, w: i32, row0: i32, pScratch: usize): void {
  sumFamilyOf(M_DIV, pSrc, pOut, nOut, nS, w, row0, pScratch);
}
function rollingMad(pSrc: usize, pOut: usize, nOut: i32, nS: i32, w: i32, row0: i32, pScratch: usize): void {
  sumFamilyOf(M_MAD, pSrc, pOut, nOut, nS, w, row0, pScratch);
}
@inline function sumFamilyOf(mode: i32, pSrc: usize, pOut: usize, nOut: i32, nS: i32, w: i32, row0: i32, pScratch: usize): void {
  const nSrc = nOut + w - 1;
  const nV = nS & ~1;
  const invW = pin(vsplat(1 / <f64>w));
  const shiftMax = vsplat(SHIFT_MAX);
  const Q = pScratch;
  const P = Q + ((<usize>(w * nS)) << 3);
  const runStart = P + ((<usize>nS) << 3);
  const lastBig = runStart + ((<usize>nS) << 3);
  fillF(runStart, nS, 0);
  fillF(lastBig, nS, -1);
  const b1 = firstBlock(row0, w);
  for (let t = 0; t < min(b1, nSrc); t++) {
    const it = t * nS;
    const ip = t > 0 ? it - nS : it;
    for (let s = 0; s < nS; s++) {
      const x = ld(pSrc, it + s);
      if (x != ld(pSrc, ip + s)) st(runStart, s, <f64>t);
      if (isBig(x)) st(lastBig, s, <f64>t);
    }
  }
  for (let b0 = b1; b0 < nSrc; b0 += w) {
    const bEnd = min(b0 + w, nSrc);
    const qBase = b0 - w + 1;
    for (let t = b0 - 1, iq = (w - 2) * nS; t >= qBase && t >= 0; t--, iq -= nS) {
      const it = t * nS;
      if (t == b0 - 1) {
        memory.copy(Q + ((<usize>iq) << 3), pSrc + ((<usize>it) << 3), (<usize>nS) << 3);
        continue;
      }
      let s = 0;
      for (; s < nV; s += 2) vst(Q, iq + s, f64x2.add(vld(Q, iq + nS + s), vld(pSrc, it + s)));
      for (; s < nS; s++) st(Q, iq + s, ld(Q, iq + nS + s) + ld(pSrc, it + s));
    }
    fillF(P, nS, 0);
    for (let t = b0; t < bEnd; t++) {
      const it = t * nS;
      const ip = t > 0 ? it - nS : it;
      const f = t - w + 1;
      const hasQ = f >= 0 && f < b0;
      const iq = (f - qBase) * nS;
      const o = f * nS;
      const tv = vsplat(<f64>t);
      const fv = vsplat(<f64>f);
      for (let s = 0; s < nV; s += 2) {
        const x = vld(pSrc, it + s);
        const rs = v128.bitselect(vld(runStart, s), tv, f64x2.eq(x, vld(pSrc, ip + s)));
        const lb = v128.bitselect(vld(lastBig, s), tv, f64x2.le(f64x2.abs(x), shiftMax));
        vst(runStart, s, rs);
        vst(lastBig, s, lb);
        const p = f64x2.add(vld(P, s), x);
        vst(P, s, p);
        if (f < 0) continue;
        const S = hasQ ? f64x2.add(vld(Q, iq + s), p) : p;
        const special = v128.or(v128.and(f64x2.ge(lb, fv), f64x2.eq(S, S)), f64x2.le(rs, fv));
        if (v128.any_true(special)) {
          st(pOut, o + s, sumCell(mode, f64x2.extract_lane(S, 0), f64x2.extract_lane(x, 0), f64x2.extract_lane(rs, 0), f64x2.extract_lane(lb, 0), pSrc, o + s, f, nS, w));
          st(pOut, o + s + 1, sumCell(mode, f64x2.extract_lane(S, 1), f64x2.extract_lane(x, 1), f64x2.extract_lane(rs, 1), f64x2.extract_lane(lb, 1), pSrc, o + s + 1, f, nS, w));
          continue;
        }
        let v: v128;
        if (mode == M_SUM) v = S;
        else if (mode == M_MEAN) v = f64x2.mul(S, invW);
        else if (mode == M_DIV) v = f64x2.div(x, f64x2.mul(S, invW));
        else {
          // Mad, as meanAbsDeviation lane by lane (a NaN mean gives NaN, as there).
          const m = f64x2.mul(S, invW);
          const i = o + s + (w - 1) * nS;
          let a0 = vsplat(0);
          let a1 = vsplat(0);
          let k = o + s;
          for (; k < i; k += 2 * nS) {
            a0 = f64x2.add(a0, f64x2.abs(f64x2.sub(vld(pSrc, k), m)));
            a1 = f64x2.add(a1, f64x2.abs(f64x2.sub(vld(pSrc, k + nS), m)));
          }
          if (k == i) a0 = f64x2.add(a0, f64x2.abs(f64x2.sub(vld(pSrc, k), m)));
          v = f64x2.div(f64x2.add(a0, a1), vsplat(<f64>w));
        }
        vst(pOut, o + s, v);
      }
      for (let s = nV; s < nS; s++) {
        const x = ld(pSrc, it + s);
        if (x != ld(pSrc, ip + s)) st(runStart, s, <f64>t);
        if (isBig(x)) st(lastBig, s, <f64>t);
        const p = ld(P, s) + x;
        st(P, s, p);
        if (f < 0) continue;
        const S = hasQ ? ld(Q, iq + s) + p : p;
        st(pOut, o + s, sumCell(mode, S, x, ld(runStart, s), ld(lastBig, s), pSrc, o + s, f, nS, w));
      }
    }
  }
}

/** One output of centralFamily from its window sums S1..S4 of d = x - K (scalar: the odd stock and cells the vector path leaves). */
function centralCell(mode: i32, S1: f64, S2: f64, S3: f64, S4: f64, K: f64, x: f64, pSrc: usize, i: i32, o: i32, nS: i32, w: i32, t: i32, s: i32, constRow: usize): f64 {
  const order4 = mode == M_SKEW || mode == M_KURT;
  const top = order4 ? S4 : S2;
  const huge = order4 ? HUGE_ORDER4 : HUGE_ORDER2;
  const rel = order4 ? REL_ORDER4 : REL_ORDER2;
  const tiny = order4 ? TINY_ORDER4 : TINY_ORDER2;
  if (!(top < huge)) {
    // NaN in the window (a sum of non-negative terms is NaN only from a NaN), or huge values.
    return top != top ? NaN : plainMoment(mode, pSrc, o, nS, w);
  }
  const invW = 1 / <f64>w;
  const mu = S1 * invW; // mean - K
  const num = S2 - S1 * mu; // sum of squared deviations from the mean
  if (!(num > rel * S2) || S2 < tiny) {
    // Digits lost, or no spread: exact for a constant window, else the plain formula.
    return constantRun(pSrc, i, nS, w, t, s, constRow) ? constantMoment(mode, x, w) : plainMoment(mode, pSrc, o, nS, w);
  }
  const invW1 = 1 / <f64>(w - 1);
  if (mode == M_VAR) return num * invW1;
  if (mode == M_STD) return Math.sqrt(num * invW1);
  if (mode == M_IR) return (K + mu) / Math.sqrt(num * invW1);
  if (mode == M_SKEW) {
    const m2 = num * invW;
    const m3 = S3 * invW - 3 * mu * (S2 * invW) + 2 * mu * mu * mu;
    return m3 / (m2 * Math.sqrt(m2));
  }
  const mu2 = mu * mu;
  const m4 = S4 * invW - 4 * mu * (S3 * invW) + 6 * mu2 * (S2 * invW) - 3 * mu2 * mu2;
  const vr = num * invW1;
  return m4 / (vr * vr) - 3;
}


/**
 * TsVar, TsStd, TsIr, TsSkew, TsKurt: block sums of powers of x - K (see the
 * window-sum notes above). Two stocks per SIMD lane pair; a pair where either
 * cell needs more than the sums (NaN, huge or tiny values, lost digits, a
 * constant window) and an odd last stock go through centralCell.
 * Scratch: centralFamilyScratch bytes: Q1..Q4 (w * nS f64 each), P (4 * nS f64), K (nS f64), constRow (nS i32).
 */
export function centralFamilyScratch(nS: f64, w: f64): f64 {
  return (4 * w * nS + 5 * nS) * 8 + nS * 4;
}
export function centralFamily(mode: i32, pSrc: usize, pOut: usize, nOut: i32, nS: i32, w: i32, row0: i32, pScratch: usize): void {
  // One function per mode (why: assembly/index.ts).
  if (mode == M_VAR) rollingVar(pSrc, pOut, nOut, nS, w, row0, pScratch);
  else if (mode == M_STD) rollingStd(pSrc, pOut, nOut, nS, w, row0, pScratch);
  else if (mode == M_IR) rollingIr(pSrc, pOut, nOut, nS, w, row0, pScratch);
  else if (mode == M_SKEW) rollingSkew(pSrc, pOut, nOut, nS, w, row0, pScratch);
  else rollingKurt(pSrc, pOut, nOut, nS, w, row0, pScratch);
}
function rollingVar(pSrc: usize, pOut: usize, nOut: i32, nS: i32, w: i32, row0: i32, pScratch: usize): void {
  centralFamilyOf(M_VAR, pSrc, pOut, nOut, nS, w, row0, pScratch);
}
function rollingStd(pSrc: usize, pOut: usize, nOut: i32, nS: i32, w: i32, row0: i32, pScratch: usize): void {
  centralFamilyOf(M_STD, pSrc, pOut, nOut, nS, w, row0, pScratch);
}
function rollingIr(pSrc: usize, pOut: usize, nOut: i32, nS: i32, w: i32, row0: i32, pScratch: usize): void {
  centralFamilyOf(M_IR, pSrc, pOut, nOut, nS, w, row0, pScratch);
}
function rollingSkew(pSrc: usize, pOut: usize, nOut: i32, nS: i32, w: i32, row0: i32, pScratch: usize): void {
  centralFamilyOf(M_SKEW, pSrc, pOut, nOut, nS, w, row0, pScratch);
}
function rollingKurt(pSrc: usize, pOut: usize, nOut: i32, nS: i32, w: i32, row0: i32, pScratch: usize): void {
  centralFamilyOf(M_KURT, pSrc, pOut, nOut, nS, w, row0, pScratch);
}
@inline function centralFamilyOf(mode: i32, pSrc: usize, pOut: usize, nOut: i32, nS: i32, w: i32, row0: i32, pScratch: usize): void {
  const order4 = mode == M_SKEW || mode == M_KURT;
  const nSrc = nOut + w - 1;
  const nV = nS & ~1; // stocks handled two at a time
  const invW = pin(vsplat(1 / <f64>w));
  const invW1 = pin(vsplat(1 / <f64>(w - 1)));
  const rel = pin(vsplat(order4 ? REL_ORDER4 : REL_ORDER2));
  const huge = pin(vsplat(order4 ? HUGE_ORDER4 : HUGE_ORDER2));
  const tiny = pin(vsplat(order4 ? TINY_ORDER4 : TINY_ORDER2));
  const qBytes = (<usize>(w * nS)) << 3;
  const Q1 = pScratch;
  const Q2 = Q1 + qBytes;
  const Q3 = Q2 + qBytes;
  const Q4 = Q3 + qBytes;
  const P = Q4 + qBytes;
  const K = P + ((<usize>(4 * nS)) << 3);
  const constRow = K + ((<usize>nS) << 3);
  fillI(constRow, nS, -1);
  for (let b0 = firstBlock(row0, w); b0 < nSrc; b0 += w) {
    const bEnd = min(b0 + w, nSrc);
    for (let s = 0; s < nS; s++) st(K, s, blockShift(pSrc, b0, bEnd, nS, s));
    const qBase = b0 - w + 1;
    for (let t = b0 - 1, iq = (w - 2) * nS; t >= qBase && t >= 0; t--, iq -= nS) {
      const it = t * nS;
      const last = t == b0 - 1;
      let s = 0;
      for (; s < nV; s += 2) {
        const d = f64x2.sub(vld(pSrc, it + s), vld(K, s));
        const d2 = f64x2.mul(d, d);
        const n = iq + nS + s;
        vst(Q1, iq + s, last ? d : f64x2.add(vld(Q1, n), d));
        vst(Q2, iq + s, last ? d2 : f64x2.add(vld(Q2, n), d2));
        if (order4) {
          const d3 = f64x2.mul(d2, d);
          const d4 = f64x2.mul(d2, d2);
          vst(Q3, iq + s, last ? d3 : f64x2.add(vld(Q3, n), d3));
          vst(Q4, iq + s, last ? d4 : f64x2.add(vld(Q4, n), d4));
        }
      }
      for (; s < nS; s++) {
        const d = ld(pSrc, it + s) - ld(K, s);
        const d2 = d * d;
        const n = iq + nS + s;
        st(Q1, iq + s, last ? d : ld(Q1, n) + d);
        st(Q2, iq + s, last ? d2 : ld(Q2, n) + d2);
        if (order4) {
          st(Q3, iq + s, last ? d2 * d : ld(Q3, n) + d2 * d);
          st(Q4, iq + s, last ? d2 * d2 : ld(Q4, n) + d2 * d2);
        }
      }
    }
    fillF(P, 4 * nS, 0);
    for (let t = b0; t < bEnd; t++) {
      const it = t * nS;
      const f = t - w + 1;
      const hasQ = f >= 0 && f < b0;
      const iq = (f - qBase) * nS;
      const o = f * nS;
      for (let s = 0; s < nV; s += 2) {
        const x = vld(pSrc, it + s);
        const Ks = vld(K, s);
        const d = f64x2.sub(x, Ks);
        const d2 = f64x2.mul(d, d);
        let S1 = f64x2.add(vld(P, s), d);
        let S2 = f64x2.add(vld(P, nS + s), d2);
        vst(P, s, S1);
        vst(P, nS + s, S2);
        let S3 = vsplat(0);
        let S4 = vsplat(0);
        if (order4) {
          S3 = f64x2.add(vld(P, 2 * nS + s), f64x2.mul(d2, d));
          S4 = f64x2.add(vld(P, 3 * nS + s), f64x2.mul(d2, d2));
          vst(P, 2 * nS + s, S3);
          vst(P, 3 * nS + s, S4);
        }
        if (f < 0) continue;
        if (hasQ) {
          S1 = f64x2.add(S1, vld(Q1, iq + s));
          S2 = f64x2.add(S2, vld(Q2, iq + s));
          if (order4) {
            S3 = f64x2.add(S3, vld(Q3, iq + s));
            S4 = f64x2.add(S4, vld(Q4, iq + s));
          }
        }
        const mu = f64x2.mul(S1, invW);
        const num = f64x2.sub(S2, f64x2.mul(S1, mu));
        const ok = v128.and(v128.and(f64x2.lt(order4 ? S4 : S2, huge), f64x2.gt(num, f64x2.mul(rel, S2))), f64x2.ge(S2, tiny));
        if (!i64x2.all_true(ok)) {
          for (let j = 0; j < 2; j++) {
            const sj = s + j;
            const S1j = j == 0 ? f64x2.extract_lane(S1, 0) : f64x2.extract_lane(S1, 1);
            const S2j = j == 0 ? f64x2.extract_lane(S2, 0) : f64x2.extract_lane(S2, 1);
            const S3j = j == 0 ? f64x2.extract_lane(S3, 0) : f64x2.extract_lane(S3, 1);
            const S4j = j == 0 ? f64x2.extract_lane(S4, 0) : f64x2.extract_lane(S4, 1);
            st(pOut, o + sj, centralCell(mode, S1j, S2j, S3j, S4j, ld(K, sj), ld(pSrc, it + sj), pSrc, it + sj, o + sj, nS, w, t, sj, constRow));
          }
          continue;
        }
        let v: v128;
        if (mode == M_VAR) v = f64x2.mul(num, invW1);
        else if (mode == M_STD) v = f64x2.sqrt(f64x2.mul(num, invW1));
        else if (mode == M_IR) v = f64x2.div(f64x2.add(Ks, mu), f64x2.sqrt(f64x2.mul(num, invW1)));
        else if (mode == M_SKEW) {
          const m2 = f64x2.mul(num, invW);
          const m3 = f64x2.add(
            f64x2.sub(f64x2.mul(S3, invW), f64x2.mul(f64x2.mul(vsplat(3), mu), f64x2.mul(S2, invW))),
            f64x2.mul(f64x2.mul(f64x2.mul(vsplat(2), mu), mu), mu),
          );
          v = f64x2.div(m3, f64x2.mul(m2, f64x2.sqrt(m2)));
        } else {
          const mu2 = f64x2.mul(mu, mu);
          const m4 = f64x2.sub(
            f64x2.add(
              f64x2.sub(f64x2.mul(S4, invW), f64x2.mul(f64x2.mul(vsplat(4), mu), f64x2.mul(S3, invW))),
              f64x2.mul(f64x2.mul(vsplat(6), mu2), f64x2.mul(S2, invW)),
            ),
            f64x2.mul(f64x2.mul(vsplat(3), mu2), mu2),
          );
          const vr = f64x2.mul(num, invW1);
          v = f64x2.sub(f64x2.div(m4, f64x2.mul(vr, vr)), vsplat(3));
        }
        vst(pOut, o + s, v);
      }
      for (let s = nV; s < nS; s++) {
        const x = ld(pSrc, it + s);
        const Ks = ld(K, s);
        const d = x - Ks;
        const d2 = d * d;
        let S1 = ld(P, s) + d;
        let S2 = ld(P, nS + s) + d2;
        st(P, s, S1);
        st(P, nS + s, S2);
        let S3: f64 = 0;
        let S4: f64 = 0;
        if (order4) {
          S3 = ld(P, 2 * nS + s) + d2 * d;
          S4 = ld(P, 3 * nS + s) + d2 * d2;
          st(P, 2 * nS + s, S3);
          st(P, 3 * nS + s, S4);
        }
        if (f < 0) continue;
        if (hasQ) {
          S1 += ld(Q1, iq + s);
          S2 += ld(Q2, iq + s);
          if (order4) {
            S3 += ld(Q3, iq + s);
            S4 += ld(Q4, iq + s);
          }
        }
        st(pOut, o + s, centralCell(mode, S1, S2, S3, S4, Ks, x, pSrc, it + s, o + s, nS, w, t, s, constRow));
      }
    }
  }
}

/** The plain weighted sum of the window starting at index i0 (weights wt[0, w), oldest first). */
function plainWeighted(wt: usize, src: usize, i0: i32, nS: i32, w: i32): f64 {
  let r: f64 = 0;
  for (let j = 0; j < w; j++) r += ld(wt, j) * ld(src, i0 + j * nS);
  return r;
}

/**
 * TsWMA (ema = 0) / TsEMA (ema = 1) from positive-weight block sums (windowSums.ts weightedAverage),
 * two stocks per SIMD step; a pair with a cell whose window holds a NaN, an infinity or a
 * value beyond SHIFT_MAX (lastBig) takes the plain weighted sum for that cell.
 * Scratch: weightedAverageScratch bytes: QT, QS (w * nS f64 each), P (2 * nS f64), powA (w + 1 f64),
 * the w normalised weights (f64, for the plain fallback), lastBig (nS f64: rows).
 */
export function weightedAverageScratch(nS: f64, w: f64): f64 {
  return (2 * w * nS + 3 * nS + 2 * w + 1) * 8;
}
export function weightedAverage(ema: i32, pSrc: usize, pOut: usize, nOut: i32, nS: i32, w: i32, row0: i32, pScratch: usize): void {
  // One function per mode (why: assembly/index.ts).
  if (ema == 0) rollingWma(pSrc, pOut, nOut, nS, w, row0, pScratch);
  else rollingEma(pSrc, pOut, nOut, nS, w, row0, pScratch);
}
function rollingWma(pSrc: usize, pOut: usize, nOut: i32, nS: i32, w: i32, row0: i32, pScratch: usize): void {
  weightedAverageOf(0, pSrc, pOut, nOut, nS, w, row0, pScratch);
}
function rollingEma(pSrc: usize, pOut: usize, nOut: i32, nS: i32, w: i32, row0: i32, pScratch: usize): void {
  weightedAverageOf(1, pSrc, pOut, nOut, nS, w, row0, pScratch);
}
@inline function weightedAverageOf(ema: i32, pSrc: usize, pOut: usize, nOut: i32, nS: i32, w: i32, row0: i32, pScratch: usize): void {
  const nSrc = nOut + w - 1;
  const nV = nS & ~1; // stocks handled two at a time in the tail sums
  const a = 1 - 2 / (1 + <f64>w);
  const qBytes = (<usize>(w * nS)) << 3;
  const QT = pScratch;
  const QS = QT + qBytes;
  const P = QS + qBytes;
  const powA = P + ((<usize>(2 * nS)) << 3);
  const wt = powA + ((<usize>(w + 1)) << 3);
  const lastBig = wt + ((<usize>w) << 3);
  st(powA, 0, 1);
  for (let k = 1; k <= w; k++) st(powA, k, ld(powA, k - 1) * a);
  let norm: f64 = 0;
  for (let k = 0; k < w; k++) norm += ema ? ld(powA, w - k) : <f64>k;
  const invNormV = pin(vsplat(1 / norm));
  const invNorm = f64x2.extract_lane(invNormV, 0);
  for (let k = 0; k < w; k++) st(wt, k, (ema ? ld(powA, w - k) : <f64>k) / norm);
  fillF(lastBig, nS, -1);
  const b1 = firstBlock(row0, w);
  for (let t = 0; t < min(b1, nSrc); t++) for (let s = 0; s < nS; s++) if (isBig(ld(pSrc, t * nS + s))) st(lastBig, s, <f64>t);
  for (let b0 = b1; b0 < nSrc; b0 += w) {
    const bEnd = min(b0 + w, nSrc);
    const qBase = b0 - w + 1;
    for (let t = b0 - 1, iq = (w - 2) * nS; t >= qBase && t >= 0; t--, iq -= nS) {
      const it = t * nS;
      const last = t == b0 - 1;
      let s = 0;
      if (!ema) {
        for (; s < nV; s += 2) {
          const x = vld(pSrc, it + s);
          const qs = vld(QS, iq + nS + s);
          vst(QT, iq + s, last ? vsplat(0) : f64x2.add(vld(QT, iq + nS + s), qs));
          vst(QS, iq + s, last ? x : f64x2.add(qs, x));
        }
        for (; s < nS; s++) {
          const x = ld(pSrc, it + s);
          st(QT, iq + s, last ? 0 : ld(QT, iq + nS + s) + ld(QS, iq + nS + s));
          st(QS, iq + s, last ? x : ld(QS, iq + nS + s) + x);
        }
      } else {
        const wq = ld(powA, b0 - t);
        for (; s < nV; s += 2) {
          const x = f64x2.mul(vld(pSrc, it + s), vsplat(wq));
          vst(QT, iq + s, last ? x : f64x2.add(vld(QT, iq + nS + s), x));
        }
        for (; s < nS; s++) {
          const x = ld(pSrc, it + s) * wq;
          st(QT, iq + s, last ? x : ld(QT, iq + nS + s) + x);
        }
      }
    }
    fillF(P, 2 * nS, 0);
    for (let t = b0; t < bEnd; t++) {
      const it = t * nS;
      const f = t - w + 1;
      const hasQ = f >= 0 && f < b0;
      const iq = (f - qBase) * nS;
      const o = f * nS;
      const u = t - b0;
      const lead = <f64>(b0 - f);
      const tail = ld(powA, t + 1 - b0);
      const tv = vsplat(<f64>t);
      const fv = vsplat(<f64>f);
      let s = 0;
      for (; s < nV; s += 2) {
        const x = vld(pSrc, it + s);
        const lb = v128.bitselect(vld(lastBig, s), tv, f64x2.le(f64x2.abs(x), vsplat(SHIFT_MAX)));
        vst(lastBig, s, lb);
        let v: v128;
        if (!ema) {
          const p = f64x2.add(vld(P, s), x);
          const wsum = u == 0 ? vsplat(0) : f64x2.add(vld(P, nS + s), f64x2.mul(vsplat(<f64>u), x));
          vst(P, s, p);
          vst(P, nS + s, wsum);
          if (f < 0) continue;
          const body = hasQ ? f64x2.add(f64x2.add(vld(QT, iq + s), wsum), f64x2.mul(vsplat(lead), p)) : wsum;
          v = f64x2.mul(f64x2.add(body, f64x2.mul(vsplat(0), vld(pSrc, o + s))), invNormV);
        } else {
          const e = f64x2.mul(vsplat(a), f64x2.add(vld(P, s), x));
          vst(P, s, e);
          if (f < 0) continue;
          v = f64x2.mul(hasQ ? f64x2.add(e, f64x2.mul(vsplat(tail), vld(QT, iq + s))) : e, invNormV);
        }
        vst(pOut, o + s, v);
        if (v128.any_true(v128.and(f64x2.ge(lb, fv), f64x2.eq(v, v)))) {
          for (let j = 0; j < 2; j++) if (ld(lastBig, s + j) >= <f64>f && ld(pOut, o + s + j) == ld(pOut, o + s + j)) st(pOut, o + s + j, plainWeighted(wt, pSrc, o + s + j, nS, w));
        }
      }
      for (; s < nS; s++) {
        const x = ld(pSrc, it + s);
        if (isBig(x)) st(lastBig, s, <f64>t);
        let v: f64;
        if (!ema) {
          const p = ld(P, s) + x;
          const wsum = u == 0 ? 0 : ld(P, nS + s) + <f64>u * x;
          st(P, s, p);
          st(P, nS + s, wsum);
          if (f < 0) continue;
          v = ((hasQ ? ld(QT, iq + s) + wsum + lead * p : wsum) + 0 * ld(pSrc, o + s)) * invNorm;
        } else {
          const e = a * (ld(P, s) + x);
          st(P, s, e);
          if (f < 0) continue;
          v = (hasQ ? e + tail * ld(QT, iq + s) : e) * invNorm;
        }
        if (ld(lastBig, s) >= <f64>f && v == v) v = plainWeighted(wt, pSrc, o + s, nS, w);
        st(pOut, o + s, v);
      }
    }
  }
}

/** Pearson's guard as SPEC §2.4: a sum of squares below 1e-6 makes the denominator 1. */
function pairResult(corr: bool, cab: f64, caa: f64, cbb: f64, w: i32): f64 {
  if (!corr) return cab / <f64>(w - 1);
  const denom = caa < 1e-6 || cbb < 1e-6 ? 1 : Math.sqrt(caa * cbb);
  return cab / denom;
}

function plainPair(corr: bool, a: usize, b: usize, i0: i32, stride: i32, w: i32): f64 {
  let sa: f64 = 0;
  let sb: f64 = 0;
  for (let k = 0; k < w; k++) {
    sa += ld(a, i0 + k * stride);
    sb += ld(b, i0 + k * stride);
  }
  const ma = windowMean(a, i0, stride, w, sa);
  const mb = windowMean(b, i0, stride, w, sb);
  let cab: f64 = 0;
  let caa: f64 = 0;
  let cbb: f64 = 0;
  for (let k = 0; k < w; k++) {
    const ca = ld(a, i0 + k * stride) - ma;
    const cb = ld(b, i0 + k * stride) - mb;
    cab += ca * cb;
    caa += ca * ca;
    cbb += cb * cb;
  }
  return pairResult(corr, cab, caa, cbb, w);
}

/** One output of pairMoments from its window sums (scalar: the odd stock and cells the vector path leaves). */
function pairCell(corr: bool, Sa: f64, Sb: f64, Saa: f64, Sbb: f64, Sab: f64, pA: usize, pB: usize, i: i32, o: i32, nS: i32, w: i32, t: i32, s: i32, constRowA: usize, constRowB: usize): f64 {
  if (!(Saa < HUGE_ORDER2 && Sbb < HUGE_ORDER2)) return Saa != Saa || Sbb != Sbb ? NaN : plainPair(corr, pA, pB, o, nS, w);
  const invW = 1 / <f64>w;
  const caa = Saa - Sa * Sa * invW;
  const cbb = Sbb - Sb * Sb * invW;
  if (!(caa > REL_ORDER2 * Saa && cbb > REL_ORDER2 * Sbb) || Saa < TINY_ORDER2 || Sbb < TINY_ORDER2) {
    // Digits lost, or a side with no spread: exact when a side is constant
    // (its centred values are exactly 0), else the plain formula.
    const constA = constantRun(pA, i, nS, w, t, s, constRowA);
    const constB = constantRun(pB, i, nS, w, t, s, constRowB);
    return constA || constB ? pairResult(corr, 0, constA ? 0 : 1, constB ? 0 : 1, w) : plainPair(corr, pA, pB, o, nS, w);
  }
  return pairResult(corr, Sab - Sa * Sb * invW, caa, cbb, w);
}

/**
 * TsCov (corr = 0) / TsCorr (corr = 1): block sums of a - Ka, b - Kb, their
 * squares and their product; two stocks per SIMD lane pair, pairCell for the
 * rest (as centralFamily).
 * Scratch: pairMomentsScratch bytes: Qa, Qb, Qaa, Qbb, Qab (w * nS f64 each), P (5 * nS f64), Ka, Kb (nS f64),
 * constRowA, constRowB (nS i32).
 */
export function pairMomentsScratch(nS: f64, w: f64): f64 {
  return (5 * w * nS + 7 * nS) * 8 + 2 * nS * 4;
}
export function pairMoments(corrFlag: i32, pA: usize, pB: usize, pOut: usize, nOut: i32, nS: i32, w: i32, row0: i32, pScratch: usize): void {
  // One function per mode (why: assembly/index.ts).
  if (corrFlag == 0) pairCovariances(pA, pB, pOut, nOut, nS, w, row0, pScratch);
  else pairCorrelations(pA, pB, pOut, nOut, nS, w, row0, pScratch);
}
function pairCovariances(pA: usize, pB: usize, pOut: usize, nOut: i32, nS: i32, w: i32, row0: i32, pScratch: usize): void {
  pairMomentsOf(0, pA, pB, pOut, nOut, nS, w, row0, pScratch);
}
function pairCorrelations(pA: usize, pB: usize, pOut: usize, nOut: i32, nS: i32, w: i32, row0: i32, pScratch: usize): void {
  pairMomentsOf(1, pA, pB, pOut, nOut, nS, w, row0, pScratch);
}
@inline function pairMomentsOf(corrFlag: i32, pA: usize, pB: usize, pOut: usize, nOut: i32, nS: i32, w: i32, row0: i32, pScratch: usize): void {
  const corr = corrFlag != 0;
  const nSrc = nOut + w - 1;
  const nV = nS & ~1;
  const invW = pin(vsplat(1 / <f64>w));
  const wMinus1 = pin(vsplat(<f64>(w - 1)));
  const huge = vsplat(HUGE_ORDER2);
  const rel = vsplat(REL_ORDER2);
  const tiny = vsplat(TINY_ORDER2);
  const qBytes = (<usize>(w * nS)) << 3;
  const Qa = pScratch;
  const Qb = Qa + qBytes;
  const Qaa = Qb + qBytes;
  const Qbb = Qaa + qBytes;
  const Qab = Qbb + qBytes;
  const P = Qab + qBytes;
  const Ka = P + ((<usize>(5 * nS)) << 3);
  const Kb = Ka + ((<usize>nS) << 3);
  const constRowA = Kb + ((<usize>nS) << 3);
  const constRowB = constRowA + ((<usize>nS) << 2);
  fillI(constRowA, nS, -1);
  fillI(constRowB, nS, -1);
  for (let b0 = firstBlock(row0, w); b0 < nSrc; b0 += w) {
    const bEnd = min(b0 + w, nSrc);
    for (let s = 0; s < nS; s++) {
      st(Ka, s, blockShift(pA, b0, bEnd, nS, s));
      st(Kb, s, blockShift(pB, b0, bEnd, nS, s));
    }
    const qBase = b0 - w + 1;
    for (let t = b0 - 1, iq = (w - 2) * nS; t >= qBase && t >= 0; t--, iq -= nS) {
      const it = t * nS;
      const last = t == b0 - 1;
      let s = 0;
      for (; s < nV; s += 2) {
        const da = f64x2.sub(vld(pA, it + s), vld(Ka, s));
        const db = f64x2.sub(vld(pB, it + s), vld(Kb, s));
        const daa = f64x2.mul(da, da);
        const dbb = f64x2.mul(db, db);
        const dab = f64x2.mul(da, db);
        const n = iq + nS + s;
        vst(Qa, iq + s, last ? da : f64x2.add(vld(Qa, n), da));
        vst(Qb, iq + s, last ? db : f64x2.add(vld(Qb, n), db));
        vst(Qaa, iq + s, last ? daa : f64x2.add(vld(Qaa, n), daa));
        vst(Qbb, iq + s, last ? dbb : f64x2.add(vld(Qbb, n), dbb));
        vst(Qab, iq + s, last ? dab : f64x2.add(vld(Qab, n), dab));
      }
      for (; s < nS; s++) {
        const da = ld(pA, it + s) - ld(Ka, s);
        const db = ld(pB, it + s) - ld(Kb, s);
        const n = iq + nS + s;
        st(Qa, iq + s, last ? da : ld(Qa, n) + da);
        st(Qb, iq + s, last ? db : ld(Qb, n) + db);
        st(Qaa, iq + s, last ? da * da : ld(Qaa, n) + da * da);
        st(Qbb, iq + s, last ? db * db : ld(Qbb, n) + db * db);
        st(Qab, iq + s, last ? da * db : ld(Qab, n) + da * db);
      }
    }
    fillF(P, 5 * nS, 0);
    for (let t = b0; t < bEnd; t++) {
      const it = t * nS;
      const f = t - w + 1;
      const hasQ = f >= 0 && f < b0;
      const iq = (f - qBase) * nS;
      const o = f * nS;
      for (let s = 0; s < nV; s += 2) {
        const da = f64x2.sub(vld(pA, it + s), vld(Ka, s));
        const db = f64x2.sub(vld(pB, it + s), vld(Kb, s));
        let Sa = f64x2.add(vld(P, s), da);
        let Sb = f64x2.add(vld(P, nS + s), db);
        let Saa = f64x2.add(vld(P, 2 * nS + s), f64x2.mul(da, da));
        let Sbb = f64x2.add(vld(P, 3 * nS + s), f64x2.mul(db, db));
        let Sab = f64x2.add(vld(P, 4 * nS + s), f64x2.mul(da, db));
        vst(P, s, Sa);
        vst(P, nS + s, Sb);
        vst(P, 2 * nS + s, Saa);
        vst(P, 3 * nS + s, Sbb);
        vst(P, 4 * nS + s, Sab);
        if (f < 0) continue;
        if (hasQ) {
          Sa = f64x2.add(Sa, vld(Qa, iq + s));
          Sb = f64x2.add(Sb, vld(Qb, iq + s));
          Saa = f64x2.add(Saa, vld(Qaa, iq + s));
          Sbb = f64x2.add(Sbb, vld(Qbb, iq + s));
          Sab = f64x2.add(Sab, vld(Qab, iq + s));
        }
        const caa = f64x2.sub(Saa, f64x2.mul(f64x2.mul(Sa, Sa), invW));
        const cbb = f64x2.sub(Sbb, f64x2.mul(f64x2.mul(Sb, Sb), invW));
        const ok = v128.and(
          v128.and(v128.and(f64x2.lt(Saa, huge), f64x2.lt(Sbb, huge)), v128.and(f64x2.gt(caa, f64x2.mul(rel, Saa)), f64x2.gt(cbb, f64x2.mul(rel, Sbb)))),
          v128.and(f64x2.ge(Saa, tiny), f64x2.ge(Sbb, tiny)),
        );
        if (!i64x2.all_true(ok)) {
          for (let j = 0; j < 2; j++) {
            const sj = s + j;
            const l0 = j == 0;
            st(
              pOut,
              o + sj,
              pairCell(
                corr,
                l0 ? f64x2.extract_lane(Sa, 0) : f64x2.extract_lane(Sa, 1),
                l0 ? f64x2.extract_lane(Sb, 0) : f64x2.extract_lane(Sb, 1),
                l0 ? f64x2.extract_lane(Saa, 0) : f64x2.extract_lane(Saa, 1),
                l0 ? f64x2.extract_lane(Sbb, 0) : f64x2.extract_lane(Sbb, 1),
                l0 ? f64x2.extract_lane(Sab, 0) : f64x2.extract_lane(Sab, 1),
                pA, pB, it + sj, o + sj, nS, w, t, sj, constRowA, constRowB,
              ),
            );
          }
          continue;
        }
        const cab = f64x2.sub(Sab, f64x2.mul(f64x2.mul(Sa, Sb), invW));
        let v: v128;
        if (!corr) v = f64x2.div(cab, wMinus1);
        else {
          // Pearson's guard: a sum of squares below 1e-6 makes the denominator 1.
          const small = v128.or(f64x2.lt(caa, vsplat(1e-6)), f64x2.lt(cbb, vsplat(1e-6)));
          const denom = v128.bitselect(vsplat(1), f64x2.sqrt(f64x2.mul(caa, cbb)), small);
          v = f64x2.div(cab, denom);
        }
        vst(pOut, o + s, v);
      }
      for (let s = nV; s < nS; s++) {
        const da = ld(pA, it + s) - ld(Ka, s);
        const db = ld(pB, it + s) - ld(Kb, s);
        let Sa = ld(P, s) + da;
        let Sb = ld(P, nS + s) + db;
        let Saa = ld(P, 2 * nS + s) + da * da;
        let Sbb = ld(P, 3 * nS + s) + db * db;
        let Sab = ld(P, 4 * nS + s) + da * db;
        st(P, s, Sa);
        st(P, nS + s, Sb);
        st(P, 2 * nS + s, Saa);
        st(P, 3 * nS + s, Sbb);
        st(P, 4 * nS + s, Sab);
        if (f < 0) continue;
        if (hasQ) {
          Sa += ld(Qa, iq + s);
          Sb += ld(Qb, iq + s);
          Saa += ld(Qaa, iq + s);
          Sbb += ld(Qbb, iq + s);
          Sab += ld(Qab, iq + s);
        }
        st(pOut, o + s, pairCell(corr, Sa, Sb, Saa, Sbb, Sab, pA, pB, it + s, o + s, nS, w, t, s, constRowA, constRowB));
      }
    }
  }
}
