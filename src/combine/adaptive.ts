/**
 * Adaptive combination (AlphaForge style, SPEC §6). For each predicted day t:
 * over the history days [begin, t - shift) with shift = labelDays + 1 (the
 * labels of later days are not known at t), where begin is the panel's first
 * day (expanding window) or t - window - shift (rolling):
 *  - keep alphas with |mean RankIC| > thresholdRic and |RankICIR| > thresholdRicir
 *    (RankICIR = mean / std, std with the n-1 divisor); if none, the single best
 *    by |RankICIR|; then the first nFactors of those in pool order;
 *  - least squares of the raw target on those normalized alphas plus an
 *    intercept over every (day, stock) row with a finite target;
 *  - predict day t with the fitted coefficients.
 * Daily ICs are computed once (dailyAlphaICs), window statistics come from
 * prefix sums, and the regression from per-day Gram matrices (DailyGram).
 */
import { dailyAlphaICs, type DailyAlphaICs } from './dailyIc.js';
import { DailyGram } from './gram.js';
import { DEFAULT_DEPENDENCE_TOL, fitFromGram, type LinearFit } from './solve.js';

/** The inputs of a combination: normalized alphas and the raw target over one span of days. */
export interface AlphaPanel {
  readonly nDays: number;
  readonly nStocks: number;
  /** normalize_by_day of each alpha, row-major [nDays][nStocks], no NaN. */
  readonly alphas: readonly Float64Array[];
  /** Raw target (forward return), row-major [nDays][nStocks]; NaN where unknown. */
  readonly target: Float64Array;
}

export interface AdaptiveOptions {
  /** Panel day indices to predict, ascending. */
  readonly predictDays: readonly number[];
  /** Days of the rolling window, or Infinity for an expanding window from day 0 (default). */
  readonly window?: number;
  /** Label horizon (20); history ends labelDays + 1 days before the predicted day. */
  readonly labelDays?: number;
  readonly thresholdRic?: number;
  readonly thresholdRicir?: number;
  /** At most this many alphas per day (20 here; the reference script defaults to 10). */
  readonly nFactors?: number;
  /** Relative tolerance of the dependent-column test (see solve.ts). */
  readonly dependenceTol?: number;
  /** Daily ICs when already computed (over the whole panel). */
  readonly dailyICs?: DailyAlphaICs;
  /** Per predicted day and stock, whether to predict (e.g. the stock trades that day); others are NaN. */
  readonly tradable?: (day: number, stock: number) => boolean;
}

export const ADAPTIVE_DEFAULTS = {
  window: Infinity,
  labelDays: 20,
  thresholdRic: 0.015,
  thresholdRicir: 0.15,
  nFactors: 20,
} as const;

export interface DaySelection {
  /** Panel day index predicted. */
  readonly day: number;
  /** History window [begin, end) of panel days. */
  readonly begin: number;
  readonly end: number;
  readonly fit: LinearFit;
  /** Whether the thresholds kept no alpha (the best by |RankICIR| was used). */
  readonly fallback: boolean;
}

export interface AdaptiveResult {
  /** Row-major [predictDays.length][nStocks]. */
  readonly pred: Float64Array;
  readonly selections: readonly DaySelection[];
  readonly dailyICs: DailyAlphaICs;
}

/** Window statistics of each alpha's daily RankIC from prefix sums. */
export class RankICWindowStats {
  private readonly s1: Float64Array;
  private readonly s2: Float64Array;
  private readonly nDays: number;
  readonly nAlphas: number;

  constructor(daily: DailyAlphaICs) {
    const { nAlphas, nDays, rankIc } = daily;
    this.nAlphas = nAlphas;
    this.nDays = nDays;
    this.s1 = new Float64Array(nAlphas * (nDays + 1));
    this.s2 = new Float64Array(nAlphas * (nDays + 1));
    for (let a = 0; a < nAlphas; a++) {
      const o = a * (nDays + 1);
      for (let d = 0; d < nDays; d++) {
        const v = rankIc[a * nDays + d];
        this.s1[o + d + 1] = this.s1[o + d] + v;
        this.s2[o + d + 1] = this.s2[o + d] + v * v;
      }
    }
  }

  /** Mean and sample std (n-1) of alpha a's daily RankIC over days [begin, end). */
  meanStd(a: number, begin: number, end: number): { mean: number; std: number } {
    const o = a * (this.nDays + 1);
    const m = end - begin;
    const sum = this.s1[o + end] - this.s1[o + begin];
    const sq = this.s2[o + end] - this.s2[o + begin];
    const mean = sum / m;
    const variance = Math.max(0, (sq - (sum * sum) / m) / (m - 1));
    return { mean, std: Math.sqrt(variance) };
  }
}

/**
 * The alphas kept over a window: thresholds on |mean RankIC| and |RankICIR|,
 * else the best one by |RankICIR|, then the first nFactors in pool order.
 */
export function selectAlphas(
  stats: RankICWindowStats,
  begin: number,
  end: number,
  thresholdRic: number,
  thresholdRicir: number,
  nFactors: number,
): { selected: number[]; fallback: boolean } {
  const selected: number[] = [];
  let best = 0;
  let bestScore = -Infinity;
  for (let a = 0; a < stats.nAlphas; a++) {
    const { mean, std } = stats.meanStd(a, begin, end);
    const ir = mean / std;
    if (Math.abs(mean) > thresholdRic && Math.abs(ir) > thresholdRicir) selected.push(a);
    const score = Math.abs(ir); // NaN ranks last, as pandas sorts it
    if (score > bestScore) {
      bestScore = score;
      best = a;
    }
  }
  if (selected.length === 0) return { selected: [best], fallback: true };
  return { selected: selected.slice(0, nFactors), fallback: false };
}

/** The history window [begin, end) of predicted day t. */
export function historyWindow(t: number, window: number, labelDays: number): { begin: number; end: number } {
  const shift = labelDays + 1;
  const begin = Number.isFinite(window) ? Math.max(0, t - window - shift) : 0;
  return { begin, end: t - shift };
}

export function adaptiveCombine(panel: AlphaPanel, opts: AdaptiveOptions): AdaptiveResult {
  const window = opts.window ?? ADAPTIVE_DEFAULTS.window;
  const labelDays = opts.labelDays ?? ADAPTIVE_DEFAULTS.labelDays;
  const thresholdRic = opts.thresholdRic ?? ADAPTIVE_DEFAULTS.thresholdRic;
  const thresholdRicir = opts.thresholdRicir ?? ADAPTIVE_DEFAULTS.thresholdRicir;
  const nFactors = opts.nFactors ?? ADAPTIVE_DEFAULTS.nFactors;
  const tol = opts.dependenceTol ?? DEFAULT_DEPENDENCE_TOL;
  const { nStocks, alphas, nDays } = panel;
  const days = opts.predictDays;
  if (alphas.length === 0) throw new Error('adaptiveCombine: the pool has no alphas');
  if (days.length === 0) throw new Error('adaptiveCombine: no day to predict');
  for (let i = 0; i < days.length; i++) {
    if (!(days[i] >= 0 && days[i] < nDays) || (i > 0 && days[i] <= days[i - 1])) throw new Error('adaptiveCombine: predictDays must be ascending panel days');
  }
  const first = historyWindow(days[0], window, labelDays);
  if (first.end - first.begin < 2) {
    throw new Error(`adaptiveCombine: day ${days[0]} has ${Math.max(0, first.end - first.begin)} history days; at least 2 are needed`);
  }
  const lastEnd = historyWindow(days[days.length - 1], window, labelDays).end;

  const daily = opts.dailyICs ?? dailyAlphaICs(alphas, panel.target, nDays, nStocks);
  const stats = new RankICWindowStats(daily);
  const gram = new DailyGram(alphas, panel.target, nStocks, 0, lastEnd);
  const sum = new Float64Array(gram.packed);

  const pred = new Float64Array(days.length * nStocks);
  const selections: DaySelection[] = [];
  for (let i = 0; i < days.length; i++) {
    const t = days[i];
    const { begin, end } = historyWindow(t, window, labelDays);
    const { selected, fallback } = selectAlphas(stats, begin, end, thresholdRic, thresholdRicir, nFactors);
    gram.windowSum(begin, end, sum);
    const fit = fitFromGram(gram, sum, selected, tol);
    predictDay(panel, t, fit, pred, i * nStocks, opts.tradable);
    selections.push({ day: t, begin, end, fit, fallback });
  }
  return { pred, selections, dailyICs: daily };
}

/** pred[out + s] = intercept + sum_i coef_i * alpha_i[t][s] (NaN where not tradable). */
export function predictDay(
  panel: AlphaPanel,
  t: number,
  fit: LinearFit,
  pred: Float64Array,
  out: number,
  tradable?: (day: number, stock: number) => boolean,
): void {
  const { nStocks } = panel;
  const o = t * nStocks;
  for (let s = 0; s < nStocks; s++) pred[out + s] = fit.intercept;
  for (let k = 0; k < fit.selected.length; k++) {
    const c = fit.coef[k];
    if (c === 0) continue;
    const x = panel.alphas[fit.selected[k]];
    for (let s = 0; s < nStocks; s++) pred[out + s] += c * x[o + s];
  }
  if (tradable) {
    for (let s = 0; s < nStocks; s++) if (!tradable(t, s)) pred[out + s] = NaN;
  }
}
