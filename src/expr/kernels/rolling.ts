/**
 * Sliding-window kernels (SPEC §2.4), one stock column at a time, O(1) or
 * O(log w) amortised per cell and allocation-free per cell:
 * - moments (sum, mean, std, var, ir, skew, kurt, div, mad) and pair moments
 *   (cov, corr): running power sums of (x - K), K a per-column shift reset to
 *   the window mean whenever the sums are rebuilt: every w steps, and at once
 *   when a value leaving the window dwarfs what remains (so a spike cannot
 *   leave rounding debris behind);
 * - weighted averages (wma, ema): linear recurrences on the same shifted sums;
 * - max / min and their differences: monotonic deques;
 * - median and TsRank: an incrementally sorted window of the non-NaN values.
 * NaN rule: a NaN anywhere in the window gives NaN (TsRank: never NaN;
 * TsPctChange and TsDelta read only their two end points, like the reference).
 * Windows holding an infinity or a huge value (|x| > 1e100) are computed by the
 * plain formula for that cell, so IEEE results (inf - inf = NaN, ...) are exact.
 * A window of identical values gets the exact answer (variance 0).
 *
 * Layout: `src` is [nOut + back][nStocks], `out` is [nOut][nStocks]; output row r
 * is the window of source rows r .. r + w - 1 (see kernels/types.ts).
 */
import type { PairRollingKernel, RollingKernel } from './types.js';

/** Values beyond this magnitude (or infinite) make their windows take the plain formula. */
const BIG = 1e100;
/** Rebuild the sums when a leaving term exceeds this multiple of what remains. */
const DOMINATES = 1e8;

const enum Moment {
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

/** The plain two-pass formula on one window (cells with infinities or huge values). */
function plainMoment(mode: Moment, src: Float64Array, i0: number, stride: number, w: number): number {
  let sum = 0;
  for (let k = 0; k < w; k++) sum += src[i0 + k * stride];
  const mean = sum / w;
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
    case Moment.Var:
    case Moment.Std:
    case Moment.Mad:
      return w > 1 ? 0 : NaN;
    case Moment.Ir:
      return x / (w > 1 ? 0 : NaN);
    default:
      return NaN; // skew, kurt: 0 / 0
  }
}

function moments(mode: Moment): RollingKernel {
  const order4 = mode === Moment.Skew || mode === Moment.Kurt;
  return (src, out, nOut, nS, w) => {
    const nSrc = nOut + w - 1;
    const back = w * nS;
    for (let s = 0; s < nS; s++) {
      let K = 0;
      let cnt = 0; // normal values in the window (in the sums)
      let nan = 0;
      let special = 0;
      let S1 = 0;
      let S2 = 0;
      let S3 = 0;
      let S4 = 0;
      let run = 0;
      let prev = NaN;
      let since = w; // rebuild at the first output
      for (let t = 0, i = s; t < nSrc; t++, i += nS) {
        const x = src[i];
        if (x === prev) run++;
        else {
          run = 1;
          prev = x;
        }
        if (x !== x) nan++;
        else if (!(x <= BIG && x >= -BIG)) special++;
        else {
          if (cnt === 0) {
            K = x;
            S1 = S2 = S3 = S4 = 0;
          }
          cnt++;
          const d = x - K;
          const d2 = d * d;
          S1 += d;
          S2 += d2;
          if (order4) {
            S3 += d2 * d;
            S4 += d2 * d2;
          }
        }
        if (t >= w) {
          const y = src[i - back];
          if (y !== y) nan--;
          else if (!(y <= BIG && y >= -BIG)) special--;
          else if (--cnt === 0) S1 = S2 = S3 = S4 = 0;
          else {
            const d = y - K;
            const d2 = d * d;
            S1 -= d;
            S2 -= d2;
            if (order4) {
              S3 -= d2 * d;
              S4 -= d2 * d2;
            }
            if (d2 > DOMINATES * S2) since = w;
          }
        }
        if (t < w - 1) continue;
        since++; // updates since the last rebuild bound the rounding drift
        const o = i - (w - 1) * nS;
        if (nan > 0) {
          out[o] = NaN;
          continue;
        }
        if (special > 0) {
          out[o] = plainMoment(mode, src, o, nS, w);
          continue;
        }
        if (run >= w) {
          out[o] = constantMoment(mode, x, w);
          continue;
        }
        if (since > w) {
          // Rebuild the sums around the window mean.
          let sum = 0;
          for (let k = o; k <= i; k += nS) sum += src[k];
          K = sum / w;
          S1 = S2 = S3 = S4 = 0;
          for (let k = o; k <= i; k += nS) {
            const d = src[k] - K;
            const d2 = d * d;
            S1 += d;
            S2 += d2;
            if (order4) {
              S3 += d2 * d;
              S4 += d2 * d2;
            }
          }
          since = 0;
        }
        const mu = S1 / w; // mean - K
        switch (mode) {
          case Moment.Sum:
            out[o] = K * w + S1;
            break;
          case Moment.Mean:
            out[o] = K + mu;
            break;
          case Moment.Div:
            out[o] = x / (K + mu);
            break;
          case Moment.Var:
            out[o] = Math.max(0, S2 - S1 * mu) / (w - 1);
            break;
          case Moment.Std:
            out[o] = Math.sqrt(Math.max(0, S2 - S1 * mu) / (w - 1));
            break;
          case Moment.Ir:
            out[o] = (K + mu) / Math.sqrt(Math.max(0, S2 - S1 * mu) / (w - 1));
            break;
          case Moment.Skew: {
            const m2 = Math.max(0, S2 / w - mu * mu);
            const m3 = S3 / w - 3 * mu * (S2 / w) + 2 * mu * mu * mu;
            out[o] = m3 / (m2 * Math.sqrt(m2));
            break;
          }
          case Moment.Kurt: {
            const mu2 = mu * mu;
            const m4 = S4 / w - 4 * mu * (S3 / w) + 6 * mu2 * (S2 / w) - 3 * mu2 * mu2;
            const v = Math.max(0, S2 - S1 * mu) / (w - 1);
            out[o] = m4 / (v * v) - 3;
            break;
          }
          case Moment.Mad: {
            const m = K + mu;
            let a = 0;
            for (let k = o; k <= i; k += nS) a += Math.abs(src[k] - m);
            out[o] = a / w;
            break;
          }
        }
      }
    }
  };
}

export const tsSumKernel = moments(Moment.Sum);
export const tsMeanKernel = moments(Moment.Mean);
export const tsDivKernel = moments(Moment.Div);
export const tsVarKernel = moments(Moment.Var);
export const tsStdKernel = moments(Moment.Std);
export const tsIrKernel = moments(Moment.Ir);
export const tsSkewKernel = moments(Moment.Skew);
export const tsKurtKernel = moments(Moment.Kurt);
export const tsMadKernel = moments(Moment.Mad);

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
 * TsWMA / TsEMA on shifted values d = x - K (the weights sum to 1, so the result is K + sum(wt * d)):
 * WMA: WS' = WS - (S - d_old) + (w-1) d_new; EMA: U' = a (U - a^w d_old) + a d_new.
 */
function weightedAverage(kind: 'wma' | 'ema'): RollingKernel {
  return (src, out, nOut, nS, w) => {
    const wt = averageWeights(kind, w);
    const a = 1 - 2 / (1 + w);
    const aw = Math.pow(a, w);
    const norm = kind === 'wma' ? (w * (w - 1)) / 2 : (() => {
      let z = 0;
      for (let j = 1; j <= w; j++) z += Math.pow(a, j);
      return z;
    })();
    const nSrc = nOut + w - 1;
    const back = w * nS;
    for (let s = 0; s < nS; s++) {
      let K = 0;
      let nan = 0;
      let special = 0;
      let S1 = 0; // sum of d
      let S2 = 0; // sum of d^2 (to notice a dominating leaver)
      let U = 0; // weighted sum of d (unnormalised weights)
      let since = w;
      for (let t = 0, i = s; t < nSrc; t++, i += nS) {
        const x = src[i];
        if (x !== x) nan++;
        else if (!(x <= BIG && x >= -BIG)) special++;
        let dOld = 0;
        if (t >= w) {
          const y = src[i - back];
          if (y !== y) nan--;
          else if (!(y <= BIG && y >= -BIG)) special--;
          else dOld = y - K;
        }
        if (t < w - 1) continue;
        const o = i - (w - 1) * nS;
        if (nan > 0 || special > 0) {
          // The sums cannot follow; rebuild them once the window is clean.
          since = w;
          if (nan > 0) out[o] = NaN;
          else {
            let r = 0;
            for (let j = 0; j < w; j++) r += wt[j] * src[o + j * nS];
            out[o] = r;
          }
          continue;
        }
        if (since < w - 1 && !(dOld * dOld > DOMINATES * (S2 - dOld * dOld))) {
          const dNew = x - K;
          if (kind === 'wma') U = U - (S1 - dOld) + (w - 1) * dNew;
          else U = a * (U - aw * dOld) + a * dNew;
          S1 += dNew - dOld;
          S2 += dNew * dNew - dOld * dOld;
          since++;
        } else {
          let sum = 0;
          for (let k = o; k <= i; k += nS) sum += src[k];
          K = sum / w;
          S1 = S2 = U = 0;
          for (let j = 0, k = o; j < w; j++, k += nS) {
            const d = src[k] - K;
            S1 += d;
            S2 += d * d;
            U += (kind === 'wma' ? j : Math.pow(a, w - j)) * d;
          }
          since = 0;
        }
        out[o] = K + U / norm;
      }
    }
  };
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
  const ma = sa / w;
  const mb = sb / w;
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

function pairMoments(mode: PairMoment): PairRollingKernel {
  return (A, B, out, nOut, nS, w) => {
    const nSrc = nOut + w - 1;
    const back = w * nS;
    for (let s = 0; s < nS; s++) {
      let Ka = 0;
      let Kb = 0;
      let cnt = 0;
      let nan = 0;
      let special = 0;
      let Sa = 0;
      let Sb = 0;
      let Saa = 0;
      let Sbb = 0;
      let Sab = 0;
      let runA = 0;
      let runB = 0;
      let prevA = NaN;
      let prevB = NaN;
      let since = w;
      for (let t = 0, i = s; t < nSrc; t++, i += nS) {
        const x = A[i];
        const y = B[i];
        if (x === prevA) runA++;
        else {
          runA = 1;
          prevA = x;
        }
        if (y === prevB) runB++;
        else {
          runB = 1;
          prevB = y;
        }
        if (x !== x || y !== y) nan++;
        else if (!(x <= BIG && x >= -BIG && y <= BIG && y >= -BIG)) special++;
        else {
          if (cnt === 0) {
            Ka = x;
            Kb = y;
            Sa = Sb = Saa = Sbb = Sab = 0;
          }
          cnt++;
          const da = x - Ka;
          const db = y - Kb;
          Sa += da;
          Sb += db;
          Saa += da * da;
          Sbb += db * db;
          Sab += da * db;
        }
        if (t >= w) {
          const xo = A[i - back];
          const yo = B[i - back];
          if (xo !== xo || yo !== yo) nan--;
          else if (!(xo <= BIG && xo >= -BIG && yo <= BIG && yo >= -BIG)) special--;
          else if (--cnt === 0) Sa = Sb = Saa = Sbb = Sab = 0;
          else {
            const da = xo - Ka;
            const db = yo - Kb;
            Sa -= da;
            Sb -= db;
            Saa -= da * da;
            Sbb -= db * db;
            Sab -= da * db;
            if (da * da > DOMINATES * Saa || db * db > DOMINATES * Sbb) since = w;
          }
        }
        if (t < w - 1) continue;
        since++;
        const o = i - (w - 1) * nS;
        if (nan > 0) {
          out[o] = NaN;
          continue;
        }
        if (special > 0) {
          out[o] = plainPair(mode, A, B, o, nS, w);
          continue;
        }
        if (runA >= w || runB >= w) {
          // One side constant: its centred values are exactly 0.
          out[o] = pairResult(mode, 0, runA >= w ? 0 : 1, runB >= w ? 0 : 1, w);
          continue;
        }
        if (since > w) {
          let sa = 0;
          let sb = 0;
          for (let k = o; k <= i; k += nS) {
            sa += A[k];
            sb += B[k];
          }
          Ka = sa / w;
          Kb = sb / w;
          Sa = Sb = Saa = Sbb = Sab = 0;
          for (let k = o; k <= i; k += nS) {
            const da = A[k] - Ka;
            const db = B[k] - Kb;
            Sa += da;
            Sb += db;
            Saa += da * da;
            Sbb += db * db;
            Sab += da * db;
          }
          since = 0;
        }
        const cab = Sab - (Sa * Sb) / w;
        const caa = Math.max(0, Saa - (Sa * Sa) / w);
        const cbb = Math.max(0, Sbb - (Sb * Sb) / w);
        out[o] = pairResult(mode, cab, caa, cbb, w);
      }
    }
  };
}

export const tsCovKernel = pairMoments(PairMoment.Cov);
export const tsCorrKernel = pairMoments(PairMoment.Corr);

const enum Extreme {
  Max,
  Min,
  MaxMinusMin,
  LastMinusMax,
  LastMinusMin,
}

/** Monotonic deques of source rows (front = the window's max / min). */
function extremes(mode: Extreme): RollingKernel {
  const wantMax = mode !== Extreme.Min && mode !== Extreme.LastMinusMin;
  const wantMin = mode !== Extreme.Max && mode !== Extreme.LastMinusMax;
  return (src, out, nOut, nS, w) => {
    const nSrc = nOut + w - 1;
    const dqMax = new Int32Array(nSrc);
    const dqMin = new Int32Array(nSrc);
    for (let s = 0; s < nS; s++) {
      let hMax = 0;
      let tMax = 0;
      let hMin = 0;
      let tMin = 0;
      let nan = 0;
      for (let t = 0, i = s; t < nSrc; t++, i += nS) {
        const x = src[i];
        if (x !== x) nan++;
        else {
          if (wantMax) {
            while (tMax > hMax && src[dqMax[tMax - 1] * nS + s] <= x) tMax--;
            dqMax[tMax++] = t;
          }
          if (wantMin) {
            while (tMin > hMin && src[dqMin[tMin - 1] * nS + s] >= x) tMin--;
            dqMin[tMin++] = t;
          }
        }
        if (t >= w && src[i - w * nS] !== src[i - w * nS]) nan--;
        if (t < w - 1) continue;
        const o = i - (w - 1) * nS;
        if (nan > 0) {
          out[o] = NaN;
          continue;
        }
        const first = t - w + 1;
        let mx = 0;
        let mn = 0;
        if (wantMax) {
          while (dqMax[hMax] < first) hMax++;
          mx = src[dqMax[hMax] * nS + s];
        }
        if (wantMin) {
          while (dqMin[hMin] < first) hMin++;
          mn = src[dqMin[hMin] * nS + s];
        }
        switch (mode) {
          case Extreme.Max:
            out[o] = mx;
            break;
          case Extreme.Min:
            out[o] = mn;
            break;
          case Extreme.MaxMinusMin:
            out[o] = mx - mn;
            break;
          case Extreme.LastMinusMax:
            out[o] = x - mx;
            break;
          case Extreme.LastMinusMin:
            out[o] = x - mn;
            break;
        }
      }
    }
  };
}

export const tsMaxKernel = extremes(Extreme.Max);
export const tsMinKernel = extremes(Extreme.Min);
export const tsMinMaxDiffKernel = extremes(Extreme.MaxMinusMin);
export const tsMaxDiffKernel = extremes(Extreme.LastMinusMax);
export const tsMinDiffKernel = extremes(Extreme.LastMinusMin);

/** First index in sorted[0..n) with sorted[k] >= x. */
function lowerBound(sorted: Float64Array, n: number, x: number): number {
  let lo = 0;
  let hi = n;
  while (lo < hi) {
    const m = (lo + hi) >>> 1;
    if (sorted[m] < x) lo = m + 1;
    else hi = m;
  }
  return lo;
}

/** First index in sorted[0..n) with sorted[k] > x. */
function upperBound(sorted: Float64Array, n: number, x: number): number {
  let lo = 0;
  let hi = n;
  while (lo < hi) {
    const m = (lo + hi) >>> 1;
    if (sorted[m] <= x) lo = m + 1;
    else hi = m;
  }
  return lo;
}

const enum OrderStat {
  Median,
  Rank,
}

/**
 * An incrementally sorted window of the non-NaN values: each step removes the
 * leaving value and inserts the new one with one shift of the values between.
 */
function orderStatistics(mode: OrderStat): RollingKernel {
  return (src, out, nOut, nS, w) => {
    const nSrc = nOut + w - 1;
    const sorted = new Float64Array(w);
    const mid = (w - 1) >> 1;
    for (let s = 0; s < nS; s++) {
      let n = 0;
      let nan = 0;
      for (let t = 0, i = s; t < nSrc; t++, i += nS) {
        const x = src[i];
        const addNew = x === x;
        if (!addNew) nan++;
        let removeOld = false;
        let old = 0;
        if (t >= w) {
          old = src[i - w * nS];
          removeOld = old === old;
          if (!removeOld) nan--;
        }
        if (removeOld && addNew) {
          const p = lowerBound(sorted, n, old);
          const q = upperBound(sorted, n, x);
          if (q > p) {
            for (let k = p; k < q - 1; k++) sorted[k] = sorted[k + 1];
            sorted[q - 1] = x;
          } else {
            for (let k = p; k > q; k--) sorted[k] = sorted[k - 1];
            sorted[q] = x;
          }
        } else if (removeOld) {
          const p = lowerBound(sorted, n, old);
          for (let k = p; k < n - 1; k++) sorted[k] = sorted[k + 1];
          n--;
        } else if (addNew) {
          const q = upperBound(sorted, n, x);
          for (let k = n; k > q; k--) sorted[k] = sorted[k - 1];
          sorted[q] = x;
          n++;
        }
        if (t < w - 1) continue;
        const o = i - (w - 1) * nS;
        if (mode === OrderStat.Median) {
          out[o] = nan > 0 ? NaN : sorted[mid];
        } else if (!addNew) {
          out[o] = 0; // comparisons with a NaN last are all false
        } else {
          const gt = n - upperBound(sorted, n, x);
          const ge = n - lowerBound(sorted, n, x);
          out[o] = (gt + ge + (ge > gt ? 1 : 0)) / (2 * w);
        }
      }
    }
  };
}

export const tsMedKernel = orderStatistics(OrderStat.Median);
export const tsRankKernel = orderStatistics(OrderStat.Rank);

/** Ref: output row r = source row r (the evaluator passes rows shifted by w; usually a view, no copy). */
export const refKernel: RollingKernel = (src, out, nOut, nS) => {
  out.set(src.subarray(0, nOut * nS));
};

/** TsDelta(x, d) = x[t] - x[t-d]; source rows [lo - d, hi). */
export const tsDeltaKernel: RollingKernel = (src, out, nOut, nS, d) => {
  const n = nOut * nS;
  const back = d * nS;
  for (let i = 0; i < n; i++) out[i] = src[i + back] - src[i];
};

/** (last - first) / first over the window: only the two end points matter (as in the reference). */
export const tsPctChangeKernel: RollingKernel = (src, out, nOut, nS, w) => {
  const n = nOut * nS;
  const back = (w - 1) * nS;
  for (let i = 0; i < n; i++) {
    const first = src[i];
    out[i] = (src[i + back] - first) / first;
  }
};
