/**
 * The AlphaSAGE pool (SPEC §4): a diverse set of alphas that gives the
 * GFlowNet its dense rewards. A newcomer is admitted when its largest
 * |mutual IC| with the members is at most the gate (0.3); when the pool is
 * full it replaces the member with the lowest |IC| if its own |IC| is higher.
 * Each try returns ic = |IC|, novelty = 1 - max |mutual IC| (1 for an empty
 * pool) and the structural consistency reward, computed after admission.
 * A near-duplicate (some signed mutual IC > 0.99) gets ic 0 and novelty 0
 * (the published code returns novelty 1 for it, a defect).
 */
import { consistencyReward } from './consistency.js';
import type { PoolFile } from './file.js';
import { MemberStore, type KnownDaySums } from './members.js';
import { AlphaArena, sharedArena } from './arena.js';
import { allocateAlpha, normalizeAlpha, normalizeAlphaInto, type NormalizedAlpha } from './normalized.js';
import { leastSquaresWeights } from './weights.js';

export interface GfnPoolOptions {
  capacity: number;
  /** Raw target [nDays][nStocks] (NaN allowed). */
  target: Float64Array;
  nDays: number;
  nStocks: number;
  /** Admit only when max |mutual IC| <= icGate, default 0.3. */
  icGate?: number;
  /** Neighbours for the consistency reward, default 3. */
  k?: number;
  /** Softmax temperature of the consistency reward, default 0.1. */
  temperature?: number;
  /** A signed mutual IC above this marks a near-duplicate, default 0.99. */
  duplicateThreshold?: number;
  /**
   * Treat an alpha with no cross-sectional spread on any day (a constant, or NaN everywhere) as SPEC §4 and
   * the published code do: admitted while the gate passes, novelty 1 - max |mutual IC| = 1. Default false:
   * it is refused with ic 0 and novelty 0, like a near-duplicate (otherwise it wins the highest novelty for
   * carrying no information).
   */
  admitFlat?: boolean;
  /**
   * How many candidates to stage at once at most (`stage`, a miner's window of episodes), default 0. The pool
   * stages fewer (`stageCapacity`, at least 1) when WebAssembly's memory cannot hold that many more alphas.
   */
  stageCapacity?: number;
}

export interface GfnTryResult {
  /** |IC| with the target (0 for a near-duplicate). */
  ic: number;
  /** 1 - max |mutual IC| (1 for an empty pool, 0 for a near-duplicate). */
  novelty: number;
  /** Structural consistency reward after the admission step. */
  consistency: number;
  admitted: boolean;
  /** The member it replaced, when the pool was full. */
  replaced?: string;
  /** The newcomer was a near-duplicate of this member. */
  duplicateOf?: string;
}

export interface GfnMember {
  expr: string;
  /** Signed IC with the target (admission and replacement use its absolute value). */
  ic: number;
  normalized: Float64Array;
  embedding: Float32Array;
}

export class GfnPool {
  readonly capacity: number;
  readonly nDays: number;
  readonly nStocks: number;
  readonly icGate: number;
  readonly k: number;
  readonly temperature: number;
  readonly duplicateThreshold: number;
  readonly admitFlat: boolean;
  private readonly target: NormalizedAlpha;
  private readonly store: MemberStore<Float32Array>;
  /**
   * Buffers the candidate is normalized into. An admitted candidate keeps
   * them and the buffers of the member it replaces become the next scratch:
   * no copy, no 2.4 MB allocation per try.
   */
  private scratch: NormalizedAlpha;
  /** Where the target, the members and the scratch live, so their ICs run in WebAssembly (undefined: too large; plain arrays). */
  private readonly arena: AlphaArena | undefined;
  readonly stageCapacity: number;
  /** Candidates normalized ahead of their tries, in stage order (see `stage`). */
  private staged: NormalizedAlpha[] = [];
  /** Day sums of each staged candidate with `stagedOthers[j]` (the target, then the members when `prepareStaged` ran). */
  private stagedSums: ((i: number, j: number) => Float64Array) | undefined;
  private stagedOthers: NormalizedAlpha[] = [];
  /** Buffers for staged candidates: the ones not admitted and the ones of replaced members. */
  private spare: NormalizedAlpha[] = [];

  constructor(opts: GfnPoolOptions) {
    if (!(opts.capacity >= 1)) throw new Error('pool capacity must be at least 1');
    this.capacity = opts.capacity;
    this.nDays = opts.nDays;
    this.nStocks = opts.nStocks;
    this.icGate = opts.icGate ?? 0.3;
    this.k = opts.k ?? 3;
    this.temperature = opts.temperature ?? 0.1;
    this.duplicateThreshold = opts.duplicateThreshold ?? 0.99;
    this.admitFlat = opts.admitFlat ?? false;
    // Slots: the target, the members, the scratch (a replaced member's buffers become the next scratch) and the
    // staged; as many staged as fit (halving), else none.
    let stage = Math.max(0, Math.floor(opts.stageCapacity ?? 0));
    let arena: AlphaArena | undefined;
    for (;;) {
      arena = AlphaArena.create(opts.capacity + 2 + stage, opts.nDays, opts.nStocks, { maxX: stage, maxY: opts.capacity + 1 });
      if (arena || stage === 0) break;
      stage = stage > 1 ? Math.floor(stage / 2) : 0;
    }
    this.arena = arena;
    // Without an arena, staged candidates are plain arrays: one at a time, as tryAdd's scratch.
    this.stageCapacity = arena ? stage : Math.min(1, Math.floor(opts.stageCapacity ?? 0));
    this.target = normalizeAlpha(opts.target, opts.nDays, opts.nStocks, this.arena);
    this.store = new MemberStore<Float32Array>(opts.capacity, opts.nDays, opts.nStocks);
    this.scratch = allocateAlpha(opts.nDays, opts.nStocks, this.arena);
  }

  get size(): number {
    return this.store.size;
  }

  /**
   * The members in pool order. `normalized` is the pool's own buffer: read it,
   * do not keep it past the member's replacement (the pool reuses it).
   */
  members(): ReadonlyArray<GfnMember> {
    const out: GfnMember[] = [];
    for (let i = 0; i < this.size; i++) {
      out.push({ expr: this.store.expr(i), ic: this.store.ic(i), normalized: this.store.alpha(i).values, embedding: this.store.payload(i) });
    }
    return out;
  }

  mutualIC(i: number, j: number): number {
    return this.store.mutualIC(i, j);
  }

  mutualMatrix(): number[][] {
    return this.store.mutualMatrix();
  }

  /** The largest |IC| among the members (0 when empty). */
  bestAbsIC(): number {
    let best = 0;
    for (let i = 0; i < this.size; i++) best = Math.max(best, Math.abs(this.store.ic(i)));
    return best;
  }

  /** Full admission + rewards for a newly sampled alpha; rawValues = evaluator output [nDays][nStocks]. */
  tryAdd(expr: string, rawValues: Float64Array, embedding: Float32Array): GfnTryResult {
    const candidate = normalizeAlphaInto(rawValues, this.nDays, this.nStocks, this.scratch);
    const { result, freed } = this.offer(expr, candidate, embedding);
    // An admitted candidate keeps its buffers; the scratch becomes the replaced member's, or new ones.
    if (result.admitted) this.scratch = freed ?? allocateAlpha(this.nDays, this.nStocks, this.arena);
    return result;
  }

  /**
   * Normalizes a candidate's raw values ahead of its try and returns its handle
   * for `tryStaged`. A miner stages a window's candidates, calls
   * `prepareStaged` once, then tries them in order: the same results as
   * `tryAdd` one by one, but the members' values are read once for the window
   * instead of once per candidate.
   */
  stage(rawValues: Float64Array): number {
    if (this.staged.length >= this.stageCapacity) throw new Error(`the pool stages at most ${this.stageCapacity} candidates at once`);
    const alpha = this.spare.pop() ?? allocateAlpha(this.nDays, this.nStocks, this.arena);
    this.staged.push(normalizeAlphaInto(rawValues, this.nDays, this.nStocks, alpha));
    this.stagedSums = undefined;
    return this.staged.length - 1;
  }

  /**
   * The day sums of every staged candidate with the target and with the
   * current members, in one batch (when all live in the arena; otherwise each
   * try computes its own, with the same results).
   */
  prepareStaged(): void {
    const others = [this.target];
    for (let i = 0; i < this.size; i++) others.push(this.store.alpha(i));
    const arena = sharedArena(...this.staged.map((a) => a.values), ...others.map((o) => o.values));
    if (!arena || this.staged.length === 0) return;
    this.stagedSums = arena.dayDotsBatch(
      this.staged.map((a) => a.values),
      others.map((o) => o.values),
    );
    this.stagedOthers = others;
  }

  /** `tryAdd` for the staged candidate `handle` (its sums from `prepareStaged` for the members it has not seen change). */
  tryStaged(handle: number, expr: string, embedding: Float32Array): GfnTryResult {
    const candidate = this.staged[handle];
    if (!candidate) throw new Error(`no staged candidate ${handle}`);
    const sums = this.stagedSums;
    const known: KnownDaySums | undefined = sums
      ? (other) => {
          const j = this.stagedOthers.indexOf(other);
          return j >= 0 ? sums(handle, j) : undefined;
        }
      : undefined;
    const { result, freed } = this.offer(expr, candidate, embedding, known);
    // A replaced member's buffers become spares; if it was staged in this window, releaseStaged does that.
    if (freed && !this.staged.includes(freed)) this.spare.push(freed);
    return result;
  }

  /** Ends a window of staged candidates: the buffers of those not admitted become spares. */
  releaseStaged(): void {
    for (const a of this.staged) if (!this.isMember(a)) this.spare.push(a);
    this.staged = [];
    this.stagedSums = undefined;
    this.stagedOthers = [];
  }

  private isMember(a: NormalizedAlpha): boolean {
    for (let i = 0; i < this.size; i++) if (this.store.alpha(i) === a) return true;
    return false;
  }

  /** Admission and rewards of a normalized candidate; `freed`: the buffers of the member it replaced. */
  private offer(expr: string, candidate: NormalizedAlpha, embedding: Float32Array, known?: KnownDaySums): { result: GfnTryResult; freed?: NormalizedAlpha } {
    const probe = this.store.probe(candidate, this.target, this.duplicateThreshold, known);
    let result: GfnTryResult;
    let freed: NormalizedAlpha | undefined;
    // A near-duplicate, or an alpha with no cross-sectional spread on any day
    // (a constant: IC 0, mutual ICs 0) would otherwise win the highest novelty
    // for carrying no information (the same defect SPEC §4 fixes for duplicates).
    if (probe.duplicateOf >= 0 || !Number.isFinite(probe.ic) || (!this.admitFlat && hasNoSpread(candidate))) {
      result = { ic: 0, novelty: 0, consistency: 0, admitted: false };
      if (probe.duplicateOf >= 0) result.duplicateOf = this.store.expr(probe.duplicateOf);
    } else {
      const absIc = Math.abs(probe.ic);
      let maxAbsMutual = 0;
      for (let i = 0; i < probe.mutual.length; i++) maxAbsMutual = Math.max(maxAbsMutual, Math.abs(probe.mutual[i]));
      const novelty = this.size === 0 ? 1 : 1 - maxAbsMutual;
      const passesGate = maxAbsMutual <= this.icGate;
      result = { ic: absIc, novelty, consistency: 0, admitted: false };
      if (passesGate && this.size < this.capacity) {
        this.store.add(expr, candidate, probe.ic, embedding.slice(), probe.mutual);
        result.admitted = true;
      } else if (passesGate) {
        let weakest = 0;
        for (let i = 1; i < this.size; i++) if (Math.abs(this.store.ic(i)) < Math.abs(this.store.ic(weakest))) weakest = i;
        if (absIc > Math.abs(this.store.ic(weakest))) {
          result.replaced = this.store.expr(weakest);
          freed = this.store.alpha(weakest);
          this.store.replace(weakest, expr, candidate, probe.ic, embedding.slice(), probe.mutual);
          result.admitted = true;
        }
      }
    }
    result.consistency = this.consistencyOf(candidate.values, embedding);
    return { result, freed };
  }

  /** The structural consistency reward of an expression (normalized values + embedding) against the current members. */
  consistencyOf(normalized: Float64Array, embedding: Float32Array): number {
    const members = [];
    for (let i = 0; i < this.size; i++) members.push({ normalized: this.store.alpha(i).values, embedding: this.store.payload(i) });
    return consistencyReward(normalized, embedding, members, this.nDays, this.nStocks, { k: this.k, temperature: this.temperature });
  }

  /** Least-squares weights of the members on this (train) window: w = M^-1 ic with signed ICs, the exact optimum of w'Mw - 2w'ic. */
  fitWeights(): number[] {
    return Array.from(leastSquaresWeights(this.store.packedMutual(), this.store.ics()));
  }

  /** The pool as a file: exprs, least-squares weights, signed ICs, mutual ICs, embeddings, plus `extra` (window, seed). */
  toPoolFile(extra: Partial<PoolFile> = {}): PoolFile {
    const embeddings: number[][] = [];
    for (let i = 0; i < this.size; i++) embeddings.push(Array.from(this.store.payload(i)));
    return {
      exprs: this.store.exprs(),
      weights: this.fitWeights(),
      ics: this.store.ics(),
      mutual_ics: this.store.mutualMatrix(),
      embeddings,
      ...extra,
    };
  }

  /**
   * Rebuilds a pool (for --resume) from a file written by `toPoolFile`:
   * members in file order with their stored embeddings; values from `evaluate`
   * (raw [nDays][nStocks] of an expression on this pool's window). ICs and
   * mutual ICs are recomputed by the same code on the same values, so the
   * rebuilt pool equals the saved one exactly and behaves identically after.
   */
  static fromPoolFile(file: PoolFile, opts: GfnPoolOptions, evaluate: (expr: string) => Float64Array): GfnPool {
    const pool = new GfnPool(opts);
    if (file.exprs.length > pool.capacity) {
      throw new Error(`the pool file has ${file.exprs.length} members, more than the capacity ${pool.capacity}`);
    }
    if (!file.embeddings || file.embeddings.length !== file.exprs.length) {
      throw new Error('a GFN pool can only be rebuilt from a file with one embedding per expression');
    }
    file.exprs.forEach((expr, i) => {
      const alpha = normalizeAlpha(evaluate(expr), pool.nDays, pool.nStocks, pool.arena);
      const probe = pool.store.probe(alpha, pool.target);
      pool.store.add(expr, alpha, probe.ic, Float32Array.from((file.embeddings as number[][])[i]), probe.mutual);
    });
    return pool;
  }
}

/** True when the normalized alpha is flat (all zero) on every day. */
function hasNoSpread(alpha: NormalizedAlpha): boolean {
  const std = alpha.dayStd;
  for (let d = 0; d < std.length; d++) if (std[d] > 0) return false;
  return true;
}
