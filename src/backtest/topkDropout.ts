/**
 * Qlib's TopkDropoutStrategy (method_sell 'bottom', method_buy 'top') with its
 * exchange and account rules, on daily bars:
 *  - the signal used on day t is the prediction of day t-1 (Qlib shifts it by one step);
 *  - last  = held stocks sorted by score (descending, no score last);
 *    today = the first n_drop + topk - |last| stocks not held, by score (a Python slice;
 *            with only_tradable, Qlib's loop over tradable ones, which takes at least one);
 *    comb  = last U today sorted by score;
 *    sell  = the held stocks among the n_drop lowest of comb;
 *    buy   = today[: |sell| + topk - |last|] (Python slicing);
 *  - sells first (skipped when not tradable or held fewer than hold_thresh days),
 *    each at the deal price, cost max(value x close_cost, min_cost);
 *  - then each buy gets cash x risk_degree / |buy| at the deal price, cost
 *    max(value x open_cost, min_cost), reduced when cash is short (Qlib's cash limit);
 *  - positions are marked at the close (the last close when a stock does not trade).
 * Daily records follow Qlib's portfolio metrics: return = (V_t - V_{t-1} + cost_t) / V_{t-1}
 * (before cost), cost = cost_t / V_{t-1}, turnover = traded value_t / V_{t-1}.
 */
import type { Market } from './market.js';

export interface TopkDropoutOptions {
  topk: number;
  nDrop: number;
  /** Deal at the close (default) or the open of the trading day. */
  dealPrice: 'close' | 'open';
  openCost: number;
  closeCost: number;
  minCost: number;
  /** Initial cash. */
  account: number;
  /** Share of cash spent on buys (Qlib 0.95). */
  riskDegree: number;
  /** Minimum days held before a stock may be sold (Qlib 1). */
  holdThresh: number;
  /** Only tradable stocks count when picking the n best / n worst (Qlib only_tradable). */
  onlyTradable: boolean;
  /** Shares are rounded down to multiples of this; 0 = fractional shares. */
  tradeUnit: number;
  /** A stock whose close-to-close change reaches +x cannot be bought, -x cannot be sold; null = no limit. */
  limitThreshold: number | null;
}

export const TOPK_DEFAULTS: TopkDropoutOptions = {
  topk: 50,
  nDrop: 5,
  dealPrice: 'close',
  openCost: 0.0005,
  closeCost: 0.0015,
  minCost: 5,
  account: 1e8,
  riskDegree: 0.95,
  holdThresh: 1,
  onlyTradable: false,
  tradeUnit: 0,
  limitThreshold: null,
};

export interface Holding {
  stock: number;
  amount: number;
}

export interface Trade {
  stock: number;
  side: 'buy' | 'sell';
  amount: number;
  price: number;
  value: number;
  cost: number;
}

export interface TopkDay {
  date: string;
  /** Account value at the close. */
  value: number;
  cash: number;
  /** Return before cost, cost and turnover, each relative to the previous close's account value. */
  return: number;
  cost: number;
  turnover: number;
  /** Cost paid that day, in currency. */
  costPaid: number;
  holdings: Holding[];
  trades: Trade[];
}

export interface TopkResult {
  days: TopkDay[];
  totalCost: number;
  totalTurnover: number;
}

/**
 * @param signal row-major [market.nDays][nStocks]: the prediction made at the close of each day (NaN = none)
 * @param from first trading day (market row), to: one past the last
 */
export function topkDropoutBacktest(market: Market, signal: Float64Array, from: number, to: number, options: Partial<TopkDropoutOptions> = {}): TopkResult {
  const o: TopkDropoutOptions = { ...TOPK_DEFAULTS, ...options };
  const { nStocks } = market;
  if (o.dealPrice === 'open' && !market.open) throw new Error('topkDropoutBacktest: dealing at the open needs open prices');
  const amount = new Float64Array(nStocks); // shares held
  const held = new Uint8Array(nStocks);
  const count = new Int32Array(nStocks); // days held (incremented at each day's end)
  const mark = new Float64Array(nStocks).fill(NaN); // last close seen
  let cash = o.account;
  let lastValue = o.account;
  const days: TopkDay[] = [];
  let totalCost = 0;
  let totalTurnover = 0;

  // the marks before the first day: the previous close (so day `from` earns nothing on an empty book anyway)
  if (from > 0) for (let s = 0; s < nStocks; s++) mark[s] = market.close[(from - 1) * nStocks + s];

  for (let d = from; d < to; d++) {
    const row = d * nStocks;
    const prices = o.dealPrice === 'close' ? market.close : (market.open as Float64Array);
    const change = (s: number) => (d > 0 ? market.close[row + s] / market.close[row - nStocks + s] - 1 : 0);
    const priceOk = (s: number) => {
      const p = prices[row + s];
      return Number.isFinite(p) && p > 0;
    };
    const canBuy = (s: number) => priceOk(s) && (o.limitThreshold === null || !(change(s) >= o.limitThreshold));
    const canSell = (s: number) => priceOk(s) && (o.limitThreshold === null || !(change(s) <= -o.limitThreshold));
    const tradable = (s: number) => canBuy(s) && canSell(s);

    const trades: Trade[] = [];
    let dayCost = 0;
    let dayTurnover = 0;
    const sigRow = d - 1;
    if (sigRow >= 0) {
      const score = (s: number) => signal[sigRow * nStocks + s];
      const byScore = (a: number, b: number) => {
        const x = score(a);
        const y = score(b);
        const xn = x !== x;
        const yn = y !== y;
        if (xn || yn) return xn && yn ? a - b : xn ? 1 : -1; // no score sorts last
        return y - x || a - b;
      };
      const heldList: number[] = [];
      for (let s = 0; s < nStocks; s++) if (held[s]) heldList.push(s);
      const last = heldList.sort(byScore);
      const candidates: number[] = [];
      for (let s = 0; s < nStocks; s++) if (!held[s] && score(s) === score(s)) candidates.push(s);
      candidates.sort(byScore);
      const pickable = (s: number) => !o.onlyTradable || tradable(s);
      // Qlib's two get_first_n / get_last_n: with only_tradable a loop over tradable stocks, else plain slices.
      const today = o.onlyTradable ? firstN(candidates, o.nDrop + o.topk - last.length, pickable) : pySlice(candidates, o.nDrop + o.topk - last.length);
      const comb = [...last, ...today].sort(byScore);
      const worst = new Set(o.onlyTradable ? lastN(comb, o.nDrop, pickable) : pyTail(comb, o.nDrop));
      const sell = last.filter((s) => worst.has(s));
      const buy = pySlice(today, sell.length + o.topk - last.length);

      const sellSet = new Set(sell);
      for (const s of last) {
        if (!canSell(s) || !sellSet.has(s) || count[s] < o.holdThresh) continue;
        const price = prices[row + s];
        const value = amount[s] * price;
        const cost = value > 0 ? Math.max(value * o.closeCost, o.minCost) : 0;
        cash += value - cost;
        trades.push({ stock: s, side: 'sell', amount: amount[s], price, value, cost });
        dayCost += cost;
        dayTurnover += value;
        amount[s] = 0;
        held[s] = 0;
        count[s] = 0;
      }
      const budget = buy.length > 0 ? (cash * o.riskDegree) / buy.length : 0;
      for (const s of buy) {
        if (!canBuy(s)) continue;
        const price = prices[row + s];
        let shares = roundToUnit(budget / price, o.tradeUnit);
        let value = shares * price;
        let cost = value > 0 ? Math.max(value * o.openCost, o.minCost) : 0;
        if (cash < value + cost) {
          shares = roundToUnit(buyAmountByCashLimit(price, cash, o.openCost, o.minCost), o.tradeUnit);
          value = shares * price;
          cost = value > 0 ? Math.max(value * o.openCost, o.minCost) : 0;
        }
        if (!(shares > 0)) continue;
        cash -= value + cost;
        amount[s] = shares;
        held[s] = 1;
        count[s] = 0;
        trades.push({ stock: s, side: 'buy', amount: shares, price, value, cost });
        dayCost += cost;
        dayTurnover += value;
      }
    }

    // close: mark to market, count the day
    let value = cash;
    const holdings: Holding[] = [];
    for (let s = 0; s < nStocks; s++) {
      const c = market.close[row + s];
      if (Number.isFinite(c) && c > 0) mark[s] = c;
      if (!held[s]) continue;
      const m = Number.isFinite(mark[s]) ? mark[s] : prices[row + s];
      value += amount[s] * m;
      count[s]++;
      holdings.push({ stock: s, amount: amount[s] });
    }
    days.push({
      date: market.dates[d],
      value,
      cash,
      return: (value - lastValue + dayCost) / lastValue,
      cost: dayCost / lastValue,
      turnover: dayTurnover / lastValue,
      costPaid: dayCost,
      holdings,
      trades,
    });
    totalCost += dayCost;
    totalTurnover += dayTurnover;
    lastValue = value;
  }
  return { days, totalCost, totalTurnover };
}

/** Qlib's get_first_n: walk the list, keep eligible items until n are kept (at least one when any is eligible). */
function firstN(list: readonly number[], n: number, eligible: (s: number) => boolean): number[] {
  const out: number[] = [];
  for (const s of list) {
    if (!eligible(s)) continue;
    out.push(s);
    if (out.length >= n) break;
  }
  return out;
}

/** Qlib's get_last_n: the same from the end, returned in list order. */
function lastN(list: readonly number[], n: number, eligible: (s: number) => boolean): number[] {
  return firstN([...list].reverse(), n, eligible).reverse();
}

/** Python's list[-k:] (k = 0: the whole list; a negative k drops |k| items from the start). */
function pyTail<T>(list: readonly T[], k: number): T[] {
  return k > 0 ? list.slice(Math.max(0, list.length - k)) : list.slice(Math.min(list.length, -k));
}

/** Python's list[:k] (a negative k drops items from the end). */
function pySlice<T>(list: readonly T[], k: number): T[] {
  return k >= 0 ? list.slice(0, k) : list.slice(0, Math.max(0, list.length + k));
}

function roundToUnit(shares: number, unit: number): number {
  if (!(shares > 0)) return 0;
  if (unit <= 0) return shares;
  return Math.floor((shares + 0.1) / unit) * unit; // Qlib's round_amount_by_trade_unit with factor 1
}

/** Qlib's _get_buy_amount_by_cash_limit: the most shares the cash pays for, costs included. */
function buyAmountByCashLimit(price: number, cash: number, costRatio: number, minCost: number): number {
  if (cash < minCost) return 0;
  const critical = minCost / costRatio + minCost;
  return cash >= critical ? cash / (1 + costRatio) / price : (cash - minCost) / price;
}
