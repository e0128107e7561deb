/**
 * Evaluation of a pool on a window (usually one it was not mined on): every
 * member's IC and RankIC (SPEC §3 definitions of an alpha's IC / RankIC), and
 * the same metrics, with their IRs, for the static combination: the weighted
 * sum of the members' normalized values (SPEC §6).
 */
import type { StockData } from '../data/index.js';
import { evaluateExpr, evaluateTarget, parseExpr, withExprValues } from '../expr/index.js';
import { dailyIC, dailyRankIC, mean, meanNanAsZero, normalizeByDay, RankedTarget, seriesStats } from '../metrics/index.js';
import { UserError } from '../util/errors.js';
import type { PoolFile } from './file.js';
import { combineNormalized } from './linear.js';

export interface PoolMemberEvaluation {
  expr: string;
  weight: number;
  ic: number;
  /** NaN when some day has no valid pair (printed as null in JSON). */
  rank_ic: number;
}

export interface PoolEvaluation {
  members: PoolMemberEvaluation[];
  ensemble: { ic: number; icir: number; rank_ic: number; rank_icir: number };
}

/** Raw values of each expression on the window; an expression that cannot be evaluated there is a UserError. */
export function evaluatePoolMembers(exprs: readonly string[], data: StockData): Float64Array[] {
  return exprs.map((text, i) => evaluateMember(text, i, data));
}

function evaluateMember(text: string, index: number, data: StockData): Float64Array {
  try {
    return evaluateExpr(parseExpr(text), data);
  } catch (err) {
    throw memberError(err, index);
  }
}

/** `use` applied to a member's raw values, lent (see withExprValues); an expression that cannot be evaluated is a UserError. */
function withMemberValues<T>(text: string, index: number, data: StockData, use: (values: Float64Array) => T): T {
  let evaluated = false;
  try {
    return withExprValues(parseExpr(text), data, (values) => {
      evaluated = true;
      return use(values);
    });
  } catch (err) {
    throw evaluated ? err : memberError(err, index);
  }
}

function memberError(err: unknown, index: number): UserError {
  const msg = (err as Error).message.replace(/\s+/g, ' ').trim();
  return new UserError(`pool member ${index + 1} cannot be evaluated: ${msg}${/[.;]$/.test(msg) ? '' : '.'} Remove it from the pool file.`);
}

/**
 * Per-expression results on one window, reusable across calls (the miner
 * scores its pool on the test window at every log, and members change
 * slowly): normalized values, IC and RankIC. Keyed by expression text.
 */
export type PoolMemberCache = Map<string, { normalized: Float64Array; ic: number; rank_ic: number }>;

/**
 * Members in file order: ic = mean daily Pearson of the normalized value and
 * normalized target; rank_ic on raw value and raw target. Ensemble: the
 * weighted sum of normalized members, scored the same way as an alpha (as the
 * miner scores its pool); ICIR and RankICIR are mean / std over days, std with
 * the n-1 divisor. (combine --use-weights scores the same sum as a prediction:
 * raw against the raw target, and its IC_STD guard, so its IC can differ.)
 */
export function evaluatePool(pool: PoolFile, data: StockData, cache?: PoolMemberCache): PoolEvaluation {
  if (pool.exprs.length === 0) throw new UserError('the pool has no expressions; nothing to evaluate.');
  const { nDays, nStocks } = data;
  const target = evaluateTarget(data);
  const targetNormalized = normalizeByDay(target, nDays, nStocks);
  const targetRanked = new RankedTarget(target, nDays, nStocks); // ranked once for every member's RankIC
  const scored = pool.exprs.map((expr, i) => {
    const hit = cache?.get(expr);
    if (hit) return hit;
    const entry = withMemberValues(expr, i, data, (raw) => {
      const normalized = normalizeByDay(raw, nDays, nStocks);
      return {
        normalized,
        ic: meanNanAsZero(dailyIC(normalized, targetNormalized, nDays, nStocks)),
        rank_ic: mean(dailyRankIC(raw, targetRanked, nDays, nStocks)),
      };
    });
    cache?.set(expr, entry);
    return entry;
  });
  if (cache) {
    // Keep only the current members: the cache never outgrows the pool.
    const current = new Set(pool.exprs);
    for (const key of cache.keys()) if (!current.has(key)) cache.delete(key);
  }
  const members = pool.exprs.map((expr, i) => ({ expr, weight: pool.weights[i], ic: scored[i].ic, rank_ic: scored[i].rank_ic }));
  const combined = combineNormalized(
    scored.map((m) => m.normalized),
    pool.weights,
    nDays * nStocks,
  );
  const icDaily = dailyIC(normalizeByDay(combined, nDays, nStocks), targetNormalized, nDays, nStocks);
  const rankDaily = dailyRankIC(combined, targetRanked, nDays, nStocks);
  const ic = seriesStats(icDaily, true);
  const rankIc = mean(rankDaily);
  const rank = seriesStats(rankDaily, true);
  return {
    members,
    ensemble: { ic: ic.mean, icir: ic.ir, rank_ic: rankIc, rank_icir: Number.isNaN(rankIc) ? NaN : rank.ir },
  };
}
