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
  dayDots2(pX: number, pY: number, pZ: number, nDays: number, nS: number, pOutY: number, pOutZ: number): void;
}

/** The module's static data stays below this. */
const BASE = 65536;
const MAX_BYTES = 4 * 1024 ** 3 - 65536;

const byMemory = new WeakMap<ArrayBufferLike, AlphaArena>();

export class AlphaArena {
  private readonly free: number[] = [];
  /** Byte offsets of the two per-day sum outputs. */
  private readonly outY: number;
  private readonly outZ: number;
  private readonly sumsY: Float64Array;
  private readonly sumsZ: Float64Array;

  private constructor(
    private readonly wasm: ArenaExports,
    readonly nDays: number,
    readonly nStocks: number,
    slots: number,
  ) {
    const cellBytes = nDays * nStocks * 8;
    const slotBytes = Math.ceil(cellBytes / 64) * 64;
    this.outY = BASE;
    this.outZ = BASE + Math.ceil((nDays * 8) / 64) * 64;
    const first = this.outZ + Math.ceil((nDays * 8) / 64) * 64;
    for (let k = slots - 1; k >= 0; k--) this.free.push(first + k * slotBytes);
    const buffer = wasm.memory.buffer;
    this.sumsY = new Float64Array(buffer, this.outY, nDays);
    this.sumsZ = new Float64Array(buffer, this.outZ, nDays);
    byMemory.set(buffer, this);
  }

  /** An arena of `slots` alphas of nDays x nStocks, or undefined if WebAssembly cannot hold them. */
  static create(slots: number, nDays: number, nStocks: number): AlphaArena | undefined {
    const bytes = BASE + 2 * (Math.ceil((nDays * 8) / 64) * 64) + slots * Math.ceil((nDays * nStocks * 8) / 64) * 64;
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
    this.wasm.dayDots(x.byteOffset, y.byteOffset, this.nDays, this.nStocks, this.outY);
    return this.sumsY;
  }

  /** dayDots of x with y and with z in one pass over x. */
  dayDots2(x: Float64Array, y: Float64Array, z: Float64Array): [Float64Array, Float64Array] {
    this.wasm.dayDots2(x.byteOffset, y.byteOffset, z.byteOffset, this.nDays, this.nStocks, this.outY, this.outZ);
    return [this.sumsY, this.sumsZ];
  }
}

/** The arena holding all of the given arrays, if one does (then its kernels may run on them). */
export function sharedArena(...arrays: Float64Array[]): AlphaArena | undefined {
  const arena = byMemory.get(arrays[0].buffer);
  if (!arena) return undefined;
  for (const a of arrays) if (a.buffer !== arrays[0].buffer || a.length !== arena.nDays * arena.nStocks) return undefined;
  return arena;
}
