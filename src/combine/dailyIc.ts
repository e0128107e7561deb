/**
 * Daily IC and RankIC of many normalized alphas against one raw target,
 * computed once up front (the adaptive combination then only sums them).
 *
 * Normalized alphas have no NaN (normalize_by_day turns NaN into 0), so on a
 * given day the cells that count are exactly the stocks with a non-NaN target,
 * the same set for every alpha. The target's ranks and statistics are therefore
 * computed once per day and reused for every alpha: the same numbers as
 * `dailyIC` / `dailyRankIC` of src/metrics (SPEC §3) at a fraction of the cost.
 */

/** Per-alpha daily series, row-major [nAlphas][nDays]; NaN days already 0 (as the combination counts them). */
export interface DailyAlphaICs {
  readonly nAlphas: number;
  readonly nDays: number;
  readonly ic: Float64Array;
  readonly rankIc: Float64Array;
}

/**
 * Average ranks (0-based; ties share their mean rank) of v[0..n), written to out.
 * `sorted` is scratch of length >= n.
 */
export function averageRanksInto(v: Float64Array, n: number, sorted: Float64Array, out: Float64Array): void {
  averageRanksSorted(v, n, sorted.subarray(0, n), out);
}

/** Pearson with the reference's guard (population stds; a std < 1e-3 makes the denominator 1). */
function guardedPearson(sxy: number, mx: number, my: number, stdX: number, stdY: number, n: number): number {
  const cov = sxy / n - mx * my;
  const denom = stdX < 1e-3 || stdY < 1e-3 ? 1 : stdX * stdY;
  return cov / denom;
}

/**
 * Daily IC (Pearson) and RankIC (Spearman, average ranks for ties) of every
 * alpha against `target`. `alphas[i]` must hold no NaN (normalized values);
 * `target` may hold NaN (those stocks are skipped that day). A day without a
 * valid stock gives 0 for both (NaN counted as 0).
 */
export function dailyAlphaICs(alphas: readonly Float64Array[], target: Float64Array, nDays: number, nStocks: number): DailyAlphaICs {
  const nAlphas = alphas.length;
  const ic = new Float64Array(nAlphas * nDays);
  const rankIc = new Float64Array(nAlphas * nDays);
  const day = new DayScratch(nStocks);
  for (let d = 0; d < nDays; d++) {
    if (!day.load(target, d * nStocks)) continue; // no valid stock: both series stay 0
    for (let a = 0; a < nAlphas; a++) {
      ic[a * nDays + d] = day.pearson(alphas[a]);
      rankIc[a * nDays + d] = day.spearman();
    }
  }
  return { nAlphas, nDays, ic, rankIc };
}

/**
 * One day's target (its valid stocks, mean, std, ranks) kept while every alpha
 * is scored against it. Small methods, so V8 optimises each hot loop on its own.
 */
class DayScratch {
  private readonly idx: Int32Array;
  private readonly ty: Float64Array;
  private readonly tRank: Float64Array;
  private readonly xa: Float64Array;
  private readonly xRank: Float64Array;
  private readonly sortBuf: Float64Array;
  private sorted: Float64Array;
  private n = 0;
  private my = 0;
  private stdY = 0;
  private mRank = 0;
  private stdRankY = 0;

  constructor(nStocks: number) {
    this.idx = new Int32Array(nStocks);
    this.ty = new Float64Array(nStocks);
    this.tRank = new Float64Array(nStocks);
    this.xa = new Float64Array(nStocks);
    this.xRank = new Float64Array(nStocks);
    this.sortBuf = new Float64Array(nStocks);
    this.sorted = this.sortBuf;
  }

  /** Takes the day's target row at offset o; false when no stock has one. */
  load(target: Float64Array, o: number): boolean {
    const { idx, ty } = this;
    const nStocks = idx.length;
    let n = 0;
    for (let s = 0; s < nStocks; s++) {
      const y = target[o + s];
      if (y === y) {
        idx[n] = s;
        ty[n] = y;
        n++;
      }
    }
    this.n = n;
    if (n === 0) return false;
    this.o = o;
    let sy = 0;
    for (let i = 0; i < n; i++) sy += ty[i];
    const my = sy / n;
    let vy = 0;
    for (let i = 0; i < n; i++) vy += (ty[i] - my) * (ty[i] - my);
    this.my = my;
    this.stdY = Math.sqrt(vy / n);
    this.sorted = this.sortBuf.subarray(0, n);
    averageRanksSorted(ty, n, this.sorted, this.tRank);
    const mRank = (n - 1) / 2; // average ranks always sum to n(n-1)/2
    let vr = 0;
    for (let i = 0; i < n; i++) vr += (this.tRank[i] - mRank) * (this.tRank[i] - mRank);
    this.mRank = mRank;
    this.stdRankY = Math.sqrt(vr / n);
    return true;
  }

  private o = 0;

  /** Gathers the alpha on the valid stocks and returns its Pearson with the target (NaN -> 0). */
  pearson(x: Float64Array): number {
    const { idx, ty, xa, n, o } = this;
    let sx = 0;
    for (let i = 0; i < n; i++) {
      const v = x[o + idx[i]];
      xa[i] = v;
      sx += v;
    }
    const mx = sx / n;
    let sxy = 0;
    let vx = 0;
    for (let i = 0; i < n; i++) {
      const v = xa[i];
      sxy += v * ty[i];
      vx += (v - mx) * (v - mx);
    }
    const p = guardedPearson(sxy, mx, this.my, Math.sqrt(vx / n), this.stdY, n);
    return p === p ? p : 0;
  }

  /** Spearman of the alpha gathered by the last pearson() call and the target (NaN -> 0). */
  spearman(): number {
    const { xa, xRank, tRank, n, mRank } = this;
    averageRanksSorted(xa, n, this.sorted, xRank);
    let rxy = 0;
    let rv = 0;
    for (let i = 0; i < n; i++) {
      const r = xRank[i];
      rxy += r * tRank[i];
      rv += (r - mRank) * (r - mRank);
    }
    const c = guardedPearson(rxy, mRank, mRank, Math.sqrt(rv / n), this.stdRankY, n);
    return c === c ? c : 0;
  }
}

/** averageRanksInto with a scratch view of exactly n values (no allocation per call). */
function averageRanksSorted(v: Float64Array, n: number, view: Float64Array, out: Float64Array): void {
  for (let i = 0; i < n; i++) view[i] = v[i];
  view.sort();
  for (let i = 0; i < n; i++) {
    const x = v[i];
    let lo = 0;
    let hi = n;
    while (lo < hi) {
      const m = (lo + hi) >>> 1;
      if (view[m] < x) lo = m + 1;
      else hi = m;
    }
    let end = lo + 1;
    while (end < n && view[end] === x) end++;
    out[i] = (lo + end - 1) / 2;
  }
}

/**
 * Mutual IC matrix (mean over days of the daily Pearson, SPEC §3) of normalized
 * alphas over days [from, to): every cell counts (no NaN in normalized values).
 * Each pair costs one dot product per day. Row-major n x n, ones on the diagonal.
 */
export function mutualICMatrix(alphas: readonly Float64Array[], nStocks: number, from: number, to: number): Float64Array {
  const n = alphas.length;
  const nDays = to - from;
  const mean = new Float64Array(n * nDays);
  const std = new Float64Array(n * nDays);
  for (let a = 0; a < n; a++) {
    const x = alphas[a];
    for (let d = 0; d < nDays; d++) {
      const o = (from + d) * nStocks;
      let s = 0;
      for (let k = 0; k < nStocks; k++) s += x[o + k];
      const m = s / nStocks;
      let v = 0;
      for (let k = 0; k < nStocks; k++) v += (x[o + k] - m) * (x[o + k] - m);
      mean[a * nDays + d] = m;
      std[a * nDays + d] = Math.sqrt(v / nStocks);
    }
  }
  const out = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    out[i * n + i] = 1;
    for (let j = i + 1; j < n; j++) {
      const x = alphas[i];
      const y = alphas[j];
      let total = 0;
      for (let d = 0; d < nDays; d++) {
        const o = (from + d) * nStocks;
        let sxy = 0;
        for (let k = 0; k < nStocks; k++) sxy += x[o + k] * y[o + k];
        const p = guardedPearson(sxy, mean[i * nDays + d], mean[j * nDays + d], std[i * nDays + d], std[j * nDays + d], nStocks);
        total += p === p ? p : 0;
      }
      out[i * n + j] = out[j * n + i] = nDays > 0 ? total / nDays : NaN;
    }
  }
  return out;
}
