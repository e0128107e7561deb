/** The prices a backtest trades on: consecutive trading days x stocks. */
export interface Market {
  /** Trading days, ascending (consecutive in the calendar). */
  readonly dates: readonly string[];
  readonly symbols: readonly string[];
  readonly nDays: number;
  readonly nStocks: number;
  /** Row-major [nDays][nStocks]; NaN when the stock does not trade that day. */
  readonly close: Float64Array;
  /** Row-major [nDays][nStocks]; only needed to deal at the open. */
  readonly open?: Float64Array;
}

/** Daily close-to-close return of stock s on day d (NaN when either close is missing). */
export function dayReturn(m: Market, d: number, s: number): number {
  if (d <= 0) return NaN;
  const a = m.close[(d - 1) * m.nStocks + s];
  const b = m.close[d * m.nStocks + s];
  return b / a - 1;
}

/** Equal-weight return of the universe per day: mean daily return over stocks with both closes (0 on day 0). */
export function equalWeightReturns(m: Market): Float64Array {
  const out = new Float64Array(m.nDays);
  for (let d = 1; d < m.nDays; d++) {
    let n = 0;
    let sum = 0;
    for (let s = 0; s < m.nStocks; s++) {
      const r = dayReturn(m, d, s);
      if (Number.isFinite(r)) {
        n++;
        sum += r;
      }
    }
    out[d] = n > 0 ? sum / n : 0;
  }
  return out;
}
