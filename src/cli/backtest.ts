/** `alphasage backtest`: Qlib TopkDropout (and long-short deciles) on a saved prediction, against a benchmark. */
import type { Command } from 'commander';
import { Option } from 'commander';
import { existsSync, statSync } from 'node:fs';
import { relative, resolve } from 'node:path';
import { BUNDLED_INDEX_CSV, bundledCacheDir, resolveQlibDir } from '../data/index.js';
import { readPrediction } from '../combine/predFile.js';
import { benchmarkFromCsv, benchmarkFromQlib, type BenchmarkSeries } from '../backtest/benchmark.js';
import { loadMarketForPrediction } from '../backtest/load.js';
import { equalWeightReturns } from '../backtest/market.js';
import { formatBacktestSummary, runBacktest, writeBacktest } from '../backtest/run.js';
import { TOPK_DEFAULTS, type TopkDropoutOptions } from '../backtest/topkDropout.js';
import { UserError } from '../util/errors.js';
import { choiceFlag, floatFlag, givenFlags, intFlag, outDirFlag } from './common.js';
import { boolSwitch } from './combine.js';

/** The strategy's settings as flags (an absent --limit-threshold means no limit), plus the command's own. */
interface BacktestFlags extends Omit<TopkDropoutOptions, 'limitThreshold'> {
  pred: string;
  segment: 'valid' | 'test' | 'all';
  limitThreshold?: number;
  longShort: boolean;
  lsQuantile: number;
  holdingPeriod: number;
  benchmark?: string;
  qlibDir?: string;
  out?: string;
}

export function registerBacktest(program: Command): void {
  program
    .command('backtest')
    .description(
      "Backtest the prediction written by `alphasage combine` with Qlib's TopkDropout rules (hold topk, each day swap the n_drop worst held for the best not held, deal at the close, Qlib's costs) against a benchmark; optionally also a long-short top/bottom-decile portfolio.",
    )
    .requiredOption('--pred <dir>', "output folder of 'alphasage combine' (pred.json + pred.f64)")
    .option('--segment <name>', 'days to trade: valid, test or all', choiceFlag('--segment', ['valid', 'test', 'all'] as const), 'test')
    .option('--topk <n>', 'stocks held', intFlag('--topk', 1), TOPK_DEFAULTS.topk)
    .option('--n-drop <n>', 'held stocks swapped each day (1 or more)', intFlag('--n-drop', 0), TOPK_DEFAULTS.nDrop)
    .option('--deal-price <p>', 'trade at the close or the open', choiceFlag('--deal-price', ['close', 'open'] as const), 'close')
    .option('--open-cost <x>', 'cost rate of a purchase', floatFlag('--open-cost', 0, 0.5), TOPK_DEFAULTS.openCost)
    .option('--close-cost <x>', 'cost rate of a sale', floatFlag('--close-cost', 0, 0.5), TOPK_DEFAULTS.closeCost)
    .option('--min-cost <x>', 'minimum cost of a trade (currency)', floatFlag('--min-cost', 0), TOPK_DEFAULTS.minCost)
    .option('--account <x>', 'initial cash', floatFlag('--account', 1), TOPK_DEFAULTS.account)
    .option('--risk-degree <x>', 'share of the cash spent on buys', floatFlag('--risk-degree', 0.01, 1), TOPK_DEFAULTS.riskDegree)
    .option('--hold-thresh <n>', 'days a stock is held before it may be sold', intFlag('--hold-thresh', 0), TOPK_DEFAULTS.holdThresh)
    .option('--only-tradable [bool]', 'pick the best / worst among tradable stocks only (Qlib only_tradable)', boolSwitch('--only-tradable'), false)
    .option('--trade-unit <n>', 'round share amounts down to multiples of this (0: fractional shares; Qlib uses 100 for China)', floatFlag('--trade-unit', 0), 0)
    .option('--limit-threshold <x>', 'a stock up (down) this much since the last close cannot be bought (sold); default: no limit', floatFlag('--limit-threshold', 0.001, 1))
    .option('--long-short [bool]', 'also run a long-short portfolio of the top and bottom quantiles', boolSwitch('--long-short'), false)
    .option('--ls-quantile <x>', 'long-short: share of stocks in each leg', floatFlag('--ls-quantile', 0.001, 0.5), 0.1)
    .option('--holding-period <n>', 'long-short: days between rebalances', intFlag('--holding-period', 1), 20)
    .addOption(
      new Option('--benchmark <csv|symbol|equal>', "index series: a CSV with date and close columns, a Qlib instrument symbol, or 'equal' (the universe's equal-weight return)").default(
        undefined,
        'the S&P 500 index CSV for the bundled data, else equal',
      ),
    )
    .option('--qlib-dir <dir>', 'Qlib data folder (default: the one the prediction was made on)')
    .option('--out <dir>', 'output folder for backtest.json and backtest_daily.csv (default: the --pred folder)', outDirFlag('--out'))
    .action(async (opts: BacktestFlags, cmd: Command) => {
      const lsOnly = givenFlags(cmd, ['--ls-quantile', '--holding-period']);
      if (!opts.longShort && lsOnly.length > 0) throw new UserError(`${lsOnly.join(' and ')} ${lsOnly.length > 1 ? 'set' : 'sets'} the long-short portfolio; add --long-short, or drop ${lsOnly.length > 1 ? 'them' : 'it'}.`);
      if (!existsSync(opts.pred) || !statSync(opts.pred).isDirectory()) {
        throw new UserError(`--pred ${opts.pred} is not a folder; pass the output folder of 'alphasage combine'.`);
      }
      if (opts.nDrop === 0) {
        // Qlib's get_last_n(comb, 0) is comb[-0:], the whole list: every held stock is sold each day (or, with
        // only_tradable, none). Neither is the buy-and-hold a reader expects of 0.
        throw new UserError("--n-drop 0 makes Qlib's TopkDropout sell every held stock each day (Python's list[-0:] is the whole list); give 1 or more.");
      }
      if (opts.nDrop > opts.topk) throw new UserError(`--n-drop ${opts.nDrop} is larger than --topk ${opts.topk}; swap at most the stocks held.`);
      const pred = readPrediction(opts.pred);
      const { meta } = pred;
      const seg: [number, number] = opts.segment === 'all' ? [0, meta.shape[0]] : (meta.segments[opts.segment] as [number, number] | undefined) ?? [0, 0];
      if (!(seg[1] > seg[0])) throw new UserError(`the prediction has no '${opts.segment}' days; use --segment all.`);
      if (opts.topk > meta.shape[1]) throw new UserError(`--topk ${opts.topk} exceeds the ${meta.shape[1]} stocks of the prediction; lower it.`);
      const source = opts.qlibDir ?? meta.data.qlib_dir ?? undefined;
      const qlibDir = await resolveQlibDir(source);
      const { market, signal, from, matchedStocks } = loadMarketForPrediction(qlibDir, pred, seg[0], seg[1]);
      if (opts.topk > matchedStocks) throw new UserError(`--topk ${opts.topk} exceeds the ${matchedStocks} stocks of the prediction that ${qlibDir} has prices for; lower it, or pass the --qlib-dir the prediction was made on.`);
      if (matchedStocks < meta.shape[1]) console.log(`note: ${qlibDir} has prices for ${matchedStocks} of the prediction's ${meta.shape[1]} stocks; the portfolio picks among those.`);
      const flat = flatDays(signal, market.nStocks, from, market.nDays);
      if (flat > 0) {
        console.log(`note: on ${flat} of ${market.nDays - from} days the prediction is the same for every stock; TopkDropout${opts.longShort ? ' and the long-short legs' : ''} then pick by the stocks' order in the universe, which says nothing about the prediction.`);
      }
      const days = market.dates.slice(from);

      let bench: BenchmarkSeries;
      // The bundled data (also when named by its cache folder, as runs of older versions of start wrote) has its index.
      const bundled = source === undefined || resolve(source) === bundledCacheDir();
      const spec = opts.benchmark ?? (bundled ? BUNDLED_INDEX_CSV : 'equal');
      if (spec === 'equal') {
        bench = { name: 'equal-weight universe', returns: equalWeightReturns(market).slice(from) };
      } else if (existsSync(spec) || /\.csv$/i.test(spec)) {
        bench = benchmarkFromCsv(spec, days);
        if (spec === BUNDLED_INDEX_CSV) bench.name = 'S&P 500 index (data/sp500_index_2013_2018.csv)';
      } else {
        bench = benchmarkFromQlib(qlibDir, spec, days);
      }
      const topk: TopkDropoutOptions = {
        topk: opts.topk,
        nDrop: opts.nDrop,
        dealPrice: opts.dealPrice,
        openCost: opts.openCost,
        closeCost: opts.closeCost,
        minCost: opts.minCost,
        account: opts.account,
        riskDegree: opts.riskDegree,
        holdThresh: opts.holdThresh,
        onlyTradable: opts.onlyTradable,
        tradeUnit: opts.tradeUnit,
        limitThreshold: opts.limitThreshold ?? null,
      };
      const ls = opts.longShort ? { quantile: opts.lsQuantile, holdingPeriod: opts.holdingPeriod, openCost: opts.openCost, closeCost: opts.closeCost } : undefined;
      const out = runBacktest(market, signal, from, market.nDays, bench, topk, ls);
      const dir = opts.out ?? opts.pred;
      writeBacktest(dir, out, {
        pred: resolve(opts.pred),
        segment: opts.segment,
        benchmark: bench.name,
        ...topk,
        long_short: ls ?? null,
      });
      console.log(formatBacktestSummary(out.summary, out.longShort?.summary));
      if (out.summary.mean_holdings === 0) {
        console.log('note: no stock was ever held (no day had stocks with both a prediction and a price): the strategy sat in cash, and its ratios are not a measurement.');
      }
      // Qlib's rules let a sale cost more than it brings (the minimum cost): on a small account cash goes below 0.
      const short = out.topk.filter((d) => d.cash < 0);
      if (short.length > 0) {
        const lowest = Math.min(...short.map((d) => d.cash));
        console.log(`note: cash was below 0 on ${short.length} days (lowest ${lowest.toFixed(2)}): with --account ${opts.account}, the minimum cost per trade (--min-cost ${opts.minCost}) is large next to the ${opts.topk} positions; raise --account for meaningful returns.`);
      }
      console.log(`wrote ${relative(process.cwd(), dir) || '.'}/backtest.json and backtest_daily.csv`);
    });
}

/** Days in [from, nDays) whose signal has one value for every stock that has one (and at least two such stocks). */
function flatDays(signal: Float64Array, nStocks: number, from: number, nDays: number): number {
  let flat = 0;
  for (let d = from; d < nDays; d++) {
    let first = NaN;
    let n = 0;
    let same = true;
    for (let s = 0; s < nStocks && same; s++) {
      const v = signal[d * nStocks + s];
      if (v !== v) continue;
      if (n++ === 0) first = v;
      else if (v !== first) same = false;
    }
    if (same && n > 1) flat++;
  }
  return flat;
}
