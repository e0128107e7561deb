/**
 * alphasage as a library: the stages the CLI (src/cli) is built from, for
 * scripts and notebooks. Load Qlib-format data, parse and evaluate
 * expressions (values are row-major Float64Array [days][stocks]), score them
 * as SPEC §3 does, and read, write, evaluate or grow alpha pools.
 *
 *   const data = loadStockData({ qlibDir: await bundledQlibDir(), ...SPLITS.train });
 *   const values = evaluateExpr('TsCorr($close,$volume,20)', data);
 *   const ic = alphaIC(values, evaluateTarget(data), data.nDays, data.nStocks);
 */
export { bundledQlibDir, FEATURES, importCsv, loadStockData, resolveQlibDir, SPLITS, type DateWindow, type StockData } from './data/index.js';
export { evaluateExpr, evaluateTarget, OPERATORS, operatorReference, parseExpr, printExpr, withExprValues, type Expr, type OperatorInfo } from './expr/index.js';
export { alphaIC, alphaRankIC, dailyIC, dailyRankIC, normalizeByDay, RankedTarget, topQuantileReturn } from './metrics/index.js';
export { evaluatePool, GfnPool, LinearPool, readPoolFile, writePoolFile, type PoolEvaluation, type PoolFile } from './pool/index.js';
