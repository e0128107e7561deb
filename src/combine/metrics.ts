/**
 * Metrics of a prediction over one window (SPEC §6, the reference's
 * get_tensor_metrics): computed on the raw prediction and raw target, cells
 * with a NaN on either side skipped; NaN days count as 0.
 *  IC, IC_STD, ICIR      daily Pearson: mean, std (n-1; 1 if <= 1e-6), mean/std
 *  RIC, RIC_STD, RICIR   the same for the daily Spearman
 *  RET                   daily mean forward return of the top 20% / labelDays,
 *                        annualised as mean x 252 (the reference's days/3 assumes
 *                        a three-year test; SPEC §6 says use 252)
 *  RET_STD, RETIR        std (n-1; 1 if <= 1e-6) of that daily series, mean/std
 *  RET_SR                mean / std x sqrt(252) (0 when std < 1e-8)
 *  RET_MDD               max drawdown of 1 + cumsum(daily), relative to its running max
 */
import { countGuardedDays, dailyIC, dailyRankIC, topQuantileReturn } from '../metrics/index.js';

export interface PredictionMetrics {
  ic: number;
  ic_std: number;
  icir: number;
  ric: number;
  ric_std: number;
  ricir: number;
  ret: number;
  ret_std: number;
  retir: number;
  ret_sharpe: number;
  ret_mdd: number;
}

export interface PredictionDaily {
  ic: Float64Array;
  rankIc: Float64Array;
  /** Top-20% forward return / labelDays (per-day return scale). */
  ret: Float64Array;
  /**
   * Days whose prediction has a cross-sectional std below the Pearson guard
   * (PEARSON_STD_GUARD): the reference divides by 1 there, so those days' IC is about 0.
   */
  icGuardDays: number;
  /** Days where no stock has both a prediction and a target value (their metrics count as 0). */
  emptyDays: number;
}

export const METRIC_COLUMNS: ReadonlyArray<{ key: keyof PredictionMetrics; label: string }> = [
  { key: 'ic', label: 'IC' },
  { key: 'ic_std', label: 'IC_STD' },
  { key: 'icir', label: 'ICIR' },
  { key: 'ric', label: 'RIC' },
  { key: 'ric_std', label: 'RIC_STD' },
  { key: 'ricir', label: 'RICIR' },
  { key: 'ret', label: 'RET' },
  { key: 'ret_std', label: 'RET_STD' },
  { key: 'retir', label: 'RETIR' },
  { key: 'ret_sharpe', label: 'RET_SR' },
  { key: 'ret_mdd', label: 'RET_MDD' },
];

function nanToZero(x: Float64Array): Float64Array {
  for (let i = 0; i < x.length; i++) if (x[i] !== x[i]) x[i] = 0;
  return x;
}

function meanOf(x: Float64Array): number {
  let s = 0;
  for (let i = 0; i < x.length; i++) s += x[i];
  return s / x.length;
}

/** Sample std (n-1 divisor), as torch's Tensor.std(). */
export function sampleStd(x: Float64Array): number {
  const n = x.length;
  const m = meanOf(x);
  let ss = 0;
  for (let i = 0; i < n; i++) ss += (x[i] - m) * (x[i] - m);
  return Math.sqrt(ss / (n - 1));
}

/** Annualised Sharpe of a daily series: mean / std(n-1) x sqrt(252); 0 when std < 1e-8. */
export function sharpeRatio(daily: Float64Array): number {
  const std = sampleStd(daily);
  if (!(std >= 1e-8)) return 0;
  return (meanOf(daily) / std) * Math.sqrt(252);
}

/** The reference's drawdown: cum = 1 + cumsum(r); max over days of (runmax - cum) / runmax. */
export function maxDrawdownOfSum(daily: Float64Array): number {
  let cum = 1;
  let runMax = -Infinity;
  let worst = -Infinity;
  for (let i = 0; i < daily.length; i++) {
    cum += daily[i];
    if (cum > runMax) runMax = cum;
    const dd = (runMax - cum) / runMax;
    if (dd > worst) worst = dd;
  }
  return daily.length === 0 ? NaN : worst;
}

export function predictionMetrics(
  pred: Float64Array,
  target: Float64Array,
  nDays: number,
  nStocks: number,
  labelDays: number,
): { metrics: PredictionMetrics; daily: PredictionDaily } {
  const icRaw = dailyIC(pred, target, nDays, nStocks);
  let emptyDays = 0;
  for (const v of icRaw) if (v !== v) emptyDays++;
  const ic = nanToZero(icRaw);
  const rankIc = nanToZero(dailyRankIC(pred, target, nDays, nStocks));
  const ret = nanToZero(topQuantileReturn(pred, target, nDays, nStocks, 0.2));
  for (let i = 0; i < ret.length; i++) ret[i] /= labelDays;
  const guardStd = (x: Float64Array) => {
    const s = sampleStd(x);
    return s > 1e-6 ? s : 1;
  };
  const icMean = meanOf(ic);
  const icStd = guardStd(ic);
  const ricMean = meanOf(rankIc);
  const ricStd = guardStd(rankIc);
  const retMean = meanOf(ret);
  const retStd = guardStd(ret);
  return {
    metrics: {
      ic: icMean,
      ic_std: icStd,
      icir: icMean / icStd,
      ric: ricMean,
      ric_std: ricStd,
      ricir: ricMean / ricStd,
      ret: retMean * 252,
      ret_std: retStd,
      retir: retMean / retStd,
      ret_sharpe: sharpeRatio(ret),
      ret_mdd: maxDrawdownOfSum(ret),
    },
    daily: { ic, rankIc, ret, icGuardDays: countGuardedDays(pred, target, nDays, nStocks), emptyDays },
  };
}

/** The metrics table as text: one row per window, the reference's parseable layout. */
export function formatMetricsTable(rows: ReadonlyArray<{ name: string; metrics: PredictionMetrics }>): string {
  const head = ['Dataset'.padEnd(12), ...METRIC_COLUMNS.map((c) => c.label.padStart(8))].join(' ');
  const lines = rows.map((r) =>
    [r.name.padEnd(12), ...METRIC_COLUMNS.map((c) => fmt(r.metrics[c.key]).padStart(8))].join(' '),
  );
  return [head, ...lines].join('\n');
}

function fmt(v: number): string {
  return Number.isFinite(v) ? v.toFixed(4) : 'NaN';
}
