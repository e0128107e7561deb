/**
 * Window-sum kernels (SPEC §2.4): TsSum, TsMean, TsDiv, TsVar, TsStd, TsIr,
 * TsSkew, TsKurt, TsMad, TsWMA, TsEMA, TsCov, TsCorr.
 *
 * Block partial sums (the van Herk / Gil-Werman idea applied to sums): rows are
 * cut into blocks of w; a window [f, t] is the tail [f, b0) of one block plus
 * the head [b0, t] of the next (b0 = the block start). Per block, one backward
 * pass stores the suffix sums of the previous block's tail and one forward pass
 * keeps the prefix sums of the block's head; each window's sum is one suffix
 * plus one prefix. Nothing is ever subtracted, so:
 * - no drift and no rebuilds: every window sum is a fresh sum of its own values;
 * - a NaN / infinity / 1e120 counts exactly in the windows holding it and in no
 *   other (IEEE propagation gives the NaN rule for free).
 * Central moments use values shifted by K (per stock, per block: the first
 * ordinary value of the block, inside every window using the block's sums),
 * so S2 - S1^2/w does not cancel. A cell falls back to the plain two-pass
 * formula when the shifted sums would lose digits (mean far from K relative to
 * the spread, huge or tiny values); a window of identical values gets the
 * exact answer (variance 0, skew NaN), found in O(1) per cell from runs.
 * Blocks are aligned to absolute rows (`row0`), so a window's bits do not
 * depend on which rows around it are evaluated.
 *
 * Layout: `src` is [nOut + w - 1][nStocks], `out` is [nOut][nStocks]; output
 * row f is the window of source rows f .. f + w - 1. Rows are walked in order
 * with per-stock state, so inner loops run contiguously over a row's stocks.
 */
import type { PairRollingKernel, RollingKernel } from './types.js';

/** Reused buffers (grown, never shrunk): no allocation per call once warm. */
const f64Buffers: Float64Array[] = [];
function f64(id: number, n: number): Float64Array {
  const cur = f64Buffers[id];
  if (cur && cur.length >= n) return cur;
  const next = new Float64Array(Math.max(n, Math.ceil((cur?.length ?? 0) * 1.5)));
  f64Buffers[id] = next;
  return next;
}
const i32Buffers: Int32Array[] = [];
function i32(id: number, n: number): Int32Array {
  const cur = i32Buffers[id];
  if (cur && cur.length >= n) return cur;
  const next = new Int32Array(Math.max(n, Math.ceil((cur?.length ?? 0) * 1.5)));
  i32Buffers[id] = next;
  return next;
}

/**
 * Shifted sums lose about log10(S2 / (S2 - S1^2/w)) digits: past 6 (2nd
 * moments) or 2 (3rd / 4th, whose corrections grow with (mean-K)^4) the cell
 * takes the plain formula.
 */
const REL_ORDER2 = 1e-6;
const REL_ORDER4 = 1e-2;
/** Sums of squares (4th powers) beyond these hold a value past 1e100 (1e60) or an infinity: plain formula. */
const HUGE_ORDER2 = 1e200;
const HUGE_ORDER4 = 1e240;
/** Sums of squares below these hold values whose squares (4th powers) lose bits to underflow: plain formula. */
const TINY_ORDER2 = 1e-200;
const TINY_ORDER4 = 1e-120;
/** Shifts are taken only from values up to this magnitude. */
const SHIFT_MAX = 1e100;

export const enum Moment {
  Sum,
  Mean,
  Div,
  Var,
  Std,
  Ir,
  Skew,
  Kurt,
  Mad,
}

/** sum / w, except exactly the value for a window of identical values (so they centre to 0). */
function windowMean(src: Float64Array, i0: number, stride: number, w: number, sum: number): number {
  const x0 = src[i0];
  for (let k = 1; k < w; k++) if (src[i0 + k * stride] !== x0) return sum / w;
  return x0;
}

/** The plain two-pass formula on one window (cells the shifted sums cannot do to full precision). */
export function plainMoment(mode: Moment, src: Float64Array, i0: number, stride: number, w: number): number {
  let sum = 0;
  for (let k = 0; k < w; k++) sum += src[i0 + k * stride];
  const mean = windowMean(src, i0, stride, w, sum);
  const last = src[i0 + (w - 1) * stride];
  if (mode === Moment.Sum) return sum;
  if (mode === Moment.Mean) return mean;
  if (mode === Moment.Div) return last / mean;
  let c1 = 0;
  let c2 = 0;
  let c3 = 0;
  let c4 = 0;
  for (let k = 0; k < w; k++) {
    const c = src[i0 + k * stride] - mean;
    c1 += Math.abs(c);
    c2 += c * c;
    c3 += c * c * c;
    c4 += c * c * c * c;
  }
  switch (mode) {
    case Moment.Var:
      return c2 / (w - 1);
    case Moment.Std:
      return Math.sqrt(c2 / (w - 1));
    case Moment.Ir:
      return mean / Math.sqrt(c2 / (w - 1));
    case Moment.Skew:
      return c3 / w / Math.pow(c2 / w, 1.5);
    case Moment.Kurt: {
      const v = c2 / (w - 1);
      return c4 / w / (v * v) - 3;
    }
    default:
      return c1 / w;
  }
}

/** Exact result on a window of w copies of x. */
function constantMoment(mode: Moment, x: number, w: number): number {
  switch (mode) {
    case Moment.Sum:
      return x * w;
    case Moment.Mean:
      return x;
    case Moment.Div:
      return x / x;
    case Moment.Mad:
      return x - x; // 0, NaN for an infinity
    case Moment.Var:
    case Moment.Std:
      return w > 1 ? 0 : NaN;
    case Moment.Ir:
      return x / (w > 1 ? 0 : NaN);
    default:
      return NaN; // skew, kurt: 0 / 0
  }
}

/**
 * Per-row bookkeeping, rows visited in order:
 * - runs of identical values: runStart[s] = the row where stock s's current
 *   run began, so the window [f, t] holds one value repeated iff
 *   runStart[s] <= f (a NaN never continues a run);
 * - lastBig[s] = the last row holding a NaN, an infinity or a value beyond
 *   SHIFT_MAX: plain sums of such windows must add in window order to give
 *   what the plain formula gives (1e120 + 6 - 1e120 = 0, not 6).
 */
function updateRows(src: Float64Array, t: number, nS: number, runStart: Int32Array, lastBig: Int32Array): void {
  const it = t * nS;
  const ip = t > 0 ? it - nS : it; // the previous row (row 0: itself, leaving runStart at 0)
  for (let s = 0; s < nS; s++) {
    const x = src[it + s];
    if (x !== src[ip + s]) runStart[s] = t;
    if (!(Math.abs(x) <= SHIFT_MAX)) lastBig[s] = t;
  }
}

/**
 * Whether the window of w rows ending at index i (row t, stock s) holds w
 * identical values; O(1) while a run continues: if the window ending at t - 1
 * was constant (constRow[s] === t - 1) and the newest value repeats, this one
 * is too. Called only where the shifted sums show (almost) no spread, so the
 * fast path pays nothing for it.
 */
function constantRun(src: Float64Array, i: number, nS: number, w: number, t: number, s: number, constRow: Int32Array): boolean {
  const x = src[i];
  if (w > 1 && x !== src[i - nS]) return false;
  let constant = constRow[s] === t - 1;
  if (!constant) {
    constant = true;
    for (let j = 1, k = i - nS; j < w; j++, k -= nS) {
      if (src[k] !== x) {
        constant = false;
        break;
      }
    }
  }
  if (constant) constRow[s] = t;
  return constant;
}

/**
 * K for the block [b0, bEnd): per stock, its first ordinary value in the block
 * (every window using the block's sums holds row b0, so K is inside or next to
 * them), 0 if none. Depends on the block alone, so results do not depend on
 * where the evaluated rows start.
 */
function blockShift(src: Float64Array, b0: number, bEnd: number, nS: number, K: Float64Array): void {
  for (let s = 0; s < nS; s++) {
    let k = 0;
    for (let t = b0; t < bEnd; t++) {
      const x = src[t * nS + s];
      if (Math.abs(x) <= SHIFT_MAX) {
        k = x;
        break;
      }
    }
    K[s] = k;
  }
}

/**
 * The first block start: blocks are aligned to absolute rows (multiples of w
 * from the data's first padded day, row0 = src row 0's index there), so a
 * window gets the same bits whatever rows around it are evaluated (a shared
 * or cached sub-expression equals its standalone evaluation).
 */
function firstBlock(row0: number, w: number): number {
  return (w - (((row0 % w) + w) % w)) % w;
}

/**
 * One kernel's work per block, called by walkBlocks for each block [b0, bEnd):
 * `start` (per-block state), `tail` for the rows t of the previous block's tail
 * [b0 - w + 1, b0) backward from b0 - 1 (`last`: t = b0 - 1; `iq`: t's row of
 * suffix sums), then `head` for the block's rows t forward: the window [f, t],
 * f = t - w + 1 (f < 0: no output yet), whose suffix sums are at `iq` when
 * `hasQ` (f < b0; else the window is the head alone).
 */
interface BlockSteps {
  start(b0: number, bEnd: number): void;
  tail(t: number, iq: number, last: boolean, b0: number): void;
  head(t: number, f: number, hasQ: boolean, iq: number, b0: number): void;
}

/** Walks src rows [0, nSrc) block by block (blocks aligned by row0, see firstBlock); rows before the first block are the caller's. */
function walkBlocks(nSrc: number, nS: number, w: number, row0: number, steps: BlockSteps): void {
  for (let b0 = firstBlock(row0, w); b0 < nSrc; b0 += w) {
    const bEnd = Math.min(b0 + w, nSrc);
    steps.start(b0, bEnd);
    const qBase = b0 - w + 1;
    for (let t = b0 - 1, iq = (w - 2) * nS; t >= qBase && t >= 0; t--, iq -= nS) steps.tail(t, iq, t === b0 - 1, b0);
    for (let t = b0; t < bEnd; t++) {
      const f = t - w + 1;
      steps.head(t, f, f >= 0 && f < b0, (f - qBase) * nS, b0);
    }
  }
}

/** TsSum, TsMean, TsDiv, TsMad: plain (unshifted) sums; TsMad adds one O(w) pass around the mean. */
function sumFamily(mode: Moment.Sum | Moment.Mean | Moment.Div | Moment.Mad): RollingKernel {
  return (src, out, nOut, nS, w, row0 = 0) => {
    const nSrc = nOut + w - 1;
    const invW = 1 / w;
    const Q = f64(0, w * nS); // suffix sums of the previous block's tail
    const P = f64(1, nS); // prefix sums of the block's head
    const runStart = i32(0, nS).fill(0, 0, nS);
    const lastBig = i32(1, nS).fill(-1, 0, nS);
    for (let t = 0; t < Math.min(firstBlock(row0, w), nSrc); t++) updateRows(src, t, nS, runStart, lastBig);
    walkBlocks(nSrc, nS, w, row0, {
      start: () => P.fill(0, 0, nS),
      tail: (t, iq, last) => {
        const it = t * nS;
        if (last) for (let s = 0; s < nS; s++) Q[iq + s] = src[it + s];
        else for (let s = 0; s < nS; s++) Q[iq + s] = Q[iq + nS + s] + src[it + s];
      },
      head: (t, f, hasQ, iq) => {
        const it = t * nS;
        if (f < 0) {
          updateRows(src, t, nS, runStart, lastBig);
          for (let s = 0; s < nS; s++) P[s] += src[it + s];
          return;
        }
        const ip = t > 0 ? it - nS : it;
        const o = f * nS;
        for (let s = 0; s < nS; s++) {
          const x = src[it + s];
          // updateRows, inlined (one pass over the row).
          if (x !== src[ip + s]) runStart[s] = t;
          if (!(Math.abs(x) <= SHIFT_MAX)) lastBig[s] = t;
          const p = P[s] + x;
          P[s] = p;
          const S = hasQ ? Q[iq + s] + p : p;
          if (lastBig[s] >= f && S === S) {
            out[o + s] = plainMoment(mode, src, o + s, nS, w);
            continue;
          }
          if (runStart[s] <= f) {
            out[o + s] = constantMoment(mode, x, w);
            continue;
          }
          switch (mode) {
            case Moment.Sum:
              out[o + s] = S;
              break;
            case Moment.Mean:
              out[o + s] = S * invW;
              break;
            case Moment.Div:
              out[o + s] = x / (S * invW);
              break;
            default:
              out[o + s] = S === S ? meanAbsDeviation(src, o + s, nS, w, S * invW) : NaN;
          }
        }
      },
    });
  };
}

/** TsMad's second pass: mean |x - m| over the window starting at index i0 (two accumulators halve the dependent chain). */
function meanAbsDeviation(src: Float64Array, i0: number, nS: number, w: number, m: number): number {
  const i = i0 + (w - 1) * nS;
  let a0 = 0;
  let a1 = 0;
  let k = i0;
  for (; k < i; k += 2 * nS) {
    a0 += Math.abs(src[k] - m);
    a1 += Math.abs(src[k + nS] - m);
  }
  if (k === i) a0 += Math.abs(src[k] - m);
  return (a0 + a1) / w;
}

/** TsVar, TsStd, TsIr (2nd moments) and TsSkew, TsKurt (up to the 4th): sums of powers of x - K. */
function centralFamily(mode: Moment.Var | Moment.Std | Moment.Ir | Moment.Skew | Moment.Kurt): RollingKernel {
  const order4 = mode === Moment.Skew || mode === Moment.Kurt;
  const rel = order4 ? REL_ORDER4 : REL_ORDER2;
  const huge = order4 ? HUGE_ORDER4 : HUGE_ORDER2;
  const tiny = order4 ? TINY_ORDER4 : TINY_ORDER2;
  return (src, out, nOut, nS, w, row0 = 0) => {
    const invW = 1 / w;
    const invW1 = 1 / (w - 1);
    const nPow = order4 ? 4 : 2;
    // Suffix sums of the tail's powers of d = x - K; prefix sums of the head's at j * nS + s (power j + 1).
    const Q1 = f64(0, w * nS);
    const Q2 = f64(1, w * nS);
    const Q3 = f64(2, order4 ? w * nS : 0);
    const Q4 = f64(3, order4 ? w * nS : 0);
    const P = f64(4, nPow * nS);
    const K = f64(5, nS);
    const constRow = i32(0, nS).fill(-1, 0, nS); // the last row whose window was constant
    walkBlocks(nOut + w - 1, nS, w, row0, {
      start: (b0, bEnd) => {
        blockShift(src, b0, bEnd, nS, K);
        P.fill(0, 0, nPow * nS);
      },
      tail: (t, iq, last) => {
        const it = t * nS;
        for (let s = 0; s < nS; s++) {
          const d = src[it + s] - K[s];
          const d2 = d * d;
          const n = iq + nS + s;
          Q1[iq + s] = last ? d : Q1[n] + d;
          Q2[iq + s] = last ? d2 : Q2[n] + d2;
          if (order4) {
            Q3[iq + s] = last ? d2 * d : Q3[n] + d2 * d;
            Q4[iq + s] = last ? d2 * d2 : Q4[n] + d2 * d2;
          }
        }
      },
      head: (t, f, hasQ, iq) => {
        const it = t * nS;
        const o = f * nS;
        for (let s = 0; s < nS; s++) {
          const x = src[it + s];
          const d = x - K[s];
          const d2 = d * d;
          let S1 = P[s] + d;
          let S2 = P[nS + s] + d2;
          P[s] = S1;
          P[nS + s] = S2;
          let S3 = 0;
          let S4 = 0;
          if (order4) {
            S3 = P[2 * nS + s] + d2 * d;
            S4 = P[3 * nS + s] + d2 * d2;
            P[2 * nS + s] = S3;
            P[3 * nS + s] = S4;
          }
          if (f < 0) continue;
          if (hasQ) {
            S1 += Q1[iq + s];
            S2 += Q2[iq + s];
            if (order4) {
              S3 += Q3[iq + s];
              S4 += Q4[iq + s];
            }
          }
          const top = order4 ? S4 : S2;
          if (!(top < huge)) {
            // NaN in the window (a sum of non-negative terms is NaN only from a NaN), or huge values.
            out[o + s] = top !== top ? NaN : plainMoment(mode, src, o + s, nS, w);
            continue;
          }
          const mu = S1 * invW; // mean - K
          const num = S2 - S1 * mu; // sum of squared deviations from the mean
          if (!(num > rel * S2) || S2 < tiny) {
            // Digits lost, or no spread: exact for a constant window, else the plain formula.
            out[o + s] = constantRun(src, it + s, nS, w, t, s, constRow) ? constantMoment(mode, x, w) : plainMoment(mode, src, o + s, nS, w);
            continue;
          }
          switch (mode) {
            case Moment.Var:
              out[o + s] = num * invW1;
              break;
            case Moment.Std:
              out[o + s] = Math.sqrt(num * invW1);
              break;
            case Moment.Ir:
              out[o + s] = (K[s] + mu) / Math.sqrt(num * invW1);
              break;
            case Moment.Skew: {
              const m2 = num * invW;
              const m3 = S3 * invW - 3 * mu * (S2 * invW) + 2 * mu * mu * mu;
              out[o + s] = m3 / (m2 * Math.sqrt(m2));
              break;
            }
            default: {
              const mu2 = mu * mu;
              const m4 = S4 * invW - 4 * mu * (S3 * invW) + 6 * mu2 * (S2 * invW) - 3 * mu2 * mu2;
              const v = num * invW1;
              out[o + s] = m4 / (v * v) - 3;
            }
          }
        }
      },
    });
  };
}

export const tsSumKernel = sumFamily(Moment.Sum);
export const tsMeanKernel = sumFamily(Moment.Mean);
export const tsDivKernel = sumFamily(Moment.Div);
/** TsMad: the mean from the block sums, then one O(w) pass for sum |x - mean| (measured faster, for w <= 50, than a sorted window splitting at the mean). */
export const tsMadKernel = sumFamily(Moment.Mad);
export const tsVarKernel = centralFamily(Moment.Var);
export const tsStdKernel = centralFamily(Moment.Std);
export const tsIrKernel = centralFamily(Moment.Ir);
export const tsSkewKernel = centralFamily(Moment.Skew);
export const tsKurtKernel = centralFamily(Moment.Kurt);

/** Weights of TsWMA (0, 1, .., w-1 over their sum) or TsEMA (a^w .. a^1 over their sum), oldest first. */
export function averageWeights(kind: 'wma' | 'ema', w: number): Float64Array {
  const wt = new Float64Array(w);
  const a = 1 - 2 / (1 + w);
  let sum = 0;
  for (let j = 0; j < w; j++) {
    wt[j] = kind === 'wma' ? j : Math.pow(a, w - j);
    sum += wt[j];
  }
  for (let j = 0; j < w; j++) wt[j] /= sum;
  return wt;
}

/**
 * TsWMA / TsEMA from block partial sums with positive weights only (no
 * cancellation, no shift needed). For the window [f, t] with block start b0:
 * - WMA (weight u - f on row u): T(f) + W(t) + (b0 - f) * P(t), where
 *   T(f) = sum over [f, b0) of (u - f) x_u (backward: T(f) = T(f+1) + Σ[f+1, b0) x),
 *   P(t) = sum over [b0, t] of x_u and W(t) = sum over (b0, t] of (u - b0) x_u;
 * - EMA (weight a^(t+1-u)): E(t) + a^(t+1-b0) R(f), where E(t) = a (E(t-1) + x_t)
 *   over [b0, t] and R(f) = sum over [f, b0) of a^(b0-u) x_u.
 * The oldest value has weight 0 in WMA: it enters as 0 * x, so a NaN or an
 * infinity there still gives NaN, as the plain weighted sum does. Windows with
 * an infinity or a value beyond 1e100 take the plain weighted sum (in window
 * order, as the plain formula rounds).
 */
function weightedAverage(kind: 'wma' | 'ema'): RollingKernel {
  return (src, out, nOut, nS, w, row0 = 0) => {
    const nSrc = nOut + w - 1;
    const a = 1 - 2 / (1 + w);
    const powA = f64(6, w + 1); // a^k
    powA[0] = 1;
    for (let k = 1; k <= w; k++) powA[k] = powA[k - 1] * a;
    const wt = averageWeights(kind, w);
    let norm = 0;
    for (let k = 0; k < w; k++) norm += kind === 'wma' ? k : powA[w - k];
    const invNorm = 1 / norm;
    const QT = f64(0, w * nS); // WMA: T(f); EMA: R(f)
    const QS = f64(1, w * nS); // WMA: sum over [f, b0) (for T)
    const P = f64(4, 2 * nS); // WMA: P(t) at s, W(t) at nS + s; EMA: E(t) at s
    const lastBig = i32(1, nS).fill(-1, 0, nS); // the last row holding a NaN, an infinity or a value beyond SHIFT_MAX
    for (let t = 0; t < Math.min(firstBlock(row0, w), nSrc); t++) for (let s = 0; s < nS; s++) if (!(Math.abs(src[t * nS + s]) <= SHIFT_MAX)) lastBig[s] = t;
    walkBlocks(nSrc, nS, w, row0, {
      start: () => P.fill(0, 0, 2 * nS),
      tail: (t, iq, last, b0) => {
        const it = t * nS;
        if (kind === 'wma') {
          for (let s = 0; s < nS; s++) {
            const x = src[it + s];
            QT[iq + s] = last ? 0 : QT[iq + nS + s] + QS[iq + nS + s];
            QS[iq + s] = last ? x : QS[iq + nS + s] + x;
          }
        } else {
          const wq = powA[b0 - t];
          for (let s = 0; s < nS; s++) {
            const x = src[it + s] * wq;
            QT[iq + s] = last ? x : QT[iq + nS + s] + x;
          }
        }
      },
      head: (t, f, hasQ, iq, b0) => {
        const it = t * nS;
        const o = f * nS;
        const u = t - b0;
        if (kind === 'wma') {
          const lead = b0 - f; // weight of the head's values beyond their offset from b0
          for (let s = 0; s < nS; s++) {
            const x = src[it + s];
            if (!(Math.abs(x) <= SHIFT_MAX)) lastBig[s] = t;
            const p = P[s] + x;
            const wsum = u === 0 ? 0 : P[nS + s] + u * x;
            P[s] = p;
            P[nS + s] = wsum;
            if (f < 0) continue;
            // src[o + s] is the window's oldest value (weight 0: only its NaN / infinity counts).
            const v = ((hasQ ? QT[iq + s] + wsum + lead * p : wsum) + 0 * src[o + s]) * invNorm;
            out[o + s] = lastBig[s] >= f && v === v ? plainWeighted(wt, src, o + s, nS, w) : v;
          }
        } else {
          const tail = powA[t + 1 - b0];
          for (let s = 0; s < nS; s++) {
            const x = src[it + s];
            if (!(Math.abs(x) <= SHIFT_MAX)) lastBig[s] = t;
            const e = a * (P[s] + x);
            P[s] = e;
            if (f < 0) continue;
            const v = (hasQ ? e + tail * QT[iq + s] : e) * invNorm;
            out[o + s] = lastBig[s] >= f && v === v ? plainWeighted(wt, src, o + s, nS, w) : v;
          }
        }
      },
    });
  };
}

/** The weighted sum over one window in window order (windows with infinities or huge values). */
function plainWeighted(wt: Float64Array, src: Float64Array, i0: number, stride: number, w: number): number {
  let r = 0;
  for (let j = 0; j < w; j++) r += wt[j] * src[i0 + j * stride];
  return r;
}

export const tsWmaKernel = weightedAverage('wma');
export const tsEmaKernel = weightedAverage('ema');

const enum PairMoment {
  Cov,
  Corr,
}

function plainPair(mode: PairMoment, a: Float64Array, b: Float64Array, i0: number, stride: number, w: number): number {
  let sa = 0;
  let sb = 0;
  for (let k = 0; k < w; k++) {
    sa += a[i0 + k * stride];
    sb += b[i0 + k * stride];
  }
  const ma = windowMean(a, i0, stride, w, sa);
  const mb = windowMean(b, i0, stride, w, sb);
  let cab = 0;
  let caa = 0;
  let cbb = 0;
  for (let k = 0; k < w; k++) {
    const ca = a[i0 + k * stride] - ma;
    const cb = b[i0 + k * stride] - mb;
    cab += ca * cb;
    caa += ca * ca;
    cbb += cb * cb;
  }
  return pairResult(mode, cab, caa, cbb, w);
}

function pairResult(mode: PairMoment, cab: number, caa: number, cbb: number, w: number): number {
  if (mode === PairMoment.Cov) return cab / (w - 1);
  const denom = caa < 1e-6 || cbb < 1e-6 ? 1 : Math.sqrt(caa * cbb);
  return cab / denom;
}

/** TsCov, TsCorr: block sums of a - Ka, b - Kb, their squares and their product. */
function pairMoments(mode: PairMoment): PairRollingKernel {
  return (A, B, out, nOut, nS, w, row0 = 0) => {
    const invW = 1 / w;
    // Suffix sums of the tail (da, db, da^2, db^2, da*db); prefix sums of the head at j * nS + s.
    const Qa = f64(0, w * nS);
    const Qb = f64(1, w * nS);
    const Qaa = f64(2, w * nS);
    const Qbb = f64(3, w * nS);
    const Qab = f64(7, w * nS);
    const P = f64(4, 5 * nS);
    const Ka = f64(5, nS);
    const Kb = f64(8, nS);
    const constRowA = i32(0, nS).fill(-1, 0, nS); // the last row whose A (B) window was constant
    const constRowB = i32(1, nS).fill(-1, 0, nS);
    walkBlocks(nOut + w - 1, nS, w, row0, {
      start: (b0, bEnd) => {
        blockShift(A, b0, bEnd, nS, Ka);
        blockShift(B, b0, bEnd, nS, Kb);
        P.fill(0, 0, 5 * nS);
      },
      tail: (t, iq, last) => {
        const it = t * nS;
        for (let s = 0; s < nS; s++) {
          const da = A[it + s] - Ka[s];
          const db = B[it + s] - Kb[s];
          const n = iq + nS + s;
          Qa[iq + s] = last ? da : Qa[n] + da;
          Qb[iq + s] = last ? db : Qb[n] + db;
          Qaa[iq + s] = last ? da * da : Qaa[n] + da * da;
          Qbb[iq + s] = last ? db * db : Qbb[n] + db * db;
          Qab[iq + s] = last ? da * db : Qab[n] + da * db;
        }
      },
      head: (t, f, hasQ, iq) => {
        const it = t * nS;
        const o = f * nS;
        for (let s = 0; s < nS; s++) {
          const da = A[it + s] - Ka[s];
          const db = B[it + s] - Kb[s];
          let Sa = P[s] + da;
          let Sb = P[nS + s] + db;
          let Saa = P[2 * nS + s] + da * da;
          let Sbb = P[3 * nS + s] + db * db;
          let Sab = P[4 * nS + s] + da * db;
          P[s] = Sa;
          P[nS + s] = Sb;
          P[2 * nS + s] = Saa;
          P[3 * nS + s] = Sbb;
          P[4 * nS + s] = Sab;
          if (f < 0) continue;
          if (hasQ) {
            Sa += Qa[iq + s];
            Sb += Qb[iq + s];
            Saa += Qaa[iq + s];
            Sbb += Qbb[iq + s];
            Sab += Qab[iq + s];
          }
          if (!(Saa < HUGE_ORDER2 && Sbb < HUGE_ORDER2)) {
            out[o + s] = Saa !== Saa || Sbb !== Sbb ? NaN : plainPair(mode, A, B, o + s, nS, w);
            continue;
          }
          const caa = Saa - Sa * Sa * invW;
          const cbb = Sbb - Sb * Sb * invW;
          if (!(caa > REL_ORDER2 * Saa && cbb > REL_ORDER2 * Sbb) || Saa < TINY_ORDER2 || Sbb < TINY_ORDER2) {
            // Digits lost, or a side with no spread: exact when a side is constant
            // (its centred values are exactly 0), else the plain formula.
            const constA = constantRun(A, it + s, nS, w, t, s, constRowA);
            const constB = constantRun(B, it + s, nS, w, t, s, constRowB);
            out[o + s] = constA || constB ? pairResult(mode, 0, constA ? 0 : 1, constB ? 0 : 1, w) : plainPair(mode, A, B, o + s, nS, w);
            continue;
          }
          out[o + s] = pairResult(mode, Sab - Sa * Sb * invW, caa, cbb, w);
        }
      },
    });
  };
}

export const tsCovKernel = pairMoments(PairMoment.Cov);
export const tsCorrKernel = pairMoments(PairMoment.Corr);
