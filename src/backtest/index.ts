/** Backtests of a saved prediction: Qlib TopkDropout, long-short deciles, benchmarks, risk analysis. */
export * from './market.js';
export * from './topkDropout.js';
export * from './longShort.js';
export * from './risk.js';
export * from './benchmark.js';
export * from './run.js';
