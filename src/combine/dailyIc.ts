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
import { AverageRanker, guardedPearson } from '../metrics/index.js';
import { fromNormalizedValues, meanDailyIC } from '../pool/normalized.js';

/** Per-alpha daily series, row-major [nAlphas][nDays]; NaN days already 0 (as the combination counts them). */
export interface DailyAlphaICs {
  readonly nAlphas: number;
  readonly nDays: number;
  readonly ic: Float64Array;
  readonly rankIc: Float64Array;
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
  private readonly ranker: AverageRanker;
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
    this.ranker = new AverageRanker(nStocks);
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
    this.ranker.rank(ty, n, this.tRank);
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
    const p = guardedPearson(sxy / n - mx * this.my, Math.sqrt(vx / n), this.stdY);
    return p === p ? p : 0;
  }

  /** Spearman of the alpha gathered by the last pearson() call and the target (NaN -> 0). */
  spearman(): number {
    const { xa, xRank, tRank, n, mRank } = this;
    this.ranker.rank(xa, n, xRank);
    let rxy = 0;
    let rv = 0;
    for (let i = 0; i < n; i++) {
      const r = xRank[i];
      rxy += r * tRank[i];
      rv += (r - mRank) * (r - mRank);
    }
    const c = guardedPearson(rxy / n - mRank * mRank, Math.sqrt(rv / n), this.stdRankY);
    return c === c ? c : 0;
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
  // The pool's IC kernel: day statistics once per alpha, then one dot product per day and pair.
  const window = alphas.map((x) => fromNormalizedValues(x.subarray(from * nStocks, to * nStocks), nDays, nStocks));
  const out = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    out[i * n + i] = 1;
    for (let j = i + 1; j < n; j++) out[i * n + j] = out[j * n + i] = nDays > 0 ? meanDailyIC(window[i], window[j], nDays, nStocks) : NaN;
  }
  return out;
}
