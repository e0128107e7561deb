/**
 * Sliding-window kernels (SPEC §2.4) other than the window sums (those are in
 * windowSums.ts), no allocation per cell:
 * - max / min and their differences: van Herk / Gil-Werman block extrema, row
 *   by row with per-stock state (the inner loop runs over a row's stocks);
 * - median: an incrementally sorted window of the non-NaN values, one stock
 *   column at a time (transposed into contiguous scratch; measured: row by
 *   row, 496 sorted windows were no faster);
 * - TsRank: branch-free counts over the window, O(w);
 * - Ref, TsDelta, TsPctChange: their two end points (like the reference).
 * NaN rule: a NaN anywhere in the window gives NaN (TsRank: never NaN).
 *
 * Layout: `src` is [nOut + back][nStocks], `out` is [nOut][nStocks]; output row r
 * is the window of source rows r .. r + w - 1 (see kernels/types.ts).
 */
import type { RollingKernel } from './types.js';

/**
 * A kernel body over nCols columns; element (row t, column c) of src and out
 * is at c * cs + t * rs. Output row r is stored where the window's first row
 * is (index c * cs + r * rs), so out has src's shape.
 */
type ColumnsBody = (src: Float64Array, out: Float64Array, nOut: number, nCols: number, w: number, rs: number, cs: number) => void;

/*
 * Column bodies walk one stock's column at a time. On the row-major [rows][stocks]
 * matrices that is a stride of one row per step: one page per step, which costs
 * a TLB miss each (measured: 3x slower on a VM without huge pages). So the
 * wrappers transpose the rows into reused column-major scratch, run the body
 * on contiguous columns and transpose the result back.
 */
let scratchIn = new Float64Array(0);
let scratchOut = new Float64Array(0);
function scratch(which: 0 | 1, n: number): Float64Array {
  const cur = which === 0 ? scratchIn : scratchOut;
  if (cur.length >= n) return cur;
  const next = new Float64Array(Math.max(n, Math.ceil(cur.length * 1.5)));
  if (which === 0) scratchIn = next;
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
    const colOut = scratch(1, nSrc * nS);
    transpose(src, cols, nSrc, nS);
    body(cols, colOut, nOut, nS, w, 1, nSrc);
    transposeBack(colOut, out, nOut, nS, nSrc);
  };
}

/**
 * Per-stock state of the row-wise kernels (running sums, counts), reused across
 * calls: the rows are walked in order and each stock keeps its own accumulators,
 * so the inner loop runs contiguously over the stocks of a row.
 */
let stateF = new Float64Array(0);
function stateF64(k: number, nS: number): Float64Array[] {
  if (stateF.length < k * nS) stateF = new Float64Array(Math.max(k * nS, stateF.length * 2));
  const views: Float64Array[] = [];
  for (let j = 0; j < k; j++) views.push(stateF.subarray(j * nS, (j + 1) * nS));
  return views;
}

const enum Extreme {
  Max,
  Min,
  MaxMinusMin,
  LastMinusMax,
  LastMinusMin,
}

/**
 * Suffix extrema within blocks of w rows (aligned at row 0): h[t] = max (or min)
 * of rows t .. the end of t's block, computed backward row by row.
 */
function blockSuffix(src: Float64Array, h: Float64Array, nSrc: number, nS: number, w: number, max: boolean): void {
  for (let b = 0; b < nSrc; b += w) {
    const e = Math.min(b + w, nSrc) - 1;
    const ie = e * nS;
    for (let s = 0; s < nS; s++) h[ie + s] = src[ie + s];
    for (let t = e - 1; t >= b; t--) {
      const it = t * nS;
      if (max) for (let s = 0; s < nS; s++) h[it + s] = Math.max(h[it + nS + s], src[it + s]);
      else for (let s = 0; s < nS; s++) h[it + s] = Math.min(h[it + nS + s], src[it + s]);
    }
  }
}

/** blockSuffix for the maxima and the minima in one pass (one read of src). */
function blockSuffixBoth(src: Float64Array, hMax: Float64Array, hMin: Float64Array, nSrc: number, nS: number, w: number): void {
  for (let b = 0; b < nSrc; b += w) {
    const e = Math.min(b + w, nSrc) - 1;
    const ie = e * nS;
    for (let s = 0; s < nS; s++) hMax[ie + s] = hMin[ie + s] = src[ie + s];
    for (let t = e - 1; t >= b; t--) {
      const it = t * nS;
      for (let s = 0; s < nS; s++) {
        const x = src[it + s];
        hMax[it + s] = Math.max(hMax[it + nS + s], x);
        hMin[it + s] = Math.min(hMin[it + nS + s], x);
      }
    }
  }
}

/**
 * van Herk / Gil-Werman: in blocks of w rows, prefix maxima g (from the block
 * start) and suffix maxima h (to the block end); a window spans at most two
 * blocks, so its max is max(h[first], g[last]). Three Math.max per cell, no
 * data-dependent branch, and Math.max's NaN propagation gives the NaN rule exactly.
 * Row by row: h for every row first, then g as one running row of nStocks,
 * updated in the same pass as the outputs.
 */
function extremes(mode: Extreme): RollingKernel {
  const wantMax = mode !== Extreme.Min && mode !== Extreme.LastMinusMin;
  const wantMin = mode !== Extreme.Max && mode !== Extreme.LastMinusMax;
  return (src, out, nOut, nS, w) => {
    const nSrc = nOut + w - 1;
    // The column kernels' scratch (free here): reused, so no page faults per call.
    const hMax = wantMax ? scratch(0, nSrc * nS) : scratch(0, 0);
    const hMin = wantMin ? scratch(1, nSrc * nS) : scratch(1, 0);
    if (wantMax && wantMin) blockSuffixBoth(src, hMax, hMin, nSrc, nS, w);
    else if (wantMax) blockSuffix(src, hMax, nSrc, nS, w, true);
    else blockSuffix(src, hMin, nSrc, nS, w, false);
    const f = stateF64(2, nS);
    const gMax = f[0];
    const gMin = f[1];
    for (let t = 0; t < nSrc; t++) {
      const it = t * nS;
      if (t % w === 0) {
        // A block starts: the prefix extrema restart (max(-inf, x) = x exactly, NaN included).
        gMax.fill(-Infinity);
        gMin.fill(Infinity);
      }
      const o = (t - w + 1) * nS; // the window's first row: where its h is, and where its output goes
      if (t < w - 1) {
        if (wantMax) for (let s = 0; s < nS; s++) gMax[s] = Math.max(gMax[s], src[it + s]);
        if (wantMin) for (let s = 0; s < nS; s++) gMin[s] = Math.min(gMin[s], src[it + s]);
        continue;
      }
      // The prefix update and the output in one pass over the row.
      switch (mode) {
        case Extreme.Max:
          for (let s = 0; s < nS; s++) {
            const g = Math.max(gMax[s], src[it + s]);
            gMax[s] = g;
            out[o + s] = Math.max(hMax[o + s], g);
          }
          break;
        case Extreme.Min:
          for (let s = 0; s < nS; s++) {
            const g = Math.min(gMin[s], src[it + s]);
            gMin[s] = g;
            out[o + s] = Math.min(hMin[o + s], g);
          }
          break;
        case Extreme.MaxMinusMin:
          for (let s = 0; s < nS; s++) {
            const x = src[it + s];
            const g = Math.max(gMax[s], x);
            const l = Math.min(gMin[s], x);
            gMax[s] = g;
            gMin[s] = l;
            out[o + s] = Math.max(hMax[o + s], g) - Math.min(hMin[o + s], l);
          }
          break;
        case Extreme.LastMinusMax:
          for (let s = 0; s < nS; s++) {
            const x = src[it + s];
            const g = Math.max(gMax[s], x);
            gMax[s] = g;
            out[o + s] = x - Math.max(hMax[o + s], g);
          }
          break;
        case Extreme.LastMinusMin:
          for (let s = 0; s < nS; s++) {
            const x = src[it + s];
            const l = Math.min(gMin[s], x);
            gMin[s] = l;
            out[o + s] = x - Math.min(hMin[o + s], l);
          }
          break;
      }
    }
  };
}

export const tsMaxKernel = extremes(Extreme.Max);
export const tsMinKernel = extremes(Extreme.Min);
export const tsMinMaxDiffKernel = extremes(Extreme.MaxMinusMin);
export const tsMaxDiffKernel = extremes(Extreme.LastMinusMax);
export const tsMinDiffKernel = extremes(Extreme.LastMinusMin);

/**
 * TsMed: an incrementally sorted window of the non-NaN values. Window row t lives in
 * ring slot t % w, and `pos[slot]` is its index in the sorted array, so the
 * leaving value (same slot as the arriving one) is found without a search;
 * the arriving value takes its place and moves left or right to its rank
 * (insertion sort step: on average w/3 moves).
 */
const sortedWindowMedian: ColumnsBody = (src, out, nOut, nCols, w, rs, cs) => {
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
      out[i - (w - 1) * rs] = nan > 0 ? NaN : val[mid];
    }
  }
};

export const tsMedKernel = viaColumns(sortedWindowMedian);

/**
 * TsRank: the newest value's rank in its window by counting, O(w) per cell, row
 * by row. Branch-free counts (+(v > x): a compare-and-add, where a ternary is a
 * mispredicted branch) over independent stocks side by side measured 2-3x faster
 * than the incrementally sorted window for w = 10 .. 50.
 */
export const tsRankKernel: RollingKernel = (src, out, nOut, nS, w) => {
  const span = (w - 1) * nS;
  for (let r = 0; r < nOut; r++) {
    for (let s = 0, o = r * nS, i = o + span; s < nS; s++, o++, i++) {
      const x = src[i];
      if (x !== x) {
        out[o] = 0; // comparisons with a NaN last are all false
        continue;
      }
      let gt = 0;
      let ge = 1; // x itself
      // A NaN in the window counts in neither (its comparisons are false).
      for (let k = o; k < i; k += nS) {
        const v = src[k];
        gt += +(v > x);
        ge += +(v >= x);
      }
      out[o] = (gt + ge + (ge > gt ? 1 : 0)) / (2 * w);
    }
  }
};
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
