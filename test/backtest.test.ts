import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Market } from '../src/backtest/market.js';
import { equalWeightReturns } from '../src/backtest/market.js';
import { topkDropoutBacktest } from '../src/backtest/topkDropout.js';
import { longShortBacktest } from '../src/backtest/longShort.js';
import { riskAnalysis } from '../src/backtest/risk.js';
import { benchmarkFromCsv } from '../src/backtest/benchmark.js';
import { runBacktest, writeBacktest } from '../src/backtest/run.js';

// A hand-made market: 3 stocks (A, B, C), 10 days.
const dates = ['2020-01-01', '2020-01-02', '2020-01-03', '2020-01-06', '2020-01-07', '2020-01-08', '2020-01-09', '2020-01-10', '2020-01-13', '2020-01-14'];
const closeA = [10, 11, 12, 12, 11, 10, 10, 11, 12, 13];
const closeB = [20, 20, 21, 22, 22, 23, 24, 24, 23, 22];
const closeC = [5, 5, 5.5, 6, 6, 5.5, 5, 5, 5.5, 6];
const close = new Float64Array(30);
for (let d = 0; d < 10; d++) {
  close[d * 3] = closeA[d];
  close[d * 3 + 1] = closeB[d];
  close[d * 3 + 2] = closeC[d];
}
const market: Market = { dates, symbols: ['A', 'B', 'C'], nDays: 10, nStocks: 3, close };
// Signal made at each day's close (used the next day): [A, B, C]
const signalRows = [
  [3, 2, 1], // day0 -> day1: buy A, B
  [3, 1, 2], // day1 -> day2: B is the worst of {A, B, C}: sell B, buy C
  [3, 1, 2], // day2 -> day3: the worst (B) is not held: nothing
  [1, 2, 3], // day3 -> day4: sell A, buy B
  [1, 2, 3],
  [1, 2, 3],
  [1, NaN, 2], // day6 -> day7: B has no score: sold, A bought
  [2, 0.5, 1], // day7 -> day8: the worst (B) is not held: nothing
  [2, 0.5, 1],
  [2, 0.5, 1],
];
const signal = Float64Array.from(signalRows.flat());

const opts = { topk: 2, nDrop: 1, openCost: 0.001, closeCost: 0.002, minCost: 1, account: 10000, riskDegree: 0.95 };

test('TopkDropout on a 3-stock, 10-day market: positions, costs and returns by hand', () => {
  const res = topkDropoutBacktest(market, signal, 0, 10, opts);
  const held = res.days.map((d) => d.holdings.map((h) => market.symbols[h.stock]).join(''));
  assert.deepEqual(held, ['', 'AB', 'AC', 'AC', 'BC', 'BC', 'BC', 'AC', 'AC', 'AC']);

  // day 0: no signal yet
  assert.equal(res.days[0].value, 10000);
  assert.equal(res.days[0].return, 0);
  // day 1: budget 10000 * 0.95 / 2 = 4750 each; A at 11, B at 20; cost 0.001 * 4750 = 4.75 each
  let cash = 10000 - 2 * (4750 + 4.75);
  const sharesA1 = 4750 / 11;
  const sharesB1 = 4750 / 20;
  let value = cash + sharesA1 * 11 + sharesB1 * 20;
  assert.ok(Math.abs(res.days[1].cash - cash) < 1e-9);
  assert.ok(Math.abs(res.days[1].value - value) < 1e-9);
  assert.ok(Math.abs(res.days[1].cost - 9.5 / 10000) < 1e-15);
  assert.ok(Math.abs(res.days[1].turnover - 9500 / 10000) < 1e-15);
  assert.ok(Math.abs(res.days[1].return - 0) < 1e-15);
  let prev = value;

  // day 2: sell B at 21 (cost max(0.002 * value, 1)), then buy C at 5.5 with 95% of the cash
  const sellB = sharesB1 * 21;
  cash += sellB - 0.002 * sellB;
  const buyC = cash * 0.95;
  const sharesC2 = buyC / 5.5;
  cash -= buyC + 0.001 * buyC;
  value = cash + sharesA1 * 12 + sharesC2 * 5.5;
  let cost = 0.002 * sellB + 0.001 * buyC;
  assert.ok(Math.abs(res.days[2].value - value) < 1e-9);
  assert.ok(Math.abs(res.days[2].costPaid - cost) < 1e-12);
  assert.ok(Math.abs(res.days[2].return - (value - prev + cost) / prev) < 1e-12);
  assert.ok(Math.abs(res.days[2].turnover - (sellB + buyC) / prev) < 1e-12);
  const t2 = res.days[2].trades.map((t) => `${t.side} ${market.symbols[t.stock]}`);
  assert.deepEqual(t2, ['sell B', 'buy C']);
  prev = value;

  // day 3: no trade; A flat at 12, C up to 6
  value = cash + sharesA1 * 12 + sharesC2 * 6;
  assert.equal(res.days[3].trades.length, 0);
  assert.ok(Math.abs(res.days[3].value - value) < 1e-9);
  assert.ok(Math.abs(res.days[3].return - (value - prev) / prev) < 1e-12);
  prev = value;

  // day 4: sell A at 11, buy B at 22
  const sellA = sharesA1 * 11;
  cash += sellA - 0.002 * sellA;
  const buyB = cash * 0.95;
  const sharesB4 = buyB / 22;
  cash -= buyB + 0.001 * buyB;
  value = cash + sharesB4 * 22 + sharesC2 * 6;
  cost = 0.002 * sellA + 0.001 * buyB;
  assert.ok(Math.abs(res.days[4].value - value) < 1e-9);
  assert.ok(Math.abs(res.days[4].cost - cost / prev) < 1e-12);
  prev = value;

  // days 5, 6: marked to market only
  for (const d of [5, 6]) {
    value = cash + sharesB4 * closeB[d] + sharesC2 * closeC[d];
    assert.ok(Math.abs(res.days[d].value - value) < 1e-9);
    assert.ok(Math.abs(res.days[d].return - (value - prev) / prev) < 1e-12);
    prev = value;
  }
  // day 7: B (no score) sold at 24, A bought at 11
  const sellB7 = sharesB4 * 24;
  cash += sellB7 - 0.002 * sellB7;
  const buyA7 = cash * 0.95;
  const sharesA7 = buyA7 / 11;
  cash -= buyA7 + 0.001 * buyA7;
  value = cash + sharesA7 * 11 + sharesC2 * 5;
  assert.ok(Math.abs(res.days[7].value - value) < 1e-9);
  for (const d of [8, 9]) {
    value = cash + sharesA7 * closeA[d] + sharesC2 * closeC[d];
    assert.ok(Math.abs(res.days[d].value - value) < 1e-9);
  }
  const totalCost = 9.5 + 0.002 * sellB + 0.001 * buyC + 0.002 * sellA + 0.001 * buyB + 0.002 * sellB7 + 0.001 * buyA7;
  assert.ok(Math.abs(res.totalCost - totalCost) < 1e-9);
  // the identity behind Qlib's records: net return = return - cost
  res.days.forEach((d, i) => i > 0 && assert.ok(Math.abs(d.value / res.days[i - 1].value - 1 - (d.return - d.cost)) < 1e-12));
});

test('TopkDropout: the minimum cost applies to small trades, and a stock without a price is not traded', () => {
  const res = topkDropoutBacktest(market, signal, 0, 3, { ...opts, account: 100, minCost: 5 });
  // budget 47.5 per stock: 0.001 * 47.5 < 5, so each buy costs 5. After A (47.5 + 5) the cash, 47.5,
  // cannot pay 47.5 + 5 for B: Qlib's cash limit buys (cash - min_cost) / price shares instead.
  const [buyA, buyB] = res.days[1].trades;
  assert.ok(Math.abs(buyA.value - 47.5) < 1e-12 && buyA.cost === 5);
  assert.ok(Math.abs(buyB.amount - 42.5 / 20) < 1e-12 && buyB.cost === 5);
  assert.ok(Math.abs(res.days[1].costPaid - 10) < 1e-12);
  assert.ok(Math.abs(res.days[1].cash - 0) < 1e-12);

  const gap = Float64Array.from(close);
  gap[1 * 3 + 1] = NaN; // B does not trade on day 1
  const r2 = topkDropoutBacktest({ ...market, close: gap }, signal, 0, 2, opts);
  assert.deepEqual(
    r2.days[1].holdings.map((h) => h.stock),
    [0],
  ); // only A bought; B's half of the budget stays in cash
  assert.ok(Math.abs(r2.days[1].cash - (10000 - 4750 - 4.75)) < 1e-9);
});

test('TopkDropout: limit threshold and only_tradable', () => {
  // day 1: A is up 10% (10 -> 11), B flat, C flat. With a 5% limit A cannot be bought.
  const limited = topkDropoutBacktest(market, signal, 0, 2, { ...opts, limitThreshold: 0.05 });
  assert.deepEqual(
    limited.days[1].trades.map((t) => `${t.side} ${market.symbols[t.stock]}`),
    ['buy B'],
  ); // Qlib keeps A in the buy list and skips it: B gets half the budget, the rest stays cash
  assert.ok(Math.abs(limited.days[1].trades[0].value - 4750) < 1e-9);
  // only_tradable: untradable A is passed over when picking, so B and C are bought, each with half
  const picked = topkDropoutBacktest(market, signal, 0, 2, { ...opts, limitThreshold: 0.05, onlyTradable: true });
  assert.deepEqual(
    picked.days[1].trades.map((t) => market.symbols[t.stock]),
    ['B', 'C'],
  );
});

test('long-short deciles with a holding period, by hand', () => {
  const days = longShortBacktest(market, signal, 0, 10, { quantile: 0.34, holdingPeriod: 3, openCost: 0.001, closeCost: 0.002 });
  const r = (x: number[], d: number) => x[d] / x[d - 1] - 1;
  assert.deepEqual(
    days.map((d) => d.rebalanced),
    [false, true, false, false, true, false, false, true, false, false],
  );
  // day 1: legs built (long A, short C): cost buy 1 + sell 1 legs
  assert.equal(days[1].return, 0);
  assert.ok(Math.abs(days[1].cost - (0.001 + 0.002)) < 1e-15);
  assert.ok(Math.abs(days[2].return - (r(closeA, 2) - r(closeC, 2))) < 1e-15);
  assert.ok(Math.abs(days[3].return - (r(closeA, 3) - r(closeC, 3))) < 1e-15);
  // day 4: earns the old legs, then flips to long C / short A: four trades
  assert.ok(Math.abs(days[4].return - (r(closeA, 4) - r(closeC, 4))) < 1e-15);
  assert.ok(Math.abs(days[4].cost - 2 * (0.001 + 0.002)) < 1e-15);
  assert.equal(days[4].turnover, 1);
  for (const d of [5, 6, 7, 8, 9]) assert.ok(Math.abs(days[d].return - (r(closeC, d) - r(closeA, d))) < 1e-15);
  // day 7: same legs again (B has no score): no cost
  assert.equal(days[7].cost, 0);
});

test('risk analysis (Qlib sum mode), equal-weight and CSV benchmarks', () => {
  const r = [0.01, -0.02, 0.03, -0.01];
  const s = riskAnalysis(r);
  const mean = 0.01 / 4;
  const std = Math.sqrt(r.reduce((a, v) => a + (v - mean) ** 2, 0) / 3);
  assert.ok(Math.abs(s.annualized_return - mean * 252) < 1e-15);
  assert.ok(Math.abs(s.information_ratio - (mean / std) * Math.sqrt(252)) < 1e-12);
  // cumsum 0.01, -0.01, 0.02, 0.01: worst drop from a peak is -0.02
  assert.ok(Math.abs(s.max_drawdown - -0.02) < 1e-15);

  const ew = equalWeightReturns(market);
  assert.equal(ew[0], 0);
  assert.ok(Math.abs(ew[2] - (r2(closeA, 2) + r2(closeB, 2) + r2(closeC, 2)) / 3) < 1e-15);

  const dir = mkdtempSync(join(tmpdir(), 'bt-'));
  const csv = join(dir, 'index.csv');
  writeFileSync(csv, 'date,open,high,low,close,volume\n2019-12-31,1,1,1,100,1\n' + dates.map((d, i) => `${d},1,1,1,${100 + i},1`).join('\n') + '\n');
  const b = benchmarkFromCsv(csv, dates);
  assert.ok(Math.abs(b.returns[0] - 0) < 1e-15);
  assert.ok(Math.abs(b.returns[3] - (103 / 102 - 1)) < 1e-15);

  // whole run: summary numbers agree with the daily records, and the files are written
  const out = runBacktest(market, signal, 0, 10, b, opts, { quantile: 0.34, holdingPeriod: 3 });
  const excess = out.topk.map((d, i) => d.return - b.returns[i] - d.cost);
  assert.ok(Math.abs(out.summary.excess_return_with_cost.annualized_return - riskAnalysis(excess).annualized_return) < 1e-15);
  assert.ok(Math.abs(out.summary.final_value - out.topk[9].value) < 1e-9);
  writeBacktest(dir, out, { topk: 2 });
  const json = JSON.parse(readFileSync(join(dir, 'backtest.json'), 'utf8'));
  assert.equal(json.summary.days, 10);
  assert.equal(json.long_short.rebalances, 3);
  const csvOut = readFileSync(join(dir, 'backtest_daily.csv'), 'utf8').trim().split('\n');
  assert.equal(csvOut.length, 11);
  assert.ok(csvOut[0].startsWith('date,value,cash,return,cost,turnover,bench'));
});

function r2(x: number[], d: number): number {
  return x[d] / x[d - 1] - 1;
}

test('TopkDropout: holdings above topk (a sell that failed) come back down, as Qlib\'s plain slices do', () => {
  // 4 stocks, topk 2, n_drop 1. Day 1 buys A, B; on day 2 B does not trade, so its sell fails while C is bought.
  // Day 3 holds A, B, C: today = candidates[:2 + 1 - 3] = [] (no buy), comb = A, C, B, so B is sold.
  const N = NaN;
  const close = Float64Array.from([10, 10, 10, 10, 10, 10, 10, 10, 10, N, 10, 10, 10, 10, 10, 10, 10, 10, 10, 10]);
  const signal = Float64Array.from([0.9, 0.8, 0.1, 0, 0.9, 0.1, 0.8, 0, 0.9, 0.3, 0.8, 0, 0.9, 0.3, 0.8, 0, 0, 0, 0, 0]);
  const res = topkDropoutBacktest({ dates: ['d0', 'd1', 'd2', 'd3', 'd4'], symbols: ['A', 'B', 'C', 'D'], nDays: 5, nStocks: 4, close }, signal, 1, 5, { topk: 2, nDrop: 1, account: 1e6 });
  const trades = res.days.map((d) => d.trades.map((t) => `${t.side} ${'ABCD'[t.stock]}`).join(', '));
  const held = res.days.map((d) => d.holdings.map((h) => 'ABCD'[h.stock]).join(''));
  assert.deepEqual(trades, ['buy A, buy B', 'buy C', 'sell B', '']);
  assert.deepEqual(held, ['AB', 'ABC', 'AC', 'AC']);
});
