/**
 * A backtest of a saved prediction: TopkDropout (and optionally the long-short
 * deciles) against a benchmark, summarised as Qlib reports it.
 */
import { writeFileAtomic, writeJsonAtomic } from '../util/atomic.js';
import { join } from 'node:path';
import type { BenchmarkSeries } from './benchmark.js';
import { longShortBacktest, type LongShortDay, type LongShortOptions } from './longShort.js';
import type { Market } from './market.js';
import { compound, drawdownPath, minOf, riskAnalysis, type RiskStats } from './risk.js';
import { topkDropoutBacktest, type TopkDay, type TopkDropoutOptions } from './topkDropout.js';

export interface BacktestSummary {
  days: number;
  first_day: string;
  last_day: string;
  /** Strategy return after cost (Qlib's return - cost), sum mode. */
  strategy: RiskStats & { total_return: number; nav_max_drawdown: number };
  benchmark: RiskStats & { total_return: number; name: string };
  excess_return_without_cost: RiskStats;
  excess_return_with_cost: RiskStats;
  turnover: { mean_daily: number; total_value: number };
  cost: { total_paid: number; share_of_account: number; mean_daily: number };
  final_value: number;
  mean_holdings: number;
}

export interface LongShortSummary {
  quantile: number;
  holding_period: number;
  /** After cost. */
  stats: RiskStats & { total_return: number; nav_max_drawdown: number };
  gross: RiskStats;
  mean_turnover_per_rebalance: number;
  total_cost: number;
  rebalances: number;
}

export interface BacktestOutput {
  summary: BacktestSummary;
  topk: TopkDay[];
  benchmark: Float64Array;
  longShort?: { summary: LongShortSummary; days: LongShortDay[] };
}

export function runBacktest(
  market: Market,
  signal: Float64Array,
  from: number,
  to: number,
  bench: BenchmarkSeries,
  topkOptions: Partial<TopkDropoutOptions>,
  longShort?: Partial<LongShortOptions> & { quantile: number; holdingPeriod: number },
): BacktestOutput {
  const res = topkDropoutBacktest(market, signal, from, to, topkOptions);
  const n = res.days.length;
  const ret = new Float64Array(n);
  const cost = new Float64Array(n);
  const benchRet = bench.returns;
  const net = new Float64Array(n);
  const exNoCost = new Float64Array(n);
  const exCost = new Float64Array(n);
  let turnover = 0;
  let holdings = 0;
  res.days.forEach((d, i) => {
    ret[i] = d.return;
    cost[i] = d.cost;
    net[i] = d.return - d.cost;
    exNoCost[i] = d.return - benchRet[i];
    exCost[i] = d.return - benchRet[i] - d.cost;
    turnover += d.turnover;
    holdings += d.holdings.length;
  });
  const nav = compound(net);
  const account = topkOptions.account ?? 1e8;
  const summary: BacktestSummary = {
    days: n,
    first_day: res.days[0]?.date ?? '',
    last_day: res.days[n - 1]?.date ?? '',
    strategy: { ...riskAnalysis(net), total_return: nav[n - 1] - 1, nav_max_drawdown: minOf(drawdownPath(nav)) },
    benchmark: { ...riskAnalysis(benchRet), total_return: compound(benchRet)[n - 1] - 1, name: bench.name },
    excess_return_without_cost: riskAnalysis(exNoCost),
    excess_return_with_cost: riskAnalysis(exCost),
    turnover: { mean_daily: turnover / n, total_value: res.totalTurnover },
    cost: { total_paid: res.totalCost, share_of_account: res.totalCost / account, mean_daily: cost.reduce((s, v) => s + v, 0) / n },
    final_value: res.days[n - 1]?.value ?? account,
    mean_holdings: holdings / n,
  };
  const out: BacktestOutput = { summary, topk: res.days, benchmark: benchRet };
  if (longShort) {
    const days = longShortBacktest(market, signal, from, to, longShort);
    const lsNet = Float64Array.from(days, (d) => d.return - d.cost);
    const lsNav = compound(lsNet);
    const rebalances = days.filter((d) => d.rebalanced);
    out.longShort = {
      days,
      summary: {
        quantile: longShort.quantile,
        holding_period: longShort.holdingPeriod,
        stats: { ...riskAnalysis(lsNet), total_return: lsNav[lsNav.length - 1] - 1, nav_max_drawdown: minOf(drawdownPath(lsNav)) },
        gross: riskAnalysis(Float64Array.from(days, (d) => d.return)),
        mean_turnover_per_rebalance: rebalances.reduce((s, d) => s + d.turnover, 0) / Math.max(1, rebalances.length),
        total_cost: days.reduce((s, d) => s + d.cost, 0),
        rebalances: rebalances.length,
      },
    };
  }
  return out;
}

/** The summary as aligned text lines. */
export function formatBacktestSummary(s: BacktestSummary, ls?: LongShortSummary): string {
  const pct = (v: number) => (Number.isFinite(v) ? `${(v * 100).toFixed(2)}%` : 'NaN');
  const num = (v: number) => (Number.isFinite(v) ? v.toFixed(3) : 'NaN');
  const row = (name: string, r: RiskStats) =>
    `${name.padEnd(28)} ${pct(r.annualized_return).padStart(10)} ${num(r.information_ratio).padStart(8)} ${pct(r.max_drawdown).padStart(10)}`;
  const lines = [
    `backtest ${s.first_day}..${s.last_day} (${s.days} days), benchmark ${s.benchmark.name}`,
    `${''.padEnd(28)} ${'ann.return'.padStart(10)} ${'IR'.padStart(8)} ${'max DD'.padStart(10)}`,
    row('strategy (after cost)', s.strategy),
    row('benchmark', s.benchmark),
    row('excess return without cost', s.excess_return_without_cost),
    row('excess return with cost', s.excess_return_with_cost),
  ];
  if (ls) lines.push(row(`long-short q${ls.quantile} hold ${ls.holding_period}`, ls.stats));
  lines.push(
    `total return ${pct(s.strategy.total_return)} (benchmark ${pct(s.benchmark.total_return)}), NAV max drawdown ${pct(s.strategy.nav_max_drawdown)}`,
    `turnover ${pct(s.turnover.mean_daily)} a day; cost paid ${s.cost.total_paid.toFixed(0)} (${pct(s.cost.share_of_account)} of the account); final value ${s.final_value.toFixed(0)}; ${s.mean_holdings.toFixed(1)} stocks held on average`,
  );
  return lines.join('\n');
}

/**
 * Writes backtest.json (settings + summaries) and backtest_daily.csv
 * (date, value, cash, return, cost, turnover, bench, excess_with_cost, n_hold[, ls_return, ls_cost]).
 */
export function writeBacktest(dir: string, out: BacktestOutput, settings: Record<string, unknown>): void {
  const header = ['date', 'value', 'cash', 'return', 'cost', 'turnover', 'bench', 'excess_with_cost', 'n_hold'];
  if (out.longShort) header.push('ls_return', 'ls_cost');
  const lines = [header.join(',')];
  out.topk.forEach((d, i) => {
    const cells: (string | number)[] = [d.date, d.value, d.cash, d.return, d.cost, d.turnover, out.benchmark[i], d.return - out.benchmark[i] - d.cost, d.holdings.length];
    if (out.longShort) cells.push(out.longShort.days[i].return, out.longShort.days[i].cost);
    lines.push(cells.map((c) => (typeof c === 'number' ? String(c) : c)).join(','));
  });
  writeFileAtomic(join(dir, 'backtest_daily.csv'), lines.join('\n') + '\n');
  writeJsonAtomic(join(dir, 'backtest.json'), { settings, summary: out.summary, long_short: out.longShort?.summary ?? null });
}
