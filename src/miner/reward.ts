/**
 * The miner's reward (SPEC §5): R = ic + λ_ssl·consistency + λ_nov·novelty
 * from the GFN pool's answer, floored at e^-10; 0 for an invalid or
 * out-of-range expression. The loss uses log(max(R, e^-10)), so an invalid
 * expression costs log R = -10 rather than -infinity.
 */
import type { StockData } from '../data/types.js';
import type { Expr } from '../expr/ast.js';
import { isOutOfRangeError, withExprValues } from '../expr/evaluate.js';
import { printExpr } from '../expr/text.js';
import type { GfnPool, GfnTryResult } from '../pool/gfn.js';
import { builderOf } from './env.js';
import type { RewardWeights } from './schedule.js';

export const REWARD_FLOOR = Math.exp(-10);
export const LOG_REWARD_FLOOR = -10;

export type EpisodeStatus = 'valid' | 'invalid' | 'out-of-range';

export interface EpisodeReward {
  status: EpisodeStatus;
  /** Printed expression ('' when the tokens do not form one). */
  expr: string;
  reward: number;
  /** log(max(reward, e^-10)), what trajectory balance sees. */
  logReward: number;
  ic: number;
  novelty: number;
  consistency: number;
  admitted: boolean;
}

export function combineReward(parts: { ic: number; consistency: number; novelty: number }, weights: RewardWeights): number {
  const r = parts.ic + weights.ssl * parts.consistency + weights.novelty * parts.novelty;
  return Number.isFinite(r) ? Math.max(r, REWARD_FLOOR) : REWARD_FLOOR;
}

const noReward = (status: EpisodeStatus, expr: string): EpisodeReward => ({ status, expr, reward: 0, logReward: LOG_REWARD_FLOOR, ic: 0, novelty: 0, consistency: 0, admitted: false });

/** Where the reward's time goes. */
export interface RewardTiming {
  /** ms evaluating expressions. */
  evaluateMs: number;
  /** ms in the pool (normalisation, IC, mutual ICs, admission, consistency). */
  poolMs: number;
}

/** An episode evaluated ahead of its reward: its candidate staged in the pool (`handle`), or why not. */
export interface StagedEpisode {
  status: EpisodeStatus;
  expr: string;
  /** The pool's handle of the staged candidate (status 'valid'). */
  handle: number;
}

/**
 * An episode's reward comes in two steps, so a window of episodes shares one
 * pass over the pool's members: `stageEpisode` evaluates the expression and
 * stages its normalized values in the pool; after the window is staged and
 * `pool.prepareStaged()` has run, `rewardStaged` tries each, in order (the
 * same results as trying them one by one as they come).
 */
export function stageEpisode(tokens: readonly number[], pool: GfnPool, data: StockData, timing?: RewardTiming): StagedEpisode {
  const builder = builderOf(tokens);
  if (!builder.isValid()) return { status: 'invalid', expr: '', handle: -1 };
  const expr: Expr = builder.build();
  const text = printExpr(expr);
  const t0 = performance.now();
  let t1 = NaN; // when the pool got the values
  try {
    const handle = withExprValues(expr, data, (values) => {
      t1 = performance.now();
      return pool.stage(values);
    });
    return { status: 'valid', expr: text, handle };
  } catch (e) {
    if (isOutOfRangeError(e)) return { status: 'out-of-range', expr: text, handle: -1 };
    throw e;
  } finally {
    if (timing) {
      const t2 = performance.now();
      const split = Number.isNaN(t1) ? t2 : t1;
      timing.evaluateMs += split - t0;
      timing.poolMs += t2 - split;
    }
  }
}

/** The reward of a staged episode (see `stageEpisode`). */
export function rewardStaged(staged: StagedEpisode, embedding: Float32Array, pool: GfnPool, weights: RewardWeights, timing?: RewardTiming): EpisodeReward {
  if (staged.status !== 'valid') return noReward(staged.status, staged.expr);
  const t0 = performance.now();
  const res = pool.tryStaged(staged.handle, staged.expr, embedding);
  if (timing) timing.poolMs += performance.now() - t0;
  const reward = combineReward(res, weights);
  return { status: 'valid', expr: staged.expr, reward, logReward: Math.log(reward), ic: res.ic, novelty: res.novelty, consistency: res.consistency, admitted: res.admitted };
}
