/**
 * Expression engine speed: the first 46 lines of the reference list (two
 * features, each of the 36 operators alone (Pow twice), then seven compound
 * lines) on the bundled data, universe all, 2013-08-01..2015-12-31
 * (610 days x 496 stocks), single thread, no cache; median of 5 runs per
 * expression and of the total, for both ways to get the values: an array the
 * caller owns (evaluateExpr) and a view lent to a callback (withExprValues,
 * as the miner does: no fresh array per evaluation); then IC + RankIC for
 * one expression, RankIC also against a target ranked once.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { bundledQlibDir, loadStockData, PACKAGE_ROOT } from '../src/data/index.js';
import { evaluateExpr, evaluateTarget, parseExpr, withExprValues } from '../src/expr/index.js';
import { alphaIC, alphaRankIC, RankedTarget } from '../src/metrics/index.js';
import { machineProbeMs, median, timeInterleaved } from './timing.js';

/** Python reference times for some lines (ms, from the issue). */
const PYTHON_MS: Record<string, number> = { 'TsKurt($volume,30)': 208, 'TsRank($close,20)': 132, 'TsVar($close,40)': 122, 'TsMed($volume,20)': 103 };

export default async function (): Promise<void> {
  const lines = readFileSync(join(PACKAGE_ROOT, 'test', 'fixtures', 'sp500_dev40', 'exprs.txt'), 'utf8').split('\n').filter((l) => l.trim() !== '').slice(0, 46);
  const exprs = lines.map((l) => parseExpr(l));
  const data = loadStockData({ qlibDir: await bundledQlibDir(), start: '2013-08-01', end: '2015-12-31' });
  console.log(`data: ${data.nDays} days x ${data.nStocks} stocks (universe all), ${lines.length} expressions, median of 5 runs, no cache`);
  // Warm-up: first JIT compilation of every kernel.
  for (const e of exprs) evaluateExpr(e, data);
  const probeBefore = machineProbeMs();
  const runs = 5;
  let sink = 0;
  const t = timeInterleaved(
    exprs.length,
    runs,
    (i) => (sink += evaluateExpr(exprs[i], data)[0]),
    (i) => (sink += withExprValues(exprs[i], data, (v) => v[0])),
  );
  console.log('| # | expression | owned array ms | lent view ms | python ms |');
  console.log('|---|---|---|---|---|');
  lines.forEach((l, i) => console.log(`| ${i} | ${l} | ${median(t.a[i]).toFixed(3)} | ${median(t.b[i]).toFixed(3)} | ${PYTHON_MS[l] ?? ''} |`));
  console.log(`| | **total** (median of ${runs} totals) | **${median(t.totalA).toFixed(1)}** | **${median(t.totalB).toFixed(1)}** | 1463 |`);
  if (Number.isNaN(sink)) console.log(''); // keeps the results observable
  console.log(`machine probe (plain loop adding 302,560 doubles, lower is faster): ${probeBefore.toFixed(3)} ms before the table, ${machineProbeMs().toFixed(3)} ms after`);

  const target = evaluateTarget(data);
  const value = evaluateExpr('TsCorr($close,$volume,20)', data);
  const ic: number[] = [];
  const ric: number[] = [];
  const ricRanked: number[] = [];
  const ranking: number[] = [];
  for (let r = 0; r < runs + 1; r++) {
    let t = performance.now();
    alphaIC(value, target, data.nDays, data.nStocks);
    const a = performance.now() - t;
    t = performance.now();
    alphaRankIC(value, target, data.nDays, data.nStocks);
    const b = performance.now() - t;
    t = performance.now();
    const ranked = new RankedTarget(target, data.nDays, data.nStocks);
    const c = performance.now() - t;
    t = performance.now();
    alphaRankIC(value, ranked, data.nDays, data.nStocks);
    const d = performance.now() - t;
    if (r > 0) {
      ic.push(a);
      ric.push(b);
      ranking.push(c);
      ricRanked.push(d);
    }
  }
  console.log('');
  console.log('| metric (TsCorr($close,$volume,20) vs target) | median ms |');
  console.log('|---|---|');
  console.log(`| IC (normalize both by day + daily Pearson) | ${median(ic).toFixed(2)} |`);
  console.log(`| RankIC (daily Spearman, average ranks) | ${median(ric).toFixed(2)} |`);
  console.log(`| IC + RankIC | ${(median(ic) + median(ric)).toFixed(2)} |`);
  console.log(`| RankIC against a target ranked once (RankedTarget, as eval and pool scoring do) | ${median(ricRanked).toFixed(2)} |`);
  console.log(`| IC + that RankIC | ${(median(ic) + median(ricRanked)).toFixed(2)} |`);
  console.log(`| (ranking the target, once per window) | ${median(ranking).toFixed(2)} |`);
}
