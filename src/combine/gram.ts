/**
 * Per-day cross-product (Gram) matrices of [alpha_0 .. alpha_{n-1}, 1, target]
 * over the (day, stock) rows with a finite target, summed into prefix sums over
 * days. The least-squares fit of any subset of alphas (plus an intercept) over
 * any window of days is then read from two prefix rows: a small k x k system
 * instead of a pass over every row (the reference re-solves over all rows each day).
 *
 * Column order: alphas 0..n-1, then the intercept (index n), then the target (n+1).
 * Each day's matrix is stored as its packed upper triangle (row-major).
 */
import { wasmDayGram } from '../expr/wasm/index.js';

export class DailyGram {
  readonly nAlphas: number;
  /** Matrix dimension p = nAlphas + 2. */
  readonly dim: number;
  /** Packed upper-triangle length p(p+1)/2. */
  readonly packed: number;
  /** First day with a Gram (prefix row 0 is the empty sum before it). */
  readonly fromDay: number;
  /** One past the last day with a Gram. */
  readonly toDay: number;
  /** Prefix sums: row r = sum of the daily Grams of days [fromDay, fromDay + r). */
  private readonly prefix: Float64Array;
  /** rowStart[i] = packed index of (i, i). */
  private readonly rowStart: Int32Array;

  /**
   * @param alphas normalized alphas, each row-major [nDays][nStocks], no NaN
   * @param target raw target [nDays][nStocks]; rows where it is not finite are skipped
   */
  constructor(alphas: readonly Float64Array[], target: Float64Array, nStocks: number, fromDay: number, toDay: number) {
    const n = alphas.length;
    const p = n + 2;
    this.nAlphas = n;
    this.dim = p;
    this.packed = (p * (p + 1)) / 2;
    this.fromDay = fromDay;
    this.toDay = Math.max(fromDay, toDay);
    this.rowStart = new Int32Array(p);
    for (let i = 0, k = 0; i < p; i++) {
      this.rowStart[i] = k;
      k += p - i;
    }
    const days = this.toDay - this.fromDay;
    const packed = this.packed;
    this.prefix = new Float64Array((days + 1) * packed);

    // The day's rows gathered column by column (column i at cols[i * nStocks]), so every entry is a
    // contiguous dot product; the day's matrix is computed in WebAssembly (assembly/gram.ts: dot products
    // with four interleaved partial sums, other sums in row order) and added to the previous prefix row.
    const cols = new Float64Array(n * nStocks);
    const y = new Float64Array(nStocks);
    const day = new Float64Array(packed);
    const P = this.prefix;
    for (let d = 0; d < days; d++) {
      const o = (this.fromDay + d) * nStocks;
      let m = 0;
      for (let s = 0; s < nStocks; s++) {
        const t = target[o + s];
        if (Number.isFinite(t)) {
          y[m] = t;
          for (let i = 0; i < n; i++) cols[i * nStocks + m] = alphas[i][o + s];
          m++;
        }
      }
      wasmDayGram(cols, nStocks, n, y, m, day);
      const prev = d * packed;
      const cur = prev + packed;
      for (let k = 0; k < packed; k++) P[cur + k] = P[prev + k] + day[k];
    }
  }

  /** Writes the Gram summed over days [begin, end) into out (packed); both clipped to the stored days. */
  windowSum(begin: number, end: number, out: Float64Array = new Float64Array(this.packed)): Float64Array {
    const b = Math.min(Math.max(begin, this.fromDay), this.toDay) - this.fromDay;
    const e = Math.min(Math.max(end, this.fromDay), this.toDay) - this.fromDay;
    const P = this.prefix;
    const pb = b * this.packed;
    const pe = Math.max(e, b) * this.packed;
    if (b === 0) {
      for (let k = 0; k < this.packed; k++) out[k] = P[pe + k];
    } else {
      for (let k = 0; k < this.packed; k++) out[k] = P[pe + k] - P[pb + k];
    }
    return out;
  }

  /** Entry (i, j) of a packed matrix of this layout. */
  entry(packedMatrix: Float64Array, i: number, j: number): number {
    if (i > j) {
      const t = i;
      i = j;
      j = t;
    }
    return packedMatrix[this.rowStart[i] + j - i];
  }

  /** Column index of the intercept. */
  get intercept(): number {
    return this.nAlphas;
  }

  /** Column index of the target. */
  get targetColumn(): number {
    return this.nAlphas + 1;
  }
}
