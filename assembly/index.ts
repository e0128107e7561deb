/**
 * The engine's hottest kernels, in AssemblyScript, compiled to WebAssembly by
 * `npm run build:wasm` into src/expr/wasm/kernels.wasm (committed; a test
 * checks the binary matches these sources). The host side is
 * src/expr/wasm/index.ts: it copies the inputs into this module's memory,
 * calls a kernel with byte offsets and copies the result out.
 *
 * Each kernel was ported line for line from a TypeScript kernel (same
 * algorithm, same operations in the same order: the same bits; checked on the
 * bundled data), then given a SIMD path (two stocks per f64x2 step) whose
 * lanes do the scalar operations in the scalar order, so the bits stay the
 * same. Matrices are row-major [rows][nS] f64; `p*` arguments are byte offsets.
 * A kernel taking working memory (pScratch) exports, next to it, the number of
 * bytes it needs (`<kernel>Scratch`), so its layout is stated in one place.
 *
 * Two code-generation facts, seen in instruction-level profiles (README, Speed):
 * - A kernel with modes (binary, extremes, sumFamily, centralFamily,
 *   weightedAverage, pairMoments) dispatches to one small function per mode,
 *   each inlining the generic body with its mode as a constant, so the mode's
 *   branches fold away. Inlined copies side by side in one function are not
 *   enough: binaryen folds their identical code back into one loop that tests
 *   the mode per cell.
 * - V8 computes a pure expression of the arguments (1 / w) inside the loop that
 *   uses it, even when written before the loop: such values go through `pin`
 *   (memory.ts).
 */

export { rankRows, rankRowsScratch, dailyRankIC, dailyRankICRanked, dailyRankICScratch, rankDays, rankDaysScratch } from './sort';
export { tsRank, extremes, extremesScratch, tsMed, tsMedScratch } from './rolling';
export { sumFamily, sumFamilyScratch, centralFamily, centralFamilyScratch, weightedAverage, weightedAverageScratch, pairMoments, pairMomentsScratch } from './windowSums';
export { powCells, powCellsScratch } from './pow';
export { unary, binary } from './elementwise';
export { normalizeByDay, dailyIC, dailyNormalizedIC, dailyNormalizedICScratch } from './metrics';
export { dayDots, dayDots4, dayDotsBatch, normalizeDays, meanSquaredDifference4 } from './pool';
export { dayGram } from './gram';
