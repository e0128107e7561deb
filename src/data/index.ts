/** Data layer: Qlib reader/writer, CSV import, StockData loader, bundled set and splits. */
export * from './types.js';
export * from './qlib.js';
export * from './importCsv.js';
export * from './stockData.js';
export * from './bundled.js';
export * from './splits.js';
