/**
 * The AlphaGen linear pool (SPEC §4): members combined linearly; a newcomer is
 * rejected when some signed mutual IC exceeds 0.99, otherwise admitted, the
 * weights re-fitted, and past capacity the member with the smallest |weight|
 * leaves. The pool's reward is the IC of the weighted combination on its
 * (training) window.
 */
import { MemberStore } from './members.js';
import { meanDailyIC, normalizeAlpha, type NormalizedAlpha } from './normalized.js';
import type { PoolFile } from './file.js';
import { adamWeights, DEFAULT_L1, exactL1Weights, leastSquaresWeights, poolObjective } from './weights.js';

/** How weights are fitted: the AlphaGen Adam procedure, the exact least squares of the quadratic, or the exact L1-penalised optimum. */
export type WeightSolver = 'adam' | 'lstsq' | 'exact-l1';

export interface LinearPoolOptions {
  capacity: number;
  /** Raw target [nDays][nStocks] (NaN allowed). */
  target: Float64Array;
  nDays: number;
  nStocks: number;
  /** Weight solver, default 'adam'. */
  solver?: WeightSolver;
  /** L1 coefficient, default 5e-3 (ignored by 'lstsq'). */
  l1?: number;
  /** Adam learning rate, default 5e-4. */
  lr?: number;
  /** Adam: stop after this many steps without improvement, default 500. */
  patience?: number;
  /** Adam: at most this many steps, default 10,000. */
  maxSteps?: number;
  /** Reject a newcomer whose signed mutual IC with a member exceeds this, default 0.99. */
  duplicateThreshold?: number;
}

export interface LinearTryResult {
  /** The newcomer is in the pool afterwards. */
  admitted: boolean;
  /** 'duplicate': some mutual IC > 0.99; 'evicted': it had the smallest |weight| past capacity; 'nan': its IC is not finite. */
  rejectedBecause?: 'duplicate' | 'evicted' | 'nan';
  /** The member that left to make room, if any. */
  evicted?: string;
  /** Signed IC of the newcomer with the target. */
  ic: number;
  /** The pool's reward: its ensemble IC after the step (0 for a rejected duplicate, as in the reference). */
  reward: number;
}

export interface LinearMember {
  expr: string;
  ic: number;
  weight: number;
  normalized: Float64Array;
}

export class LinearPool {
  readonly capacity: number;
  readonly nDays: number;
  readonly nStocks: number;
  readonly solver: WeightSolver;
  private readonly l1: number;
  private readonly lr: number;
  private readonly patience: number;
  private readonly maxSteps: number;
  private readonly duplicateThreshold: number;
  private readonly target: NormalizedAlpha;
  /** One spare slot: a newcomer joins before the weakest member leaves. */
  private readonly store: MemberStore<null>;
  private weightList: Float64Array = new Float64Array(0);
  private ensemble = 0;

  constructor(opts: LinearPoolOptions) {
    if (!(opts.capacity >= 1)) throw new Error('pool capacity must be at least 1');
    this.capacity = opts.capacity;
    this.nDays = opts.nDays;
    this.nStocks = opts.nStocks;
    this.solver = opts.solver ?? 'adam';
    this.l1 = opts.l1 ?? DEFAULT_L1;
    this.lr = opts.lr ?? 5e-4;
    this.patience = opts.patience ?? 500;
    this.maxSteps = opts.maxSteps ?? 10_000;
    this.duplicateThreshold = opts.duplicateThreshold ?? 0.99;
    this.target = normalizeAlpha(opts.target, opts.nDays, opts.nStocks);
    this.store = new MemberStore<null>(opts.capacity + 1, opts.nDays, opts.nStocks);
  }

  get size(): number {
    return this.store.size;
  }

  /** The pool's reward: IC of the weighted combination of normalized members with the target (0 when empty). */
  get ensembleIC(): number {
    return this.ensemble;
  }

  weights(): number[] {
    return Array.from(this.weightList);
  }

  members(): ReadonlyArray<LinearMember> {
    const out: LinearMember[] = [];
    for (let i = 0; i < this.size; i++) {
      out.push({ expr: this.store.expr(i), ic: this.store.ic(i), weight: this.weightList[i], normalized: this.store.alpha(i).values });
    }
    return out;
  }

  mutualIC(i: number, j: number): number {
    return this.store.mutualIC(i, j);
  }

  mutualMatrix(): number[][] {
    return this.store.mutualMatrix();
  }

  /** The objective w'Mw - 2w'ic + 1 + l1|w|_1 at the current weights. */
  objective(): number {
    return poolObjective(this.store.packedMutual(), this.store.ics(), this.weightList, this.l1);
  }

  /** Admission of a newly evaluated alpha (rawValues = evaluator output, [nDays][nStocks]). */
  tryAdd(expr: string, rawValues: Float64Array): LinearTryResult {
    const candidate = normalizeAlpha(rawValues, this.nDays, this.nStocks);
    const probe = this.store.probe(candidate, this.target, this.duplicateThreshold);
    if (probe.duplicateOf >= 0) return { admitted: false, rejectedBecause: 'duplicate', ic: probe.ic, reward: 0 };
    if (!Number.isFinite(probe.ic)) return { admitted: false, rejectedBecause: 'nan', ic: probe.ic, reward: 0 };

    const previous = this.weightList;
    const index = this.store.add(expr, candidate, probe.ic, null, probe.mutual);
    // AlphaGen starts the newcomer's weight at its IC, the others where they were.
    const init = new Float64Array(index + 1);
    init.set(previous);
    init[index] = probe.ic;
    let weights = this.fit(init);
    let admitted = true;
    let evicted: string | undefined;
    if (this.store.size > this.capacity) {
      let worst = 0;
      for (let i = 1; i < weights.length; i++) if (Math.abs(weights[i]) < Math.abs(weights[worst])) worst = i;
      evicted = this.store.expr(worst);
      if (worst === index) {
        admitted = false;
        this.store.removeMovingLast(index);
        weights = previous;
      } else {
        this.store.removeMovingLast(worst);
        const kept = weights.slice(0, index);
        kept[worst] = weights[index];
        // Re-fit on the members that stay, so the weights are again the optimum of §4's objective.
        weights = this.fit(kept);
      }
    }
    this.weightList = weights;
    this.ensemble = this.computeEnsembleIC();
    if (!admitted) return { admitted, rejectedBecause: 'evicted', ic: probe.ic, reward: this.ensemble };
    return evicted === undefined ? { admitted, ic: probe.ic, reward: this.ensemble } : { admitted, evicted, ic: probe.ic, reward: this.ensemble };
  }

  /** Re-fits the weights of the current members with the pool's solver (starting from the current weights for Adam). */
  refit(): number[] {
    this.weightList = this.fit(this.weightList);
    this.ensemble = this.computeEnsembleIC();
    return this.weights();
  }

  private fit(init: Float64Array): Float64Array {
    const M = this.store.packedMutual();
    const ic = this.store.ics();
    if (this.solver === 'lstsq') return leastSquaresWeights(M, ic);
    if (this.solver === 'exact-l1') return exactL1Weights(M, ic, this.l1);
    return adamWeights(M, ic, init, { l1: this.l1, lr: this.lr, patience: this.patience, maxSteps: this.maxSteps }).weights;
  }

  /** The weighted sum of the members' normalized values, [nDays][nStocks]. */
  combination(): Float64Array {
    return combineNormalized(
      Array.from({ length: this.size }, (_, i) => this.store.alpha(i).values),
      this.weightList,
      this.nDays * this.nStocks,
    );
  }

  private computeEnsembleIC(): number {
    if (this.size === 0) return 0;
    const combined = normalizeAlpha(this.combination(), this.nDays, this.nStocks);
    return meanDailyIC(combined, this.target, this.nDays, this.nStocks);
  }

  toPoolFile(extra: Partial<PoolFile> = {}): PoolFile {
    return {
      exprs: this.store.exprs(),
      weights: this.weights(),
      ics: this.store.ics(),
      mutual_ics: this.store.mutualMatrix(),
      ...extra,
    };
  }

  /**
   * Rebuilds a pool from a file: members in file order with the file's weights
   * (not re-fitted), values from `evaluate` (raw [nDays][nStocks] of an expression
   * on this pool's window). The ICs and mutual ICs are recomputed, so a pool
   * saved and rebuilt on the same window is the same pool.
   */
  static fromPoolFile(file: PoolFile, opts: LinearPoolOptions, evaluate: (expr: string) => Float64Array): LinearPool {
    const pool = new LinearPool(opts);
    if (file.exprs.length > pool.capacity) {
      throw new Error(`the pool file has ${file.exprs.length} members, more than the capacity ${pool.capacity}`);
    }
    for (const expr of file.exprs) {
      const alpha = normalizeAlpha(evaluate(expr), pool.nDays, pool.nStocks);
      const probe = pool.store.probe(alpha, pool.target);
      pool.store.add(expr, alpha, probe.ic, null, probe.mutual);
    }
    pool.weightList = Float64Array.from(file.weights);
    pool.ensemble = pool.computeEnsembleIC();
    return pool;
  }
}

/** sum_i weights[i] * values[i], cell by cell. */
export function combineNormalized(values: readonly Float64Array[], weights: ArrayLike<number>, cells: number): Float64Array {
  const out = new Float64Array(cells);
  for (let k = 0; k < values.length; k++) {
    const w = weights[k];
    const v = values[k];
    for (let c = 0; c < cells; c++) out[c] += w * v[c];
  }
  return out;
}
