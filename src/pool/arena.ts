/**
 * A pool's normalized alphas in one WebAssembly memory of their own, so every
 * IC the pool computes (one dot product per day, against the target or a
 * member) runs in the compiled SIMD kernel (assembly/pool.ts `dayDots`)
 * instead of a TypeScript loop: same sums to the bit, about 2x faster.
 *
 * The memory is sized once for all the pool's slots and never grows (growing
 * would detach the views it has handed out). Too large for WebAssembly's
 * 4 GiB, or out of slots, the pool falls back to ordinary arrays, where the
 * ICs take the TypeScript loop; results are the same either way.
 */
import { kernelModule } from '../expr/wasm/index.js';

interface ArenaExports {
  memory: WebAssembly.Memory;
  dayDots(pX: number, pY: number, nDays: number, nS: number, pOut: number): void;
  dayDots4(pX: number, pA: number, pB: number, pC: number, pD: number, nDays: number, nS: number, pOut: number): void;
  normalizeDays(pRaw: number, pOut: number, nDays: number, nS: number, pMean: number, pStd: number): void;
  meanSquaredDifference(pA: number, pB: number, nDays: number, nS: number): number;
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

  private constructor(
    private readonly wasm: ArenaExports,
    readonly nDays: number,
    readonly nStocks: number,
    slots: number,
  ) {
    const cellBytes = nDays * nStocks * 8;
    const slotBytes = Math.ceil(cellBytes / 64) * 64;
    this.out = BASE;
    this.rawAt = BASE + Math.ceil((4 * nDays * 8) / 64) * 64;
    const first = this.rawAt + slotBytes;
    for (let k = slots - 1; k >= 0; k--) this.free.push(first + k * slotBytes);
    const buffer = wasm.memory.buffer;
    this.sums = [0, 1, 2, 3].map((k) => new Float64Array(buffer, this.out + k * nDays * 8, nDays));
    this.raw = new Float64Array(buffer, this.rawAt, nDays * nStocks);
    byMemory.set(buffer, this);
  }

  /** An arena of `slots` alphas of nDays x nStocks, or undefined if WebAssembly cannot hold them. */
  static create(slots: number, nDays: number, nStocks: number): AlphaArena | undefined {
    // The sums, a staging area for raw values, then the slots.
    const bytes = BASE + Math.ceil((4 * nDays * 8) / 64) * 64 + (slots + 1) * Math.ceil((nDays * nStocks * 8) / 64) * 64;
    if (bytes > MAX_BYTES) return undefined;
    const wasm = new WebAssembly.Instance(kernelModule, {}).exports as unknown as ArenaExports;
    const have = wasm.memory.buffer.byteLength;
    if (bytes > have) wasm.memory.grow(Math.ceil((bytes - have) / 65536));
    return new AlphaArena(wasm, nDays, nStocks, slots);
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

  /** Mean over days of the mean over stocks of (a - b)^2 (both views of this arena), as src/pool/consistency.ts adds it. */
  meanSquaredDifference(a: Float64Array, b: Float64Array): number {
    return this.wasm.meanSquaredDifference(a.byteOffset, b.byteOffset, this.nDays, this.nStocks);
  }
}

/** The arena holding all of the given arrays, if one does (then its kernels may run on them). */
export function sharedArena(...arrays: Float64Array[]): AlphaArena | undefined {
  const arena = byMemory.get(arrays[0].buffer);
  if (!arena) return undefined;
  for (const a of arrays) if (a.buffer !== arrays[0].buffer || a.length !== arena.nDays * arena.nStocks) return undefined;
  return arena;
}
