/**
 * Storage shared by both pools: each member's expression, normalized values
 * (kept once, never re-evaluated), signed IC with the target, a payload (the
 * GFN pool's embedding), and the mutual-IC matrix, updated incrementally: a
 * newcomer costs one IC per existing member, never a full recompute.
 */
import { meanDailyIC, meanDailyICs, meanOfDayICs, type NormalizedAlpha } from './normalized.js';

/** Day sums of the candidate times another alpha computed beforehand (a batch), or undefined. */
export type KnownDaySums = (other: NormalizedAlpha) => Float64Array | undefined;

export interface Probe {
  /** Signed IC of the candidate with the target. */
  ic: number;
  /** Signed mutual IC with member i, for i < `checked`. */
  mutual: Float64Array;
  /** Members compared before stopping (all of them unless a near-duplicate stopped the scan). */
  checked: number;
  /** Index of the first member whose mutual IC exceeds the duplicate threshold, or -1. */
  duplicateOf: number;
}

export class MemberStore<P> {
  readonly maxSize: number;
  readonly nDays: number;
  readonly nStocks: number;
  private readonly exprList: string[] = [];
  private readonly alphaList: NormalizedAlpha[] = [];
  private readonly icList: number[] = [];
  private readonly payloadList: P[] = [];
  /** Signed mutual ICs, maxSize x maxSize row-major, ones on the diagonal. */
  private readonly mutual: Float64Array;

  constructor(maxSize: number, nDays: number, nStocks: number) {
    this.maxSize = maxSize;
    this.nDays = nDays;
    this.nStocks = nStocks;
    this.mutual = new Float64Array(maxSize * maxSize);
  }

  get size(): number {
    return this.exprList.length;
  }

  expr(i: number): string {
    return this.exprList[i];
  }
  alpha(i: number): NormalizedAlpha {
    return this.alphaList[i];
  }
  ic(i: number): number {
    return this.icList[i];
  }
  payload(i: number): P {
    return this.payloadList[i];
  }
  mutualIC(i: number, j: number): number {
    return this.mutual[i * this.maxSize + j];
  }
  exprs(): string[] {
    return this.exprList.slice();
  }
  ics(): number[] {
    return this.icList.slice();
  }

  /** The size x size mutual-IC matrix (ones on the diagonal) as nested arrays. */
  mutualMatrix(): number[][] {
    const n = this.size;
    const out: number[][] = [];
    for (let i = 0; i < n; i++) out.push(Array.from(this.mutual.subarray(i * this.maxSize, i * this.maxSize + n)));
    return out;
  }

  /** The size x size mutual-IC matrix packed row-major with stride `size`. */
  packedMutual(): Float64Array {
    const n = this.size;
    const out = new Float64Array(n * n);
    for (let i = 0; i < n; i++) out.set(this.mutual.subarray(i * this.maxSize, i * this.maxSize + n), i * n);
    return out;
  }

  /**
   * IC of a candidate with the target and with every member. When
   * `duplicateAbove` is given the scan stops at the first signed mutual IC
   * above it (as the reference does: such a candidate is rejected anyway).
   */
  probe(candidate: NormalizedAlpha, target: NormalizedAlpha, duplicateAbove = Infinity, known?: KnownDaySums): Probe {
    const n = this.size;
    const mutual = new Float64Array(n);
    const { nDays, nStocks } = this;
    const icSums = known?.(target);
    const ic = icSums ? meanOfDayICs(icSums, candidate, target, nDays, nStocks) : meanDailyIC(candidate, target, nDays, nStocks);
    // Four members per pass over the candidate (those without known sums).
    for (let i = 0; i < n; i += 4) {
      const end = Math.min(i + 4, n);
      const missing: number[] = [];
      for (let j = i; j < end; j++) {
        const sums = known?.(this.alphaList[j]);
        if (sums) mutual[j] = meanOfDayICs(sums, candidate, this.alphaList[j], nDays, nStocks);
        else missing.push(j);
      }
      if (missing.length > 0) {
        const group = meanDailyICs(candidate, missing.map((j) => this.alphaList[j]), nDays, nStocks);
        missing.forEach((j, k) => (mutual[j] = group[k]));
      }
      for (let j = i; j < end; j++) {
        if (mutual[j] > duplicateAbove) return { ic, mutual: mutual.subarray(0, j + 1), checked: j + 1, duplicateOf: j };
      }
    }
    return { ic, mutual, checked: n, duplicateOf: -1 };
  }

  /** Appends a member; `mutual[i]` is its IC with member i (all current members). Returns its index. */
  add(expr: string, alpha: NormalizedAlpha, ic: number, payload: P, mutual: ArrayLike<number>): number {
    const k = this.size;
    if (k >= this.maxSize) throw new Error(`member store is full (${this.maxSize})`);
    this.exprList.push(expr);
    this.alphaList.push(alpha);
    this.icList.push(ic);
    this.payloadList.push(payload);
    this.setRow(k, mutual);
    return k;
  }

  /** Puts a new member in slot `index`; `mutual[i]` is its IC with the current member i (entry `index` is ignored). */
  replace(index: number, expr: string, alpha: NormalizedAlpha, ic: number, payload: P, mutual: ArrayLike<number>): void {
    this.exprList[index] = expr;
    this.alphaList[index] = alpha;
    this.icList[index] = ic;
    this.payloadList[index] = payload;
    this.setRow(index, mutual);
  }

  /** Removes member `index` by moving the last member into its slot (the reference's swap-and-pop). */
  removeMovingLast(index: number): void {
    const last = this.size - 1;
    const row = new Float64Array(last);
    for (let i = 0; i < last; i++) row[i] = this.mutualIC(last, i);
    const expr = this.exprList.pop() as string;
    const alpha = this.alphaList.pop() as NormalizedAlpha;
    const ic = this.icList.pop() as number;
    const payload = this.payloadList.pop() as P;
    if (index !== last) this.replace(index, expr, alpha, ic, payload, row);
  }

  /** Writes row and column k of the matrix from `mutual` (entry k unused; an append has entries 0..k-1 only). */
  private setRow(k: number, mutual: ArrayLike<number>): void {
    const m = this.maxSize;
    const n = this.size;
    for (let i = 0; i < n; i++) {
      if (i === k) continue;
      const v = mutual[i];
      this.mutual[k * m + i] = v;
      this.mutual[i * m + k] = v;
    }
    this.mutual[k * m + k] = 1;
  }
}
