/**
 * `alphasage combine` end to end: load the data from the train window's first
 * day to the test window's last, evaluate and normalize the pool's alphas,
 * combine them (adaptive or static) over the valid and test days, score the
 * prediction per window, and write everything the backtest and the report read.
 *
 * Output folder:
 *   metrics.json    settings, metrics per window, per-alpha statistics, timings
 *   metrics.txt     the metrics table as printed
 *   daily.csv       date, segment, ic, rank_ic, ret (top-20% return / label_days), n_selected
 *   pred.f64/.json  the daily prediction (layout in predFile.ts)
 *   mutual_ic.json  the alphas' mutual-IC matrix over the valid + test days
 *   selection.json  (adaptive) per day: selected alphas, coefficients, intercept, dropped
 *   pool.json       a copy of the pool
 */
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { StockData } from '../data/types.js';
import { daySpan, loadStockData, requireCrossSection } from '../data/stockData.js';
import { evaluateExpr, parseExpr } from '../expr/index.js';
import { alphaIC, alphaRankIC, normalizeByDay, PEARSON_STD_GUARD, RankedTarget } from '../metrics/index.js';
import { evaluatePoolMembers, writePoolFile, type PoolFile } from '../pool/index.js';
import { writeFileAtomic, writeJsonAtomic } from '../util/atomic.js';
import { UserError } from '../util/errors.js';
import { adaptiveCombine, type AlphaPanel, type DaySelection } from './adaptive.js';
import { dailyAlphaICs, mutualICMatrix, type DailyAlphaICs } from './dailyIc.js';
import { formatMetricsTable, predictionMetrics, type PredictionDaily, type PredictionMetrics } from './metrics.js';
import { writePrediction, type DataSource, PRED_FORMAT } from './predFile.js';
import { fitStaticWeights, staticCombine } from './static.js';

export interface DateWindow {
  start: string;
  end: string;
}

export interface CombineSettings {
  mode: 'adaptive' | 'static';
  /** Static: the pool's weights ('pool') or least squares on the train window ('fit'). */
  staticWeights: 'pool' | 'fit';
  thresholdRic: number;
  thresholdRicir: number;
  nFactors: number;
  /** Rolling window in days, or Infinity (expanding). */
  window: number;
  labelDays: number;
  dependenceTol: number;
  train: DateWindow;
  valid: DateWindow;
  test: DateWindow;
}

export interface AlphaStats {
  expr: string;
  weight: number;
  /** The pool file's IC (its mining window), when stored. */
  pool_ic: number | null;
  /**
   * The alpha's IC and RankIC per window as SPEC §3 defines them, the numbers `pool eval` gives: IC = mean
   * daily Pearson of the normalized alpha and normalized target; RankIC = mean daily Spearman of the raw
   * alpha and target over the cells where neither is NaN (NaN when a day has no such cell). The adaptive
   * selection uses its own daily IC / RankIC of the normalized alphas against the raw target, where a NaN
   * cell counts as 0 and a NaN day as 0.
   */
  valid_ic: number;
  valid_rank_ic: number;
  test_ic: number;
  test_rank_ic: number;
  /** Adaptive: predicted days on which the alpha was selected (and kept in the fit). */
  days_selected: number | null;
}

export interface CombineResult {
  metrics: Record<'valid' | 'test', PredictionMetrics>;
  table: string;
  alphas: AlphaStats[];
  dates: string[];
  segments: Record<'valid' | 'test', [number, number]>;
  pred: Float64Array;
  daily: Record<'valid' | 'test', PredictionDaily>;
  /** Caveats on the metrics (printed, and kept in metrics.json, metrics.txt and the report). */
  notes: string[];
  selections: readonly DaySelection[] | null;
  staticWeights: number[] | null;
  mutualIC: Float64Array;
  symbols: readonly string[];
  timingsMs: Record<string, number>;
}

/** The label `Ref($close,-L)/$close-1`. */
export function targetExpr(labelDays: number): string {
  return `Sub(Div(Ref($close,-${labelDays}),$close),1.0)`;
}

/** Window days as panel indices [first, end); throws a UserError when the window holds no day. */
function windowDays(dates: readonly string[], offset: number, nDays: number, w: DateWindow, flag: string): [number, number] {
  let first = -1;
  let end = -1;
  for (let d = 0; d < nDays; d++) {
    const day = dates[offset + d];
    if (day >= w.start && day <= w.end) {
      if (first < 0) first = d;
      end = d + 1;
    }
  }
  if (first < 0) throw new UserError(`${flag} ${w.start}:${w.end} holds no trading day of the data; pick dates inside ${dates[offset]}..${dates[offset + nDays - 1]}.`);
  return [first, end];
}

export function validateWindows(s: CombineSettings): void {
  const order: Array<[string, DateWindow]> = [
    ['--train', s.train],
    ['--valid', s.valid],
    ['--test', s.test],
  ];
  for (const [flag, w] of order) {
    if (w.end < w.start) throw new UserError(`${flag} ends (${w.end}) before it starts (${w.start}); give START:END in order.`);
  }
  if (s.valid.start <= s.train.start) throw new UserError(`--valid starts (${s.valid.start}) ${s.valid.start === s.train.start ? 'on' : 'before'} the train window's first day ${s.train.start}; the history must come first.`);
  if (s.test.start <= s.valid.end) throw new UserError(`--test starts (${s.test.start}) on or before the end of --valid (${s.valid.end}); give windows that follow each other.`);
}

/** The valid and test days as panel indices, checked against the labelled history before them. */
export function planDays(data: StockData, s: CombineSettings): { valid: [number, number]; test: [number, number]; predictDays: number[] } {
  const { nDays, backtrack } = data;
  const valid = windowDays(data.dates, backtrack, nDays, s.valid, '--valid');
  const test = windowDays(data.dates, backtrack, nDays, s.test, '--test');
  const predictDays: number[] = [];
  for (let d = valid[0]; d < valid[1]; d++) predictDays.push(d);
  for (let d = test[0]; d < test[1]; d++) predictDays.push(d);
  const shift = s.labelDays + 1;
  const history = Number.isFinite(s.window) ? Math.min(s.window, valid[0] - shift) : valid[0] - shift;
  if (history < 2) {
    throw new UserError(
      `only ${Math.max(0, history)} days of labelled history before ${data.dates[backtrack + valid[0]]}; start --train earlier (at least ${shift + 2} trading days before --valid) or lower --label-days.`,
    );
  }
  return { valid, test, predictDays };
}

/**
 * Each alpha's IC and RankIC as SPEC §3 defines them (the numbers `pool eval` gives) over the days
 * [w[0], w[1]) of its raw values: IC of the normalized alpha and target, RankIC of the raw ones with
 * NaN cells skipped (the target ranked once).
 */
function windowAlphaICs(alphas: readonly Float64Array[], target: Float64Array, w: [number, number], nStocks: number): { ic: number[]; rankIc: number[] } {
  const rows = (m: Float64Array) => m.subarray(w[0] * nStocks, w[1] * nStocks);
  const nDays = w[1] - w[0];
  const ranked = new RankedTarget(rows(target), nDays, nStocks);
  return { ic: alphas.map((a) => alphaIC(rows(a), rows(target), nDays, nStocks)), rankIc: alphas.map((a) => alphaRankIC(rows(a), ranked, nDays, nStocks)) };
}

/** Combines an already loaded pool on `data` (the train start .. test end window). */
export function combineOnData(pool: PoolFile, data: StockData, s: CombineSettings, log: (msg: string) => void = () => {}): CombineResult {
  validateWindows(s);
  const timings: Record<string, number> = {};
  const tick = (name: string, t0: number) => (timings[name] = Math.round(performance.now() - t0));
  const { nDays, nStocks, backtrack } = data;
  const n = pool.exprs.length;
  if (n === 0) throw new UserError('the pool has no expressions; mine or write a pool with at least one.');

  const { valid, test, predictDays } = planDays(data, s);
  let t = performance.now();
  const alphas = evaluatePoolMembers(pool.exprs, data);
  const target = evaluateExpr(parseExpr(targetExpr(s.labelDays)), data);
  tick('evaluate', t);
  log(`evaluated ${n} alphas and the target on ${nDays} days x ${nStocks} stocks (${timings.evaluate} ms)`);
  t = performance.now();
  const alphaICs = { valid: windowAlphaICs(alphas, target, valid, nStocks), test: windowAlphaICs(alphas, target, test, nStocks) };
  tick('alpha_ic', t);
  for (const a of alphas) normalizeByDay(a, nDays, nStocks, a as Float64Array<ArrayBuffer>); // in place: the raw values are not needed again
  const shift = s.labelDays + 1;
  const panel: AlphaPanel = { nDays, nStocks, alphas, target };
  const closeRow = (day: number) => (backtrack + day) * 6 * nStocks + nStocks; // feature 1 = close
  const tradable = (day: number, stock: number) => Number.isFinite(data.values[closeRow(day) + stock]);

  t = performance.now();
  const daily: DailyAlphaICs = dailyAlphaICs(alphas, target, nDays, nStocks);
  tick('daily_ic', t);

  t = performance.now();
  let pred: Float64Array;
  let selections: readonly DaySelection[] | null = null;
  let staticWeights: number[] | null = null;
  if (s.mode === 'adaptive') {
    const res = adaptiveCombine(panel, {
      predictDays,
      window: s.window,
      labelDays: s.labelDays,
      thresholdRic: s.thresholdRic,
      thresholdRicir: s.thresholdRicir,
      nFactors: s.nFactors,
      dependenceTol: s.dependenceTol,
      dailyICs: daily,
      tradable,
    });
    pred = res.pred;
    selections = res.selections;
  } else {
    if (s.staticWeights === 'fit') {
      // the train window's labelled days only: a label needs labelDays more closes, known before --valid starts
      const trainEnd = windowDays(data.dates, backtrack, nDays, s.train, '--train')[1];
      const end = Math.min(trainEnd, valid[0] - shift);
      staticWeights = [...fitStaticWeights(panel, 0, end, s.dependenceTol).coef];
    } else {
      staticWeights = [...pool.weights];
    }
    pred = staticCombine(panel, staticWeights, predictDays, tradable);
  }
  tick('combine', t);
  log(`${s.mode} combination of ${predictDays.length} days (${timings.combine} ms)`);

  t = performance.now();
  const nValid = valid[1] - valid[0];
  const nTest = test[1] - test[0];
  const targetRows = (w: [number, number]) => target.subarray(w[0] * nStocks, w[1] * nStocks);
  const mValid = predictionMetrics(pred.subarray(0, nValid * nStocks), targetRows(valid), nValid, nStocks, s.labelDays);
  const mTest = predictionMetrics(pred.subarray(nValid * nStocks), targetRows(test), nTest, nStocks, s.labelDays);
  tick('metrics', t);

  t = performance.now();
  const mutualIC = mutualICMatrix(alphas, nStocks, valid[0], test[1]);
  tick('mutual_ic', t);

  const selectedDays = new Array<number>(n).fill(0);
  if (selections) {
    for (const sel of selections) sel.fit.selected.forEach((a, k) => sel.fit.coef[k] !== 0 && selectedDays[a]++);
  }
  const alphaStats: AlphaStats[] = pool.exprs.map((expr, a) => {
    return {
      expr,
      weight: pool.weights[a],
      pool_ic: pool.ics && Number.isFinite(pool.ics[a]) ? pool.ics[a] : null,
      valid_ic: alphaICs.valid.ic[a],
      valid_rank_ic: alphaICs.valid.rankIc[a],
      test_ic: alphaICs.test.ic[a],
      test_rank_ic: alphaICs.test.rankIc[a],
      days_selected: selections ? selectedDays[a] : null,
    };
  });
  const dates = predictDays.map((d) => data.dates[backtrack + d]);
  return {
    metrics: { valid: mValid.metrics, test: mTest.metrics },
    table: formatMetricsTable([
      { name: 'Validation', metrics: mValid.metrics },
      { name: 'Test', metrics: mTest.metrics },
    ]),
    alphas: alphaStats,
    dates,
    segments: { valid: [0, nValid], test: [nValid, nValid + nTest] },
    pred,
    daily: { valid: mValid.daily, test: mTest.daily },
    notes: metricNotes({ valid: mValid.daily, test: mTest.daily }, { valid: nValid, test: nTest }),
    selections,
    staticWeights,
    mutualIC,
    symbols: data.symbols,
    timingsMs: timings,
  };
}

export interface CombineRunOptions {
  poolPath: string;
  pool: PoolFile;
  qlibDir: string;
  source: DataSource;
  settings: CombineSettings;
  out: string;
  log?: (msg: string) => void;
}

/** Loads the data, combines, and writes the output folder. */
export function runCombine(o: CombineRunOptions): CombineResult {
  const log = o.log ?? (() => {});
  const s = o.settings;
  validateWindows(s);
  let t = performance.now();
  const data = loadStockData({
    qlibDir: o.qlibDir,
    universe: o.source.universe,
    universeFile: o.source.universe_file ?? undefined,
    start: s.train.start,
    end: s.test.end,
  });
  const loadMs = Math.round(performance.now() - t);
  requireCrossSection(data, 'combine');
  planDays(data, s); // a bad window fails before any output
  log(`loaded ${data.nDays} days x ${data.nStocks} stocks (${daySpan(data)}) in ${loadMs} ms`);
  const r = combineOnData(o.pool, data, s, log);
  r.timingsMs.load = loadMs;
  t = performance.now();
  writeCombineOutput(o, r);
  r.timingsMs.write = Math.round(performance.now() - t);
  return r;
}

/** Files a previous combine (or a backtest of its prediction) left in the folder that this one does not rewrite. */
const STALE_AFTER_COMBINE = ['backtest.json', 'backtest_daily.csv', 'selection.json'];

export function writeCombineOutput(o: CombineRunOptions, r: CombineResult): void {
  const s = o.settings;
  const dir = o.out;
  // They describe the old prediction: a report would mix them with the new metrics.
  const stale = STALE_AFTER_COMBINE.filter((f) => existsSync(join(dir, f)));
  for (const f of stale) rmSync(join(dir, f));
  // selection.json is written again below for an adaptive combination: only the files that go are named.
  const gone = stale.filter((f) => !(f === 'selection.json' && s.mode === 'adaptive'));
  if (gone.length > 0) o.log?.(`removed ${gone.join(', ')} of the previous prediction in ${dir}`);
  writePrediction(
    dir,
    {
      format: PRED_FORMAT,
      dtype: 'float64',
      byte_order: 'little',
      shape: [r.dates.length, r.symbols.length],
      dates: r.dates,
      symbols: [...r.symbols],
      segments: r.segments,
      label_days: s.labelDays,
      mode: s.mode,
      data: o.source,
    },
    r.pred,
  );
  const lines = ['date,segment,ic,rank_ic,ret,n_selected'];
  (['valid', 'test'] as const).forEach((seg) => {
    const [a, b] = r.segments[seg];
    const d = r.daily[seg];
    for (let i = a; i < b; i++) {
      const nSel = r.selections ? r.selections[i].fit.coef.filter((c) => c !== 0).length : r.alphas.length;
      lines.push(`${r.dates[i]},${seg},${d.ic[i - a]},${d.rankIc[i - a]},${d.ret[i - a]},${nSel}`);
    }
  });
  writeFileAtomic(join(dir, 'daily.csv'), lines.join('\n') + '\n');
  const n = r.alphas.length;
  const matrix: number[][] = [];
  for (let i = 0; i < n; i++) matrix.push(Array.from(r.mutualIC.subarray(i * n, (i + 1) * n)));
  writeJsonAtomic(join(dir, 'mutual_ic.json'), { exprs: r.alphas.map((a) => a.expr), window: { start: r.dates[0], end: r.dates[r.dates.length - 1] }, matrix });
  if (r.selections) {
    writeJsonAtomic(
      join(dir, 'selection.json'),
      r.selections.map((sel, i) => ({
        date: r.dates[i],
        history: [sel.begin, sel.end],
        fallback: sel.fallback,
        selected: sel.fit.selected,
        coef: sel.fit.coef,
        intercept: sel.fit.intercept,
        dropped: sel.fit.dropped,
        rows: sel.fit.rows,
      })),
    );
  }
  writePoolFile(join(dir, 'pool.json'), o.pool);
  writeFileAtomic(join(dir, 'metrics.txt'), [r.table, ...r.notes].join('\n') + '\n');
  writeJsonAtomic(join(dir, 'metrics.json'), {
    mode: s.mode,
    pool: o.poolPath,
    data: o.source,
    settings: {
      ...s,
      window: Number.isFinite(s.window) ? s.window : 'inf',
    },
    windows: {
      valid: { start: r.dates[r.segments.valid[0]], end: r.dates[r.segments.valid[1] - 1], days: r.segments.valid[1] - r.segments.valid[0], ...r.metrics.valid },
      test: { start: r.dates[r.segments.test[0]], end: r.dates[r.segments.test[1] - 1], days: r.segments.test[1] - r.segments.test[0], ...r.metrics.test },
    },
    notes: r.notes,
    static_weights: r.staticWeights,
    alphas: r.alphas,
    timings_ms: r.timingsMs,
  });
}

/** What a reader of the metrics table must know: windows without data, and days the Pearson guard zeroes. */
function metricNotes(daily: Record<'valid' | 'test', PredictionDaily>, days: Record<'valid' | 'test', number>): string[] {
  const notes: string[] = [];
  for (const seg of ['valid', 'test'] as const) {
    const { emptyDays, icGuardDays } = daily[seg];
    if (emptyDays === days[seg]) {
      notes.push(`note: no ${seg} day has a stock with both a prediction and a target value (no data for the universe there?): the ${seg} metrics are 0 by convention, not a measurement.`);
      continue;
    }
    if (emptyDays > 0) notes.push(`note: on ${emptyDays} of ${days[seg]} ${seg} days no stock has both a prediction and a target value; those days count as 0.`);
    if (icGuardDays > 0) {
      notes.push(`note: on ${icGuardDays} of ${days[seg]} ${seg} days the prediction's cross-sectional std is below ${PEARSON_STD_GUARD}, where the reference's Pearson divides by 1: IC is near 0 there (RankIC is not affected).`);
    }
  }
  return notes;
}
