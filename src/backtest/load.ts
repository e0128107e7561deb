/**
 * The market a saved prediction trades on: closes (and opens) of the
 * prediction's universe from the day before a segment's first day to its last,
 * and the prediction realigned to those days and stocks (by date and symbol).
 */
import { loadStockData } from '../data/stockData.js';
import type { SavedPrediction } from '../combine/predFile.js';
import type { Market } from './market.js';

export interface AlignedMarket {
  market: Market;
  /** Row-major [market.nDays][market.nStocks]; NaN where the prediction has no value. */
  signal: Float64Array;
  /** Market row of the segment's first day (row 0 is the day before it). */
  from: number;
  /** How many of the prediction's stocks the market has (a Qlib folder other than the prediction's may lack some). */
  matchedStocks: number;
}

export function loadMarketForPrediction(qlibDir: string, pred: SavedPrediction, firstRow: number, endRow: number): AlignedMarket {
  const { meta, values } = pred;
  const data = loadStockData({
    qlibDir,
    universe: meta.data.universe,
    universeFile: meta.data.universe_file ?? undefined,
    start: meta.dates[firstRow],
    end: meta.dates[endRow - 1],
    backtrack: 1,
    future: 0,
  });
  const nDays = data.paddedDays;
  const nStocks = data.nStocks;
  const close = new Float64Array(nDays * nStocks);
  const open = new Float64Array(nDays * nStocks);
  for (let d = 0; d < nDays; d++) {
    for (let s = 0; s < nStocks; s++) {
      open[d * nStocks + s] = data.values[(d * 6 + 0) * nStocks + s];
      close[d * nStocks + s] = data.values[(d * 6 + 1) * nStocks + s];
    }
  }
  const predCol = new Map<string, number>();
  meta.symbols.forEach((sym, i) => predCol.set(sym.toUpperCase(), i));
  const predRow = new Map<string, number>();
  meta.dates.forEach((d, i) => predRow.set(d, i));
  const signal = new Float64Array(nDays * nStocks).fill(NaN);
  const nPredStocks = meta.shape[1];
  for (let d = 0; d < nDays; d++) {
    const r = predRow.get(data.dates[d]);
    if (r === undefined) continue;
    for (let s = 0; s < nStocks; s++) {
      const c = predCol.get(data.symbols[s]);
      if (c !== undefined) signal[d * nStocks + s] = values[r * nPredStocks + c];
    }
  }
  return {
    market: { dates: data.dates, symbols: data.symbols, nDays, nStocks, close, open },
    signal,
    from: data.backtrack,
    matchedStocks: data.symbols.filter((s) => predCol.has(s)).length,
  };
}
