/**
 * A pool's normalized alphas in one WebAssembly memory of their own, so every
 * IC the pool computes (one dot product per day, against the target or a
 * member) runs in the compiled SIMD kernel (assembly/pool.ts `dayDots`)
 * instead of a TypeScript loop: same sums to the bit, about 2x faster.
 *
 * The memory is sized once for all the pool's slots and never grows (growing
 * would detach the views it has handed out). Too large for WebAssembly's
 * 4 GiB (or for the memory the system grants), or out of slots, the pool
 * falls back to ordinary arrays, where the ICs take the TypeScript loop;
 * results are the same either way.
 */
import { kernelModule } from '../expr/wasm/index.js';

interface ArenaExports {
  memory: WebAssembly.Memory;
  dayDots(pX: number, pY: number, nDays: number, nS: number, pOut: number): void;
  dayDots4(pX: number, pA: number, pB: number, pC: number, pD: number, nDays: number, nS: number, pOut: number): void;
  normalizeDays(pRaw: number, pOut: number, nDays: number, nS: number, pMean: number, pStd: number): void;
  meanSquaredDifference4(pA: number, pB0: number, pB1: number, pB2: number, pB3: number, nDays: number, nS: number, pOut: number): void;
  dayDotsBatch(pXs: number, nX: number, pYs: number, nY: number, nDays: number, nS: number, pOut: number): void;
}

/** Room for `dayDotsBatch`: up to maxX alphas against up to maxY others. */
export interface BatchRoom {
  maxX: number;
  maxY: number;
}

const align64 = (b: number): number => Math.ceil(b / 64) * 64;

/** Byte offsets of an arena's regions: the day sums, the batch offsets and sums, the raw staging area, the slots. */
function layout(slots: number, nDays: number, nStocks: number, batch: BatchRoom): { batchIndex: number; batchOut: number; raw: number; first: number; slotBytes: number; end: number } {
  const slotBytes = align64(nDays * nStocks * 8);
  const batchIndex = BASE + align64(4 * nDays * 8);
  const batchOut = batchIndex + align64((batch.maxX + batch.maxY) * 4);
  const raw = batchOut + (batch.maxX > 0 ? align64((batch.maxX * batch.maxY * nDays + 8) * 8) : 0);
  const first = raw + slotBytes;
  return { batchIndex, batchOut, raw, first, slotBytes, end: first + slots * slotBytes };
}

/** The module's static data stays below this. */
const BASE = 65536;
const MAX_BYTES = 4 * 1024 ** 3 - 65536;

const byMemory = new WeakMap<ArrayBufferLike, AlphaArena>();

export class AlphaArena {
  private readonly free: number[] = [];
  /** Byte offset of the per-day sum outputs: four rows of nDays (also the day statistics of normalizeInto). */
  private readonly out: number;
  private readonly sums: Float64Array[];
  /** Where raw values from outside are copied to be normalized (one alpha's cells). */
  private readonly rawAt: number;
  private readonly raw: Float64Array;
  private readonly batchIndex: Int32Array;
  private readonly batchOut: number;

  private constructor(
    private readonly wasm: ArenaExports,
    readonly nDays: number,
    readonly nStocks: number,
    slots: number,
    readonly batch: BatchRoom,
  ) {
    const at = layout(slots, nDays, nStocks, batch);
    this.out = BASE;
    this.rawAt = at.raw;
    for (let k = slots - 1; k >= 0; k--) this.free.push(at.first + k * at.slotBytes);
    const buffer = wasm.memory.buffer;
    this.sums = [0, 1, 2, 3].map((k) => new Float64Array(buffer, this.out + k * nDays * 8, nDays));
    this.raw = new Float64Array(buffer, this.rawAt, nDays * nStocks);
    this.batchIndex = new Int32Array(buffer, at.batchIndex, batch.maxX + batch.maxY);
    this.batchOut = at.batchOut;
    byMemory.set(buffer, this);
  }

  /**
   * An arena of `slots` alphas of nDays x nStocks (and room for `dayDotsBatch` of up to batch.maxX against
   * batch.maxY), or undefined if WebAssembly cannot hold them.
   */
  static create(slots: number, nDays: number, nStocks: number, batch: BatchRoom = { maxX: 0, maxY: 0 }): AlphaArena | undefined {
    const bytes = layout(slots, nDays, nStocks, batch).end;
    if (bytes > MAX_BYTES) return undefined;
    const wasm = new WebAssembly.Instance(kernelModule, {}).exports as unknown as ArenaExports;
    const have = wasm.memory.buffer.byteLength;
    try {
      if (bytes > have) wasm.memory.grow(Math.ceil((bytes - have) / 65536));
    } catch (e) {
      if (e instanceof RangeError) return undefined; // the system would not give that much memory
      throw e;
    }
    return new AlphaArena(wasm, nDays, nStocks, slots, batch);
  }

  /** A zeroed slot for one alpha's values, or undefined when all are taken. */
  take(): Float64Array | undefined {
    const at = this.free.pop();
    if (at === undefined) return undefined;
    const v = new Float64Array(this.wasm.memory.buffer, at, this.nDays * this.nStocks);
    v.fill(0);
    return v;
  }

  /** Per day, the sum of x * y (both views of this arena); the result is overwritten by the next call. */
  dayDots(x: Float64Array, y: Float64Array): Float64Array {
    this.wasm.dayDots(x.byteOffset, y.byteOffset, this.nDays, this.nStocks, this.out);
    return this.sums[0];
  }

  /**
   * dayDots of x with each of `others` (1 to 4) in one pass over x: four
   * accumulators in flight instead of one; the same sums to the bit. The
   * results are overwritten by the next call.
   */
  dayDotsGroup(x: Float64Array, others: readonly Float64Array[]): Float64Array[] {
    const k = others.length;
    if (k < 1 || k > 4) throw new Error(`dayDotsGroup takes 1 to 4 partners, got ${k}`);
    const at = (i: number): number => others[Math.min(i, k - 1)].byteOffset;
    this.wasm.dayDots4(x.byteOffset, at(0), at(1), at(2), at(3), this.nDays, this.nStocks, this.out);
    return this.sums.slice(0, k);
  }

  /**
   * normalizeByDay of `raw` (any array, copied in) into `out` (a slot of this arena), and the per-day mean
   * and population std of the result into dayMean and dayStd, as src/pool/normalized.ts computes them
   * (the same sums in the same order: the same bits).
   */
  normalizeInto(raw: Float64Array, out: Float64Array, dayMean: Float64Array, dayStd: Float64Array): void {
    this.raw.set(raw);
    this.wasm.normalizeDays(this.rawAt, out.byteOffset, this.nDays, this.nStocks, this.out, this.out + this.nDays * 8);
    dayMean.set(this.sums[0]);
    dayStd.set(this.sums[1]);
  }

  /**
   * Per day, the sum of x * y for each x of `xs` and y of `ys` (all views of this arena; at most batch.maxX
   * and batch.maxY of them): `sums(i, j)` is dayDots(xs[i], ys[j]) to the bit. The others' values are read
   * once for all the xs. The sums are overwritten by the next call.
   */
  dayDotsBatch(xs: readonly Float64Array[], ys: readonly Float64Array[]): (i: number, j: number) => Float64Array {
    const nX = xs.length;
    const nY = ys.length;
    if (nX > this.batch.maxX || nY > this.batch.maxY) throw new Error(`dayDotsBatch has room for ${this.batch.maxX} x ${this.batch.maxY}, got ${nX} x ${nY}`);
    xs.forEach((x, i) => (this.batchIndex[i] = x.byteOffset));
    ys.forEach((y, j) => (this.batchIndex[nX + j] = y.byteOffset));
    const pIndex = this.batchIndex.byteOffset;
    if (nX > 0 && nY > 0) this.wasm.dayDotsBatch(pIndex, nX, pIndex + nX * 4, nY, this.nDays, this.nStocks, this.batchOut);
    const all = new Float64Array(this.wasm.memory.buffer, this.batchOut, nX * nY * this.nDays);
    return (i, j) => all.subarray((i * nY + j) * this.nDays, (i * nY + j + 1) * this.nDays);
  }

  /**
   * Mean over days of the mean over stocks of (a - b)^2 for each b of `bs` (all views of this arena), as
   * src/pool/consistency.ts adds it; four b per pass over a.
   */
  meanSquaredDifferences(a: Float64Array, bs: readonly Float64Array[]): number[] {
    const out: number[] = [];
    for (let g = 0; g < bs.length; g += 4) {
      const k = Math.min(4, bs.length - g);
      const at = (i: number): number => bs[g + Math.min(i, k - 1)].byteOffset;
      this.wasm.meanSquaredDifference4(a.byteOffset, at(0), at(1), at(2), at(3), this.nDays, this.nStocks, this.out);
      const sums = new Float64Array(this.wasm.memory.buffer, this.out, 4);
      for (let i = 0; i < k; i++) out.push(sums[i]);
    }
    return out;
  }
}

/** The arena holding all of the given arrays, if one does (then its kernels may run on them). */
export function sharedArena(...arrays: Float64Array[]): AlphaArena | undefined {
  const arena = byMemory.get(arrays[0].buffer);
  if (!arena) return undefined;
  for (const a of arrays) if (a.buffer !== arrays[0].buffer || a.length !== arena.nDays * arena.nStocks) return undefined;
  return arena;
}
