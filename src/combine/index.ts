/** Combination of a pool's alphas into one prediction (SPEC §6): adaptive (AlphaForge style) and static. */
export * from './adaptive.js';
export * from './dailyIc.js';
export * from './gram.js';
export * from './solve.js';
export * from './static.js';
export * from './metrics.js';
export * from './predFile.js';
export * from './run.js';
