/**
 * The benchmark's daily returns on the backtest days: an index series from a
 * CSV (a `date` and a `close` column, e.g. data/sp500_index_2013_2018.csv), a
 * Qlib instrument (its close.day.bin, e.g. SH000300), or the universe's
 * equal-weight return.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { featureDir, readCalendar, readFeatureBin } from '../data/qlib.js';
import { UserError } from '../util/errors.js';

export interface BenchmarkSeries {
  /** Human-readable source, e.g. "S&P 500 index (data/sp500_index_2013_2018.csv)". */
  name: string;
  /** Daily return per requested date (close over the previous close in the source, minus 1). */
  returns: Float64Array;
}

/** Aligns a dated close series to `dates`: each day's return against the source's previous row. */
function alignReturns(srcDates: readonly string[], close: ArrayLike<number>, dates: readonly string[], what: string): Float64Array {
  const pos = new Map<string, number>();
  srcDates.forEach((d, i) => pos.set(d, i));
  const out = new Float64Array(dates.length);
  const missing: string[] = [];
  dates.forEach((d, k) => {
    const i = pos.get(d);
    if (i === undefined || i === 0) {
      missing.push(d);
      return;
    }
    const r = close[i] / close[i - 1] - 1;
    if (Number.isFinite(r)) out[k] = r;
    else missing.push(d);
  });
  if (missing.length === dates.length) {
    throw new UserError(`${what} has no close for any backtest day (${dates[0]}..${dates[dates.length - 1]}); give a benchmark that covers them, or --benchmark equal.`);
  }
  if (missing.length > 0) {
    process.stderr.write(`alphasage: warning: ${what} lacks ${missing.length} of ${dates.length} backtest days (first ${missing[0]}); their benchmark return is 0.\n`);
  }
  return out;
}

export function benchmarkFromCsv(path: string, dates: readonly string[]): BenchmarkSeries {
  if (!existsSync(path) || !statSync(path).isFile()) {
    throw new UserError(`benchmark file '${path}' ${existsSync(path) ? 'is a folder' : 'does not exist'}; pass a CSV with date and close columns, a Qlib instrument symbol, or 'equal'.`);
  }
  let rows: Record<string, string>[];
  try {
    rows = parse(readFileSync(path, 'utf8'), { columns: (h: string[]) => h.map((c) => c.trim().toLowerCase()), skip_empty_lines: true, trim: true });
  } catch (e) {
    throw new UserError(`benchmark file ${path} is not a readable CSV (${(e as Error).message}); fix it or pass another --benchmark.`);
  }
  if (rows.length === 0 || !('close' in rows[0]) || !('date' in rows[0])) {
    throw new UserError(`benchmark file ${path} needs a header with 'date' and 'close' columns; add them or pass another --benchmark.`);
  }
  const parsed = rows
    .map((r) => ({ date: r.date.slice(0, 10), close: Number(r.close) }))
    .sort((a, b) => (a.date < b.date ? -1 : a.date > b.date ? 1 : 0));
  return {
    name: path,
    returns: alignReturns(
      parsed.map((r) => r.date),
      parsed.map((r) => (r.close > 0 ? r.close : NaN)),
      dates,
      `benchmark ${path}`,
    ),
  };
}

export function benchmarkFromQlib(qlibDir: string, symbol: string, dates: readonly string[]): BenchmarkSeries {
  const dir = featureDir(qlibDir, symbol);
  const bin = dir ? readFeatureBin(join(dir, 'close.day.bin')) : undefined;
  if (!bin) {
    throw new UserError(`benchmark '${symbol}' is neither a file nor an instrument with close.day.bin under ${join(qlibDir, 'features')}; pass a CSV, a Qlib instrument, or 'equal'.`);
  }
  const calendar = readCalendar(qlibDir);
  const srcDates = calendar.slice(bin.start, bin.start + bin.values.length);
  return { name: `${symbol.toUpperCase()} (Qlib instrument)`, returns: alignReturns(srcDates, bin.values, dates, `benchmark ${symbol}`) };
}
