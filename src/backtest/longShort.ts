/**
 * A long-short portfolio of the top and bottom deciles (by default) of the
 * signal, rebalanced every `holdingPeriod` days: long the top quantile, short
 * the bottom one, one unit of capital on each leg, equal weights within a leg
 * (reset daily: the leg earns the mean daily return of its names). As in the
 * TopkDropout backtest, the signal of day t-1 is traded at the close of day t.
 * Costs at a rebalance: each name entering or leaving a leg trades 1/n of that
 * leg's unit, buys at open_cost and sells at close_cost (a short is opened by a
 * sale and closed by a purchase); the first rebalance builds both legs.
 */
import { dayReturn, type Market } from './market.js';

export interface LongShortOptions {
  /** Share of the valid stocks in each leg (0.1 = deciles). */
  quantile: number;
  /** Days between rebalances. */
  holdingPeriod: number;
  openCost: number;
  closeCost: number;
}

export const LONG_SHORT_DEFAULTS: LongShortOptions = { quantile: 0.1, holdingPeriod: 20, openCost: 0.0005, closeCost: 0.0015 };

export interface LongShortDay {
  date: string;
  /** Mean daily return of the long leg and of the short leg's names. */
  long: number;
  short: number;
  /** long - short, before cost. */
  return: number;
  /** Cost as a share of one leg's capital. */
  cost: number;
  /** Share of each leg's names replaced today (0 except on rebalance days). */
  turnover: number;
  rebalanced: boolean;
}

export function longShortBacktest(market: Market, signal: Float64Array, from: number, to: number, options: Partial<LongShortOptions> = {}): LongShortDay[] {
  const o: LongShortOptions = { ...LONG_SHORT_DEFAULTS, ...options };
  const { nStocks } = market;
  let longLeg: number[] = [];
  let shortLeg: number[] = [];
  const out: LongShortDay[] = [];
  let sinceRebalance = Infinity;
  for (let d = from; d < to; d++) {
    // returns of the legs held since yesterday's close
    const legReturn = (leg: number[]) => {
      if (leg.length === 0) return 0;
      let sum = 0;
      for (const s of leg) {
        const r = dayReturn(market, d, s);
        sum += Number.isFinite(r) ? r : 0;
      }
      return sum / leg.length;
    };
    const long = legReturn(longLeg);
    const short = legReturn(shortLeg);
    let cost = 0;
    let turnover = 0;
    let rebalanced = false;
    if (sinceRebalance >= o.holdingPeriod && d >= 1) {
      const sig = signal.subarray((d - 1) * nStocks, d * nStocks);
      const valid: number[] = [];
      for (let s = 0; s < nStocks; s++) {
        const c = market.close[d * nStocks + s];
        if (sig[s] === sig[s] && Number.isFinite(c) && c > 0) valid.push(s);
      }
      if (valid.length >= 2) {
        valid.sort((a, b) => sig[b] - sig[a] || a - b);
        const n = Math.max(1, Math.floor(valid.length * o.quantile));
        const newLong = valid.slice(0, n);
        const newShort = valid.slice(valid.length - n);
        const changed = (prev: number[], next: number[]) => {
          const p = new Set(prev);
          const q = new Set(next);
          return { entering: next.filter((s) => !p.has(s)).length, leaving: prev.filter((s) => !q.has(s)).length };
        };
        const l = changed(longLeg, newLong);
        const sh = changed(shortLeg, newShort);
        const prevL = Math.max(longLeg.length, 1);
        const prevS = Math.max(shortLeg.length, 1);
        cost =
          (l.entering / n) * o.openCost +
          (l.leaving / prevL) * o.closeCost +
          (sh.entering / n) * o.closeCost +
          (sh.leaving / prevS) * o.openCost;
        turnover = (l.entering / n + sh.entering / n) / 2;
        longLeg = newLong;
        shortLeg = newShort;
        rebalanced = true;
        sinceRebalance = 0;
      }
    }
    sinceRebalance++;
    out.push({ date: market.dates[d], long, short, return: long - short, cost, turnover, rebalanced });
  }
  return out;
}
