/**
 * Sliding-window kernels (SPEC §2.4), one stock column at a time (transposed
 * into contiguous scratch), O(1) or O(log w) amortised per cell, no allocation
 * per cell:
 * - moments (sum, mean, std, var, ir, skew, kurt, div) and pair moments
 *   (cov, corr): running power sums of d = x - K, K a per-column shift set to
 *   the window mean whenever the sums are rebuilt from the window: every 4w
 *   steps; when a term added since the last rebuild dwarfs what the window now
 *   holds (its rounding debris would too); when the mean drifts too far from K
 *   (the shift corrections would cancel); when the values fall by orders of
 *   magnitude. TsMad: mean from the sums, then one O(w) pass;
 * - weighted averages (wma, ema): linear recurrences on shifted values;
 * - max / min and their differences: van Herk / Gil-Werman block maxima;
 * - median and TsRank: an incrementally sorted window of the non-NaN values.
 * NaN rule: a NaN anywhere in the window gives NaN (TsRank: never NaN;
 * TsPctChange and TsDelta read only their two end points, like the reference).
 * Windows holding an infinity or an extreme value (beyond 1e100, or 1e60 for
 * skew / kurtosis; non-zero below 1e-100 / 1e-60) take the plain two-pass
 * formula for that cell, so IEEE results (inf - inf = NaN, ...) are exact.
 * A window of identical values gets the exact answer (variance 0, skew NaN).
 *
 * Layout: `src` is [nOut + back][nStocks], `out` is [nOut][nStocks]; output row r
 * is the window of source rows r .. r + w - 1 (see kernels/types.ts).
 */
import type { PairRollingKernel, RollingKernel } from './types.js';

/**
 * A kernel body over nCols columns; element (row t, column c) of src and out
 * is at c * cs + t * rs. Output row r is stored where the window's first row
 * is (index c * cs + r * rs), so out has src's shape.
 */
type ColumnsBody = (src: Float64Array, out: Float64Array, nOut: number, nCols: number, w: number, rs: number, cs: number) => void;
type PairColumnsBody = (a: Float64Array, b: Float64Array, out: Float64Array, nOut: number, nCols: number, w: number, rs: number, cs: number) => void;

/*
 * The bodies walk one stock's column at a time. On the row-major [rows][stocks]
 * matrices that is a stride of one row per step: one page per step, which costs
 * a TLB miss each (measured: 3x slower on a VM without huge pages). So the
 * wrappers transpose the rows into reused column-major scratch, run the body
 * on contiguous columns and transpose the result back.
 */
let scratchA = new Float64Array(0);
let scratchB = new Float64Array(0);
let scratchOut = new Float64Array(0);
function scratch(which: 0 | 1 | 2, n: number): Float64Array {
  const cur = which === 0 ? scratchA : which === 1 ? scratchB : scratchOut;
  if (cur.length >= n) return cur;
  const next = new Float64Array(Math.max(n, Math.ceil(cur.length * 1.5)));
  if (which === 0) scratchA = next;
  else if (which === 1) scratchB = next;
  else scratchOut = next;
  return next;
}

const TILE = 16;
/** dst[c * rows + r] = src[r * cols + c] for r < rows, c < cols, in tiles (few pages at a time). */
function transpose(src: Float64Array, dst: Float64Array, rows: number, cols: number): void {
  for (let r0 = 0; r0 < rows; r0 += TILE) {
    const r1 = Math.min(rows, r0 + TILE);
    for (let c0 = 0; c0 < cols; c0 += TILE) {
      const c1 = Math.min(cols, c0 + TILE);
      for (let r = r0; r < r1; r++) {
        const ro = r * cols;
        for (let c = c0; c < c1; c++) dst[c * rows + r] = src[ro + c];
      }
    }
  }
}

/** out[r * nS + s] = colOut[s * nSrc + r] for r < nOut. */
function transposeBack(colOut: Float64Array, out: Float64Array, nOut: number, nS: number, nSrc: number): void {
  for (let r0 = 0; r0 < nOut; r0 += TILE) {
    const r1 = Math.min(nOut, r0 + TILE);
    for (let c0 = 0; c0 < nS; c0 += TILE) {
      const c1 = Math.min(nS, c0 + TILE);
      for (let r = r0; r < r1; r++) {
        const ro = r * nS;
        for (let c = c0; c < c1; c++) out[ro + c] = colOut[c * nSrc + r];
      }
    }
  }
}

function viaColumns(body: ColumnsBody): RollingKernel {
  return (src, out, nOut, nS, w) => {
    const nSrc = nOut + w - 1;
    const cols = scratch(0, nSrc * nS);
    const colOut = scratch(2, nSrc * nS);
    transpose(src, cols, nSrc, nS);
    body(cols, colOut, nOut, nS, w, 1, nSrc);
    transposeBack(colOut, out, nOut, nS, nSrc);
  };
}

function pairViaColumns(body: PairColumnsBody): PairRollingKernel {
  return (a, b, out, nOut, nS, w) => {
    const nSrc = nOut + w - 1;
    const colsA = scratch(0, nSrc * nS);
    const colsB = scratch(1, nSrc * nS);
    const colOut = scratch(2, nSrc * nS);
    transpose(a, colsA, nSrc, nS);
    transpose(b, colsB, nSrc, nS);
    body(colsA, colsB, colOut, nOut, nS, w, 1, nSrc);
    transposeBack(colOut, out, nOut, nS, nSrc);
  };
}

/** Values beyond this magnitude (or infinite) make their windows take the plain formula. */
const BIG = 1e100;
/** The same for skew / kurtosis, whose 4th powers would overflow in the running sums first. */
const BIG_ORDER4 = 1e60;
/** Non-zero values below this magnitude take the plain formula too (their squares / 4th powers underflow). */
const TINY = 1e-100;
const TINY_ORDER4 = 1e-60;
/**
 * Rebuild the sums when a squared deviation added since the last rebuild
 * exceeds this multiple of what the window now holds (its rounding debris
 * would swamp the small remainder); stricter for the third and fourth powers
 * of skew and kurtosis.
 */
const DOMINATES = 1e4;
/** For skew / kurtosis: the largest 4th power since the last rebuild against the sum of 4th powers. */
const DOMINATES_ORDER4 = 1e3;
/** Rebuild the running sums at least every REBUILD_EVERY * w outputs (bounds the rounding drift). */
const REBUILD_EVERY = 4;

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

/** sum / w, except exactly the value for a window of identical values (so they centre to 0). */
function windowMean(src: Float64Array, i0: number, stride: number, w: number, sum: number): number {
  const x0 = src[i0];
  for (let k = 1; k < w; k++) if (src[i0 + k * stride] !== x0) return sum / w;
  return x0;
}

/** The plain two-pass formula on one window (cells with infinities or huge values). */
function plainMoment(mode: Moment, src: Float64Array, i0: number, stride: number, w: number): number {
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
      return 0;
    case Moment.Var:
    case Moment.Std:
      return w > 1 ? 0 : NaN;
    case Moment.Ir:
      return x / (w > 1 ? 0 : NaN);
    default:
      return NaN; // skew, kurt: 0 / 0
  }
}

function moments(mode: Moment): ColumnsBody {
  const order4 = mode === Moment.Skew || mode === Moment.Kurt;
  const centred = mode !== Moment.Sum && mode !== Moment.Mean && mode !== Moment.Div && mode !== Moment.Mad;
  // Allowed drift of K from the mean, in squared std: looser for variances, tighter for
  // the 3rd / 4th moments, whose shift corrections cancel more.
  const drift = order4 ? 4 : 16;
  const big = order4 ? BIG_ORDER4 : BIG;
  const tiny = order4 ? TINY_ORDER4 : TINY;
  return (src, out, nOut, nCols, w, rs, cs) => {
    const nSrc = nOut + w - 1;
    const back = w * rs;
    const invW = 1 / w;
    const invW1 = 1 / (w - 1);
    for (let s = 0; s < nCols; s++) {
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
      let since = REBUILD_EVERY * w; // rebuild at the first output
      let maxD2 = 0; // largest squared deviation added since the last rebuild: bounds the rounding debris
      for (let t = 0, i = s * cs; t < nSrc; t++, i += rs) {
        const x = src[i];
        if (x === prev) run++;
        else {
          run = 1;
          prev = x;
        }
        const ax = Math.abs(x);
        if (ax <= big && (ax >= tiny || x === 0)) {
          if (cnt++ === 0) {
            K = x;
            S1 = S2 = S3 = S4 = maxD2 = 0;
          }
          const d = x - K;
          const d2 = d * d;
          if (d2 > maxD2) maxD2 = d2;
          S1 += d;
          S2 += d2;
          if (order4) {
            S3 += d2 * d;
            S4 += d2 * d2;
          }
        } else if (x !== x) nan++;
        else special++;
        if (t >= w) {
          const y = src[i - back];
          const ay = Math.abs(y);
          if (ay <= big && (ay >= tiny || y === 0)) {
            if (--cnt === 0) S1 = S2 = S3 = S4 = maxD2 = 0;
            else {
              const d = y - K;
              const d2 = d * d;
              S1 -= d;
              S2 -= d2;
              if (order4) {
                S3 -= d2 * d;
                S4 -= d2 * d2;
              }
            }
          } else if (y !== y) nan--;
          else special--;
        } else if (t < w - 1) continue;
        since++; // updates since the last rebuild bound the rounding drift
        const o = i - (w - 1) * rs;
        if (nan !== 0 || special !== 0 || run >= w) {
          out[o] = nan !== 0 ? NaN : special !== 0 ? plainMoment(mode, src, o, rs, w) : constantMoment(mode, x, w);
          continue;
        }
        // Rebuild the sums around the window mean: periodically; when a term added
        // since the last rebuild dwarfs what the window now holds (its rounding
        // debris would too); (for the central moments) when the mean has drifted
        // more than 4 std from K; and when the mean is much smaller than K
        // (K + mu would cancel: the values fell by orders of magnitude).
        if (
          since > REBUILD_EVERY * w ||
          (order4 ? maxD2 * maxD2 > DOMINATES_ORDER4 * S4 : maxD2 > DOMINATES * S2) ||
          (centred && (drift + 1) * S1 * S1 * invW > drift * S2) ||
          Math.abs(K + S1 * invW) * 16 < Math.abs(K)
        ) {
          let sum = 0;
          for (let k = o; k <= i; k += rs) sum += src[k];
          K = sum * invW;
          S1 = S2 = S3 = S4 = maxD2 = 0;
          for (let k = o; k <= i; k += rs) {
            const d = src[k] - K;
            const d2 = d * d;
            if (d2 > maxD2) maxD2 = d2;
            S1 += d;
            S2 += d2;
            if (order4) {
              S3 += d2 * d;
              S4 += d2 * d2;
            }
          }
          since = 0;
        }
        const mu = S1 * invW; // mean - K
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
            out[o] = Math.max(0, S2 - S1 * mu) * invW1;
            break;
          case Moment.Std:
            out[o] = Math.sqrt(Math.max(0, S2 - S1 * mu) * invW1);
            break;
          case Moment.Ir:
            out[o] = (K + mu) / Math.sqrt(Math.max(0, S2 - S1 * mu) * invW1);
            break;
          case Moment.Skew: {
            const m2 = Math.max(0, S2 * invW - mu * mu);
            const m3 = S3 * invW - 3 * mu * (S2 * invW) + 2 * mu * mu * mu;
            out[o] = m3 / (m2 * Math.sqrt(m2));
            break;
          }
          case Moment.Kurt: {
            const mu2 = mu * mu;
            const m4 = S4 * invW - 4 * mu * (S3 * invW) + 6 * mu2 * (S2 * invW) - 3 * mu2 * mu2;
            const v = Math.max(0, S2 - S1 * mu) * invW1;
            out[o] = m4 / (v * v) - 3;
            break;
          }
          case Moment.Mad: {
            const m = K + mu;
            let a = 0;
            for (let k = o; k <= i; k += rs) a += Math.abs(src[k] - m);
            out[o] = a * invW;
            break;
          }
        }
      }
    }
  };
}

export const tsSumKernel = viaColumns(moments(Moment.Sum));
export const tsMeanKernel = viaColumns(moments(Moment.Mean));
export const tsDivKernel = viaColumns(moments(Moment.Div));
export const tsVarKernel = viaColumns(moments(Moment.Var));
export const tsStdKernel = viaColumns(moments(Moment.Std));
export const tsIrKernel = viaColumns(moments(Moment.Ir));
export const tsSkewKernel = viaColumns(moments(Moment.Skew));
export const tsKurtKernel = viaColumns(moments(Moment.Kurt));

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
function weightedAverage(kind: 'wma' | 'ema'): ColumnsBody {
  return (src, out, nOut, nCols, w, rs, cs) => {
    const wt = averageWeights(kind, w);
    const a = 1 - 2 / (1 + w);
    const aw = Math.pow(a, w);
    // Unnormalised weights, oldest first: j (WMA) or a^(w-j) (EMA).
    const raw = new Float64Array(w);
    let norm = 0;
    for (let j = 0; j < w; j++) {
      raw[j] = kind === 'wma' ? j : Math.pow(a, w - j);
      norm += raw[j];
    }
    const nSrc = nOut + w - 1;
    const back = w * rs;
    for (let s = 0; s < nCols; s++) {
      let K = 0;
      let nan = 0;
      let special = 0;
      let S1 = 0; // sum of d
      let S2 = 0; // sum of d^2 (to notice a dominating leaver)
      let U = 0; // weighted sum of d (unnormalised weights)
      let since = w;
      let maxD2 = 0; // largest squared deviation added since the last rebuild
      for (let t = 0, i = s * cs; t < nSrc; t++, i += rs) {
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
        const o = i - (w - 1) * rs;
        if (nan > 0 || special > 0) {
          // The sums cannot follow; rebuild them once the window is clean.
          since = w;
          if (nan > 0) out[o] = NaN;
          else {
            let r = 0;
            for (let j = 0; j < w; j++) r += wt[j] * src[o + j * rs];
            out[o] = r;
          }
          continue;
        }
        let rebuild = since >= w - 1;
        if (!rebuild) {
          const dNew = x - K;
          if (kind === 'wma') U = U - (S1 - dOld) + (w - 1) * dNew;
          else U = a * (U - aw * dOld) + a * dNew;
          S1 += dNew - dOld;
          S2 += dNew * dNew - dOld * dOld;
          if (dNew * dNew > maxD2) maxD2 = dNew * dNew;
          since++;
          // Rebuild when an earlier term dwarfs the window (its debris would too), or
          // K + U / norm would cancel (values fell by orders of magnitude since K was set).
          rebuild = maxD2 > DOMINATES * S2 || Math.abs(K + U / norm) * 16 < Math.abs(K);
        }
        if (rebuild) {
          // K = the weighted average itself, so U stays small (an unweighted mean would let a
          // huge value at weight 0 cancel catastrophically).
          let avg = 0;
          for (let j = 0, k = o; j < w; j++, k += rs) avg += wt[j] * src[k];
          K = avg;
          S1 = S2 = U = maxD2 = 0;
          for (let j = 0, k = o; j < w; j++, k += rs) {
            const d = src[k] - K;
            S1 += d;
            S2 += d * d;
            if (d * d > maxD2) maxD2 = d * d;
            U += raw[j] * d;
          }
          since = 0;
        }
        out[o] = K + U / norm;
      }
    }
  };
}

export const tsWmaKernel = viaColumns(weightedAverage('wma'));
export const tsEmaKernel = viaColumns(weightedAverage('ema'));

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

function pairMoments(mode: PairMoment): PairColumnsBody {
  return (A, B, out, nOut, nCols, w, rs, cs) => {
    const nSrc = nOut + w - 1;
    const back = w * rs;
    for (let s = 0; s < nCols; s++) {
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
      let maxA = 0; // largest squared deviations added since the last rebuild
      let maxB = 0;
      for (let t = 0, i = s * cs; t < nSrc; t++, i += rs) {
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
            Sa = Sb = Saa = Sbb = Sab = maxA = maxB = 0;
          }
          cnt++;
          const da = x - Ka;
          const db = y - Kb;
          if (da * da > maxA) maxA = da * da;
          if (db * db > maxB) maxB = db * db;
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
          }
        }
        if (t < w - 1) continue;
        since++;
        const o = i - (w - 1) * rs;
        if (nan > 0) {
          out[o] = NaN;
          continue;
        }
        if (special > 0) {
          out[o] = plainPair(mode, A, B, o, rs, w);
          continue;
        }
        if (runA >= w || runB >= w) {
          // One side constant: its centred values are exactly 0.
          out[o] = pairResult(mode, 0, runA >= w ? 0 : 1, runB >= w ? 0 : 1, w);
          continue;
        }
        const mua = Sa / w;
        const mub = Sb / w;
        if (
          since > REBUILD_EVERY * w ||
          maxA > DOMINATES * Saa ||
          maxB > DOMINATES * Sbb ||
          mua * mua * w > 16 * (Saa - Sa * mua) ||
          mub * mub * w > 16 * (Sbb - Sb * mub)
        ) {
          let sa = 0;
          let sb = 0;
          for (let k = o; k <= i; k += rs) {
            sa += A[k];
            sb += B[k];
          }
          Ka = sa / w;
          Kb = sb / w;
          Sa = Sb = Saa = Sbb = Sab = maxA = maxB = 0;
          for (let k = o; k <= i; k += rs) {
            const da = A[k] - Ka;
            const db = B[k] - Kb;
            if (da * da > maxA) maxA = da * da;
            if (db * db > maxB) maxB = db * db;
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

export const tsCovKernel = pairViaColumns(pairMoments(PairMoment.Cov));
export const tsCorrKernel = pairViaColumns(pairMoments(PairMoment.Corr));

const enum Extreme {
  Max,
  Min,
  MaxMinusMin,
  LastMinusMax,
  LastMinusMin,
}

/**
 * van Herk / Gil-Werman: in blocks of w rows, prefix maxima g (from the block
 * start) and suffix maxima h (to the block end); a window spans at most two
 * blocks, so its max is max(h[first], g[last]). Three Math.max per cell, no
 * data-dependent branch, and Math.max's NaN propagation gives the NaN rule exactly.
 */
function extremes(mode: Extreme): ColumnsBody {
  const wantMax = mode !== Extreme.Min && mode !== Extreme.LastMinusMin;
  const wantMin = mode !== Extreme.Max && mode !== Extreme.LastMinusMax;
  return (src, out, nOut, nCols, w, rs, cs) => {
    const nSrc = nOut + w - 1;
    const col = new Float64Array(nSrc);
    const gMax = new Float64Array(nSrc);
    const hMax = new Float64Array(nSrc);
    const gMin = new Float64Array(nSrc);
    const hMin = new Float64Array(nSrc);
    for (let s = 0; s < nCols; s++) {
      for (let t = 0, i = s * cs; t < nSrc; t++, i += rs) col[t] = src[i];
      // Blocks [b, b + w): g runs forward from each block start, h backward from each block end.
      for (let b = 0; b < nSrc; b += w) {
        const e = Math.min(b + w, nSrc) - 1;
        if (wantMax) {
          let g = col[b];
          gMax[b] = g;
          for (let t = b + 1; t <= e; t++) gMax[t] = g = Math.max(g, col[t]);
          let h = col[e];
          hMax[e] = h;
          for (let t = e - 1; t >= b; t--) hMax[t] = h = Math.max(h, col[t]);
        }
        if (wantMin) {
          let g = col[b];
          gMin[b] = g;
          for (let t = b + 1; t <= e; t++) gMin[t] = g = Math.min(g, col[t]);
          let h = col[e];
          hMin[e] = h;
          for (let t = e - 1; t >= b; t--) hMin[t] = h = Math.min(h, col[t]);
        }
      }
      for (let r = 0, o = s * cs; r < nOut; r++, o += rs) {
        const t = r + w - 1;
        switch (mode) {
          case Extreme.Max:
            out[o] = Math.max(hMax[r], gMax[t]);
            break;
          case Extreme.Min:
            out[o] = Math.min(hMin[r], gMin[t]);
            break;
          case Extreme.MaxMinusMin:
            out[o] = Math.max(hMax[r], gMax[t]) - Math.min(hMin[r], gMin[t]);
            break;
          case Extreme.LastMinusMax:
            out[o] = col[t] - Math.max(hMax[r], gMax[t]);
            break;
          case Extreme.LastMinusMin:
            out[o] = col[t] - Math.min(hMin[r], gMin[t]);
            break;
        }
      }
    }
  };
}

export const tsMaxKernel = viaColumns(extremes(Extreme.Max));
export const tsMinKernel = viaColumns(extremes(Extreme.Min));
export const tsMinMaxDiffKernel = viaColumns(extremes(Extreme.MaxMinusMin));
export const tsMaxDiffKernel = viaColumns(extremes(Extreme.LastMinusMax));
export const tsMinDiffKernel = viaColumns(extremes(Extreme.LastMinusMin));

const enum OrderStat {
  Median,
  Rank,
}

/**
 * An incrementally sorted window of the non-NaN values. Window row t lives in
 * ring slot t % w, and `pos[slot]` is its index in the sorted array, so the
 * leaving value (same slot as the arriving one) is found without a search;
 * the arriving value takes its place and moves left or right to its rank
 * (insertion sort step: on average w/3 moves).
 */
function orderStatistics(mode: OrderStat): ColumnsBody {
  return (src, out, nOut, nCols, w, rs, cs) => {
    const nSrc = nOut + w - 1;
    const val = new Float64Array(w); // sorted values
    const slotOf = new Int32Array(w); // ring slot of val[k]
    const pos = new Int32Array(w); // index in val of ring slot j, -1 if NaN
    const mid = (w - 1) >> 1;
    for (let s = 0; s < nCols; s++) {
      let n = 0;
      let nan = 0;
      for (let t = 0, i = s * cs, slot = 0; t < nSrc; t++, i += rs, slot = slot + 1 === w ? 0 : slot + 1) {
        const x = src[i];
        const addNew = x === x;
        if (!addNew) nan++;
        let p = -1; // index of the leaving value
        let old = 0;
        if (t >= w) {
          p = pos[slot];
          if (p < 0) nan--;
          else old = val[p];
        }
        if (p >= 0 && addNew) {
          // Replace in place, then move to the rank of x.
          while (p + 1 < n && val[p + 1] < x) {
            val[p] = val[p + 1];
            slotOf[p] = slotOf[p + 1];
            pos[slotOf[p]] = p;
            p++;
          }
          while (p > 0 && val[p - 1] > x) {
            val[p] = val[p - 1];
            slotOf[p] = slotOf[p - 1];
            pos[slotOf[p]] = p;
            p--;
          }
        } else if (p >= 0) {
          // Remove: shift the larger values left.
          for (let k = p; k < n - 1; k++) {
            val[k] = val[k + 1];
            slotOf[k] = slotOf[k + 1];
            pos[slotOf[k]] = k;
          }
          n--;
        } else if (addNew) {
          // Insert: from the end, move left to the rank of x.
          p = n++;
          while (p > 0 && val[p - 1] > x) {
            val[p] = val[p - 1];
            slotOf[p] = slotOf[p - 1];
            pos[slotOf[p]] = p;
            p--;
          }
        }
        if (addNew) {
          val[p] = x;
          slotOf[p] = slot;
          pos[slot] = p;
        } else pos[slot] = -1;
        if (t < w - 1) continue;
        const o = i - (w - 1) * rs;
        if (mode === OrderStat.Median) {
          out[o] = nan > 0 ? NaN : val[mid];
        } else {
          if (!addNew) {
            out[o] = 0; // comparisons with a NaN last are all false
            continue;
          }
          let lo = p;
          while (lo > 0 && val[lo - 1] === x) lo--;
          let hi = p + 1;
          while (hi < n && val[hi] === x) hi++;
          const gt = n - hi;
          const ge = n - lo;
          out[o] = (gt + ge + (ge > gt ? 1 : 0)) / (2 * w);
        }
      }
    }
  };
}

export const tsMedKernel = viaColumns(orderStatistics(OrderStat.Median));
export const tsRankKernel = viaColumns(orderStatistics(OrderStat.Rank));
/** TsMad: the mean from the running sums, then one O(w) pass for sum |x - mean| (measured faster, for w <= 50, than a sorted window splitting at the mean). */
export const tsMadKernel = viaColumns(moments(Moment.Mad));

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
