/** Alpha pools (SPEC §4): the AlphaGen linear pool, the AlphaSAGE GFN pool, pool files and pool evaluation. */
export { type PoolFile, type PoolWindow, readPoolFile, writePoolFile, parsePoolJson, validatePoolJson, formatPoolJson } from './file.js';
export { GfnPool, type GfnPoolOptions, type GfnTryResult, type GfnMember } from './gfn.js';
export { LinearPool, type LinearPoolOptions, type LinearTryResult, type LinearMember, type WeightSolver, combineNormalized } from './linear.js';
export { evaluatePool, evaluatePoolMembers, type PoolEvaluation, type PoolMemberEvaluation } from './evaluate.js';
export { consistencyReward, consistencyNeighbours, embeddingDistance, meanSquaredDifference, meanSquaredDifferences, type ConsistencyMember, type ConsistencyOptions } from './consistency.js';
export { normalizeAlpha, fromNormalizedValues, meanDailyIC, type NormalizedAlpha } from './normalized.js';
export { adamWeights, leastSquaresWeights, exactL1Weights, poolObjective, l1OptimalityGap, DEFAULT_L1, type AdamOptions, type AdamResult } from './weights.js';
