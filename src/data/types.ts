/** The six price/volume fields, in the tensor's feature order (SPEC §1.2). */
export const FEATURES = ['open', 'close', 'high', 'low', 'volume', 'vwap'] as const;
export type FeatureName = (typeof FEATURES)[number];

/**
 * A loaded window of a universe: `[paddedDays][feature][stock]`, float64.
 * Day index `backtrack` is the first day of `[start, end]`; `nDays` days follow,
 * then up to `future` days of padding.
 */
export interface StockData {
  /** Row-major `[paddedDays][FEATURES.length][nStocks]`, NaN outside membership or when missing. */
  readonly values: Float64Array;
  /** Every padded day, `YYYY-MM-DD`. */
  readonly dates: readonly string[];
  /** Sorted upper-case symbols (the columns). */
  readonly symbols: readonly string[];
  /** Days in `[start, end]` only. */
  readonly nDays: number;
  readonly nStocks: number;
  /** Padding days before `start` (max_backtrack_days). */
  readonly backtrack: number;
  /** Padding days after `end` (max_future_days). */
  readonly future: number;
  /** Total rows: backtrack + nDays + future. */
  readonly paddedDays: number;
  /**
   * Index of padded row 0 in the data folder's calendar (0 when unknown). The window-sum kernels align
   * their blocks to it, so a day's value has the same bits whatever window of the folder was loaded.
   */
  readonly calendarOffset?: number;
}

/** A membership span of one symbol in a universe file, inclusive dates. */
export interface Span {
  readonly start: string;
  readonly end: string;
}
