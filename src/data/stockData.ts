/**
 * StockData loader (SPEC §1.2): universe + [start, end] -> a padded
 * [days][feature][stock] float64 tensor; NaN outside membership spans.
 */
import { join } from 'node:path';
import { UserError } from '../util/errors.js';
import { featureDir, readCalendar, readFeatureBin, readUniverse, readUniverseFile } from './qlib.js';
import { FEATURES, type Span, type StockData } from './types.js';

export interface LoadOptions {
  qlibDir: string;
  /** Universe name (instruments/<name>.txt); default 'all'. */
  universe?: string;
  /** A Qlib instruments file instead of a universe name. */
  universeFile?: string;
  start: string;
  end: string;
  /** Padding before start (max_backtrack_days), default 100. */
  backtrack?: number;
  /** Padding after end (max_future_days), default 30. */
  future?: number;
  /** Receives one-line warnings (missing fields or folders); default: stderr, once per message. */
  warn?: (msg: string) => void;
}

const warned = new Set<string>();
function warnOnceToStderr(msg: string): void {
  if (warned.has(msg)) return;
  warned.add(msg);
  process.stderr.write(`alphasage: warning: ${msg}\n`);
}

/** Binary search: first index with cal[i] >= day. */
function lowerBound(cal: readonly string[], day: string): number {
  let lo = 0;
  let hi = cal.length;
  while (lo < hi) {
    const m = (lo + hi) >>> 1;
    if (cal[m] < day) lo = m + 1;
    else hi = m;
  }
  return lo;
}

export function loadStockData(opts: LoadOptions): StockData {
  const backtrack = opts.backtrack ?? 100;
  const future = opts.future ?? 30;
  const warn = opts.warn ?? warnOnceToStderr;
  const calendar = readCalendar(opts.qlibDir);
  if (opts.end < opts.start) throw new UserError(`end ${opts.end} is before start ${opts.start}; swap them.`);
  const first = lowerBound(calendar, opts.start);
  const last = lowerBound(calendar, opts.end + '~') - 1; // last day <= end
  if (first >= calendar.length || last < first) {
    throw new UserError(`no trading day in ${opts.start}..${opts.end}; the calendar covers ${calendar[0]}..${calendar[calendar.length - 1]}.`);
  }
  if (calendar.length <= backtrack + future) {
    throw new UserError(`the calendar of ${opts.qlibDir} has ${calendar.length} days; padding any window needs more than ${backtrack} + ${future}: import a longer history.`);
  }
  if (first - backtrack < 0 || last + future >= calendar.length) {
    const minStart = calendar[backtrack];
    const maxEnd = calendar[calendar.length - 1 - future];
    throw new UserError(
      `the calendar cannot pad ${opts.start}..${opts.end} with ${backtrack} days before and ${future} after; ` +
        `choose a window within ${minStart}..${maxEnd}.`,
    );
  }
  const p0 = first - backtrack;
  const p1 = last + future; // inclusive
  const paddedDays = p1 - p0 + 1;
  const dates = calendar.slice(p0, p1 + 1);

  const members = opts.universeFile ? readUniverseFile(opts.universeFile) : readUniverse(opts.qlibDir, opts.universe ?? 'all');
  const lo = dates[0];
  const hi = dates[dates.length - 1];
  const symbols = Array.from(members.entries())
    .filter(([, spans]) => spans.some((s) => s.start <= hi && s.end >= lo))
    .map(([sym]) => sym)
    .sort();
  if (symbols.length === 0) {
    throw new UserError(`no member of the universe is listed within ${lo}..${hi}; pick another universe or window.`);
  }
  const nStocks = symbols.length;
  const nF = FEATURES.length;
  const values = new Float64Array(paddedDays * nF * nStocks).fill(NaN);

  // Membership mask per stock over the padded days, from the spans.
  const inSpan = new Uint8Array(paddedDays);
  const noFolder: string[] = [];
  for (let s = 0; s < nStocks; s++) {
    const sym = symbols[s];
    inSpan.fill(0);
    for (const span of members.get(sym) as Span[]) {
      const a = Math.max(lowerBound(dates, span.start), 0);
      const b = lowerBound(dates, span.end + '~'); // exclusive
      for (let d = a; d < b; d++) inSpan[d] = 1;
    }
    const dir = featureDir(opts.qlibDir, sym);
    if (!dir) {
      noFolder.push(sym);
      continue;
    }
    for (let f = 0; f < nF; f++) {
      const bin = readFeatureBin(join(dir, `${FEATURES[f]}.day.bin`));
      if (!bin) {
        warn(`no ${FEATURES[f]}.day.bin for some symbols (first: ${sym}): that field is NaN for them.`);
        continue;
      }
      // calendar index c -> padded row c - p0
      const from = Math.max(bin.start, p0);
      const to = Math.min(bin.start + bin.values.length - 1, p1);
      for (let c = from; c <= to; c++) {
        const d = c - p0;
        if (inSpan[d]) values[(d * nF + f) * nStocks + s] = bin.values[c - bin.start];
      }
    }
  }
  if (noFolder.length === nStocks) {
    throw new UserError(`none of the universe's ${nStocks} symbols (first: ${symbols[0]}) has a folder under ${join(opts.qlibDir, 'features')}; check --qlib-dir and the universe.`);
  }
  if (noFolder.length > 0) {
    const some = noFolder.slice(0, 5).join(', ') + (noFolder.length > 5 ? ', ...' : '');
    warn(`${noFolder.length} of the universe's ${nStocks} symbols have no folder under ${join(opts.qlibDir, 'features')} (${some}): their values are NaN.`);
  }
  return { values, dates, symbols, nDays: last - first + 1, nStocks, backtrack, future, paddedDays, calendarOffset: p0 };
}

/** The loaded window's own days (padding excluded), as FIRST..LAST. */
export function daySpan(data: StockData): string {
  return `${data.dates[data.backtrack]}..${data.dates[data.backtrack + data.nDays - 1]}`;
}

/** Value of one feature of one stock on one padded row. */
export function featureAt(data: StockData, row: number, feature: number, stock: number): number {
  return data.values[(row * FEATURES.length + feature) * data.nStocks + stock];
}

/** Cross-sectional metrics (IC, RankIC, normalization by day) need two stocks or more. */
export function requireCrossSection(data: StockData, what: string): void {
  if (data.nStocks < 2) {
    throw new UserError(`${what}: the universe has ${data.nStocks} stock${data.nStocks === 1 ? '' : 's'} in this window, and a cross-sectional IC needs at least 2; give a larger universe.`);
  }
}
