/**
 * Host side of the WebAssembly kernels (sources: assembly/*.ts, entry assembly/index.ts; binary:
 * kernels.wasm next to this file, rebuilt by `npm run build:wasm` and checked
 * against its sources by test/wasm.test.ts).
 *
 * Why WebAssembly: in V8, a store into one typed array makes the optimised code
 * reload the other typed arrays' data pointers, so a row-wise JS kernel with
 * per-stock state pays several loads per cell beyond its arithmetic (measured
 * on this project's VM, an add loop over 302,560 doubles: 0.29 ms with the
 * arrays as module constants, 0.82 ms with them as parameters, 0.33 ms with
 * parameters and four loads before each group of stores). Compiled WebAssembly
 * addresses one linear memory and has no such cost: the same algorithms,
 * ported line for line, run 2-3x faster with the same bits, and SIMD adds more.
 *
 * During an evaluation, node buffers live in the module's memory (see
 * beginResident), so kernels read their inputs and write their outputs in
 * place; other arrays (feature data, the caller's) are copied in and out (a
 * memcpy: ~0.1-0.3 ms for 2.4 MB). The memory grows to the largest need and
 * is reused.
 */
import { readFileSync } from 'node:fs';
import type { BinaryKernel, PairRollingKernel, RollingKernel, UnaryKernel } from '../kernels/types.js';

interface KernelExports {
  memory: WebAssembly.Memory;
  rankRows(pSrc: number, pOut: number, nRows: number, nS: number, pScratch: number): void;
  dailyRankIC(pA: number, pB: number, pOut: number, nDays: number, nS: number, guard: number, pScratch: number): void;
  dailyRankICRanked(pA: number, pB: number, pRanksB: number, pCountsB: number, pOut: number, nDays: number, nS: number, guard: number, pScratch: number): void;
  rankDays(pB: number, pRanks: number, pCounts: number, nDays: number, nS: number, pScratch: number): void;
  tsRank(pSrc: number, pOut: number, nOut: number, nS: number, w: number): void;
  tsMed(pSrc: number, pOut: number, nOut: number, nS: number, w: number, pScratch: number): void;
  extremes(mode: number, pSrc: number, pOut: number, nOut: number, nS: number, w: number, pScratch: number): void;
  sumFamily(mode: number, pSrc: number, pOut: number, nOut: number, nS: number, w: number, row0: number, pScratch: number): void;
  centralFamily(mode: number, pSrc: number, pOut: number, nOut: number, nS: number, w: number, row0: number, pScratch: number): void;
  weightedAverage(ema: number, pSrc: number, pOut: number, nOut: number, nS: number, w: number, row0: number, pScratch: number): void;
  pairMoments(corr: number, pA: number, pB: number, pOut: number, nOut: number, nS: number, w: number, row0: number, pScratch: number): void;
  unary(op: number, pSrc: number, pOut: number, n: number): void;
  binary(op: number, pA: number, aScalar: number, pB: number, bScalar: number, pOut: number, n: number): void;
  powCells(pA: number, sa: number, pB: number, sb: number, pOut: number, n: number, pScratch: number): void;
  normalizeByDay(pRaw: number, pOut: number, nDays: number, nS: number): void;
  dayGram(pCols: number, stride: number, n: number, pY: number, m: number, pOut: number): void;
  dailyIC(pX: number, pY: number, pOut: number, nDays: number, nS: number, guard: number): void;
  dailyNormalizedIC(pX: number, pY: number, pOut: number, nDays: number, nS: number, guard: number, pScratch: number): void;
  // Bytes of working memory each kernel needs (stated next to the kernel's layout).
  rankRowsScratch(nS: number): number;
  dailyRankICScratch(nS: number): number;
  rankDaysScratch(nS: number): number;
  extremesScratch(nSrc: number, nS: number): number;
  tsMedScratch(w: number): number;
  sumFamilyScratch(nS: number, w: number): number;
  centralFamilyScratch(nS: number, w: number): number;
  weightedAverageScratch(nS: number, w: number): number;
  pairMomentsScratch(nS: number, w: number): number;
  dailyNormalizedICScratch(nS: number): number;
  powCellsScratch(n: number): number;
}

/** The compiled module: one instance here; src/pool/arena.ts makes others, each with its own memory. */
export const kernelModule = new WebAssembly.Module(readFileSync(new URL('./kernels.wasm', import.meta.url)));
const wasm = new WebAssembly.Instance(kernelModule, {}).exports as unknown as KernelExports;

/** The first 64 KiB hold the module's static data. */
const BASE = 65536;
const MAX_BYTES = 4 * 1024 ** 3;
const align64 = (b: number): number => Math.ceil(b / 64) * 64;

/**
 * Memory layout above BASE: the feature data of the StockData last evaluated
 * ([BASE, featureEnd), kept across evaluations), then an evaluation's node
 * buffers (beginResident .. endResident: [featureEnd, scratchBase)), then the
 * kernels' copies and working memory. While node buffers live, the memory
 * must not grow (growing detaches every view of it).
 */
let featureEnd = BASE;
let scratchBase = BASE;
let resident = false;
/** Which data's features are resident (ids, so no StockData is kept alive). */
const ownerIds = new WeakMap<object, number>();
let nextOwnerId = 1;
let featureOwner = 0;
let featureOffsets: number[] = [];

/**
 * Keeps `columns` (the feature data of `owner`, one array per feature) in the
 * memory across evaluations, copied when the owner changes; returns each
 * column's byte offset. Call before beginResident; views of them are valid
 * while an evaluation holds the memory.
 */
export function residentFeatures(owner: object, columns: readonly Float64Array[]): readonly number[] | undefined {
  if (resident) return undefined;
  let id = ownerIds.get(owner);
  if (id === undefined) ownerIds.set(owner, (id = nextOwnerId++));
  if (id === featureOwner) return featureOffsets;
  let end = BASE;
  const offsets = columns.map((c) => {
    const at = end;
    end += align64(c.length * 8);
    return at;
  });
  if (end > MAX_BYTES / 2) return undefined;
  const have = wasm.memory.buffer.byteLength;
  if (end > have) wasm.memory.grow(Math.ceil((end - have) / 65536));
  const heap = new Float64Array(wasm.memory.buffer);
  columns.forEach((c, k) => heap.set(c, offsets[k] / 8));
  featureOwner = id;
  featureOffsets = offsets;
  featureEnd = scratchBase = end;
  return offsets;
}

/** A view of n doubles at byte offset p of the memory (resident features during an evaluation). */
export function memoryView(p: number, n: number): Float64Array {
  return new Float64Array(wasm.memory.buffer, p, n);
}

/**
 * Reserves `nodeBytes` for an evaluation's node buffers and `scratchBytes`
 * above them for its kernels, growing the memory once, now; returns false
 * (nothing reserved) if an evaluation already holds the memory or it would
 * exceed 4 GiB. Until endResident, views from residentView stay valid.
 */
export function beginResident(nodeBytes: number, scratchBytes: number): boolean {
  const end = featureEnd + align64(nodeBytes) + scratchBytes;
  if (resident || end > MAX_BYTES) return false;
  const have = wasm.memory.buffer.byteLength;
  if (end > have) wasm.memory.grow(Math.ceil((end - have) / 65536));
  scratchBase = featureEnd + align64(nodeBytes);
  resident = true;
  return true;
}

/** A view of n doubles of the reserved node buffers, at byte `offset` from their start. */
export function residentView(offset: number, n: number): Float64Array {
  return new Float64Array(wasm.memory.buffer, featureEnd + offset, n);
}

export function endResident(): void {
  resident = false;
  scratchBase = featureEnd;
}

/**
 * Byte offsets of consecutive regions of the given sizes (64-byte aligned,
 * from scratchBase), with the memory grown to hold them; and a view of the
 * memory (a fresh one: growing detaches the old).
 */
function regions(bytes: readonly number[]): { at: number[]; heap: Float64Array } {
  const at: number[] = [];
  let p = scratchBase;
  for (const b of bytes) {
    at.push(p);
    p += align64(b);
  }
  const have = wasm.memory.buffer.byteLength;
  if (p > have) {
    // wasm32 addresses 4 GiB: three matrices of that size are ~180 million cells each.
    if (p > MAX_BYTES) throw new Error(`a kernel needs ${(p / 1024 ** 3).toFixed(1)} GiB of WebAssembly memory (limit 4 GiB): evaluate fewer days or stocks at a time`);
    if (resident) throw new Error(`a kernel needs ${p - scratchBase} bytes of WebAssembly working memory, more than the running evaluation reserved (the memory cannot grow while its values are lent): inside a withExprValues callback, do no work larger than that evaluation; do it after the callback returns`);
    wasm.memory.grow(Math.ceil((p - have) / 65536));
  }
  return { at, heap: new Float64Array(wasm.memory.buffer) };
}

/** Copies the first n cells of m into the memory at byte offset p. */
function put(heap: Float64Array, p: number, m: Float64Array, n: number): void {
  heap.set(n === m.length ? m : m.subarray(0, n), p / 8);
}
/** Copies n cells at byte offset p into out. */
function get(heap: Float64Array, p: number, out: Float64Array, n: number): void {
  out.set(heap.subarray(p / 8, p / 8 + n));
}

/**
 * One kernel call's memory: inputs and the output that already live in the
 * module's memory (an evaluation's node buffers) are used in place, the others
 * get a region (inputs copied in); then `extra` regions of working memory.
 * `done()` copies the output out when it had to get a region.
 */
function frame(inputs: readonly (readonly [Float64Array, number])[], out: readonly [Float64Array, number], extra: readonly number[]): { in: number[]; out: number; extra: number[]; done(): void } {
  const mem = wasm.memory.buffer;
  const inPlace = inputs.map(([m]) => m.buffer === mem);
  const outPlace = out[0].buffer === mem;
  const inOffsets = inputs.map(([m]) => m.byteOffset);
  const outOffset = out[0].byteOffset;
  const { at, heap } = regions([...inputs.map(([, n], i) => (inPlace[i] ? 0 : n * 8)), outPlace ? 0 : out[1] * 8, ...extra]);
  const pIn = inputs.map(([m, n], i) => {
    if (inPlace[i]) return inOffsets[i];
    put(heap, at[i], m, n);
    return at[i];
  });
  const pOut = outPlace ? outOffset : at[inputs.length];
  return {
    in: pIn,
    out: pOut,
    extra: at.slice(inputs.length + 1),
    done: () => {
      if (!outPlace) get(heap, pOut, out[0], out[1]);
    },
  };
}

/** Ops of assembly/elementwise.ts `unary`. */
export const enum Unary {
  Abs,
  Inv,
  Sign,
  Log,
  SLog1p,
  Square,
  PowHalf,
}
export function wasmUnary(op: Unary): UnaryKernel {
  return (src, out, nRows, nS) => {
    const n = nRows * nS;
    const f = frame([[src, n]], [out, n], []);
    wasm.unary(op, f.in[0], f.out, n);
    f.done();
  };
}

/** Ops of assembly/elementwise.ts `binary`. */
export const enum Binary {
  Add,
  Sub,
  Mul,
  Div,
  Greater,
  Less,
  /** (a - b) / b */
  PctChange,
}
/** A binary kernel over the memory: `run(pA, sa, pB, sb, pOut, n)` with strides 1, or 0 for a side broadcasting its one value. */
function binaryKernel(run: (pA: number, sa: number, pB: number, sb: number, pOut: number, n: number, pScratch: number) => void, scratch: (n: number) => number = () => 0): BinaryKernel {
  return (a, sa, b, sb, out, n) => {
    const f = frame(
      [
        [a, sa === 0 ? 1 : n],
        [b, sb === 0 ? 1 : n],
      ],
      [out, n],
      [scratch(n)],
    );
    run(f.in[0], sa === 0 ? 0 : 1, f.in[1], sb === 0 ? 0 : 1, f.out, n, f.extra[0]);
    f.done();
  };
}

/** A binary kernel; a stride of 0 broadcasts that side's one value. */
export function wasmBinary(op: Binary): BinaryKernel {
  return binaryKernel((pA, sa, pB, sb, pOut, n) => wasm.binary(op, pA, 1 - sa, pB, 1 - sb, pOut, n));
}

/** Pow (assembly/pow.ts: V8's Math.pow bits, C's pow(1, y) = 1 and pow(-1, ±inf) = 1). */
export const wasmPow: BinaryKernel = binaryKernel(
  (pA, sa, pB, sb, pOut, n, pScratch) => wasm.powCells(pA, sa, pB, sb, pOut, n, pScratch),
  (n) => wasm.powCellsScratch(n),
);

/**
 * Daily Spearman of two [nDays][nS] matrices: per day, the Pearson of the
 * average ranks over the cells where neither is NaN (a std below `guard` makes
 * the denominator 1; NaN for a day with no such cell). With `bRanked` (b's
 * wasmRankDays), days where a is valid wherever b is sort only a.
 */
export function wasmDailyRankIC(a: Float64Array, b: Float64Array, nDays: number, nS: number, guard: number, bRanked?: { ranks: Float64Array; counts: Int32Array }): Float64Array {
  const n = nDays * nS;
  const out = new Float64Array(nDays);
  const inputs: [Float64Array, number][] = bRanked ? [[a, n], [b, n], [bRanked.ranks, n]] : [[a, n], [b, n]];
  const f = frame(inputs, [out, nDays], [wasm.dailyRankICScratch(nS), nDays * 4]);
  if (bRanked) {
    new Int32Array(wasm.memory.buffer, f.extra[1], nDays).set(bRanked.counts);
    wasm.dailyRankICRanked(f.in[0], f.in[1], f.in[2], f.extra[1], f.out, nDays, nS, guard, f.extra[0]);
  } else wasm.dailyRankIC(f.in[0], f.in[1], f.out, nDays, nS, guard, f.extra[0]);
  f.done();
  return out;
}

/** src/metrics normalizeByDay of x [nDays][nS] into out (which may be x). */
export function wasmNormalizeByDay(x: Float64Array, out: Float64Array, nDays: number, nS: number): void {
  const n = nDays * nS;
  const f = frame([[x, n]], [out, n], []);
  wasm.normalizeByDay(f.in[0], f.out, nDays, nS);
  f.done();
}

/** src/metrics dailyIC: per day, the guarded Pearson of x and y over their shared non-NaN cells. */
export function wasmDailyIC(x: Float64Array, y: Float64Array, nDays: number, nS: number, guard: number): Float64Array {
  const n = nDays * nS;
  const out = new Float64Array(nDays);
  const f = frame([[x, n], [y, n]], [out, nDays], []);
  wasm.dailyIC(f.in[0], f.in[1], f.out, nDays, nS, guard);
  f.done();
  return out;
}

/** dailyIC of x and y normalized by day (src/metrics alphaIC), without writing the normalized matrices. */
export function wasmDailyNormalizedIC(x: Float64Array, y: Float64Array, nDays: number, nS: number, guard: number): Float64Array {
  const n = nDays * nS;
  const out = new Float64Array(nDays);
  const f = frame([[x, n], [y, n]], [out, nDays], [wasm.dailyNormalizedICScratch(nS)]);
  wasm.dailyNormalizedIC(f.in[0], f.in[1], f.out, nDays, nS, guard, f.extra[0]);
  f.done();
  return out;
}

/**
 * One day of src/combine/gram.ts DailyGram (assembly/gram.ts): n columns of m
 * values (column i at cols[i * stride]) and the target's m values y; the
 * day's packed cross-product triangle into out.
 */
export function wasmDayGram(cols: Float64Array, stride: number, n: number, y: Float64Array, m: number, out: Float64Array): void {
  const f = frame([[cols, n * stride], [y, m]], [out, out.length], []);
  wasm.dayGram(f.in[0], stride, n, f.in[1], m, f.out);
  f.done();
}

/** Per day, the average ranks of b over its non-NaN cells (NaN elsewhere) and their count: b prepared for wasmDailyRankIC. */
export function wasmRankDays(b: Float64Array, nDays: number, nS: number): { ranks: Float64Array; counts: Int32Array } {
  const n = nDays * nS;
  const { at, heap } = regions([n * 8, n * 8, nDays * 4, wasm.rankDaysScratch(nS)]);
  put(heap, at[0], b, n);
  wasm.rankDays(at[0], at[1], at[2], nDays, nS, at[3]);
  return { ranks: heap.slice(at[1] / 8, at[1] / 8 + n), counts: new Int32Array(wasm.memory.buffer, at[2], nDays).slice() };
}

/** Rank (cross-sectional): src and out [nRows][nS]. */
export const wasmRank: UnaryKernel = (src, out, nRows, nS) => {
  const n = nRows * nS;
  const f = frame([[src, n]], [out, n], [wasm.rankRowsScratch(nS)]);
  wasm.rankRows(f.in[0], f.out, nRows, nS, f.extra[0]);
  f.done();
};

/** A rolling kernel: src [nOut + w - 1][nS] -> out [nOut][nS], with `scratch` bytes of working memory. */
function rolling(scratch: (nSrc: number, nS: number, w: number) => number, run: (pSrc: number, pOut: number, nOut: number, nS: number, w: number, row0: number, pScratch: number) => void): RollingKernel {
  return (src, out, nOut, nS, w, row0 = 0) => {
    const nSrc = nOut + w - 1;
    const f = frame([[src, nSrc * nS]], [out, nOut * nS], [scratch(nSrc, nS, w)]);
    run(f.in[0], f.out, nOut, nS, w, row0, f.extra[0]);
    f.done();
  };
}

export const wasmTsRank: RollingKernel = rolling(
  () => 0, // none
  (pSrc, pOut, nOut, nS, w) => wasm.tsRank(pSrc, pOut, nOut, nS, w),
);

export const wasmTsMed: RollingKernel = rolling(
  (_nSrc, _nS, w) => wasm.tsMedScratch(w),
  (pSrc, pOut, nOut, nS, w, _row0, pScratch) => wasm.tsMed(pSrc, pOut, nOut, nS, w, pScratch),
);

/** Modes of assembly/rolling.ts `extremes`. */
export const enum Extreme {
  Max,
  Min,
  MaxMinusMin,
  LastMinusMax,
  LastMinusMin,
}
export function wasmExtremes(mode: Extreme): RollingKernel {
  return rolling(
    (nSrc, nS) => wasm.extremesScratch(nSrc, nS),
    (pSrc, pOut, nOut, nS, w, _row0, pScratch) => wasm.extremes(mode, pSrc, pOut, nOut, nS, w, pScratch),
  );
}

/** Modes of assembly/windowSums.ts `sumFamily` and `centralFamily`. */
export const enum Moment {
  Sum,
  Mean,
  Div,
  Var,
  Std,
  Ir,
  Skew,
  Kurt,
  Mad,
}
export function wasmSums(mode: Moment.Sum | Moment.Mean | Moment.Div | Moment.Mad): RollingKernel {
  return rolling(
    (_nSrc, nS, w) => wasm.sumFamilyScratch(nS, w),
    (pSrc, pOut, nOut, nS, w, row0, pScratch) => wasm.sumFamily(mode, pSrc, pOut, nOut, nS, w, row0, pScratch),
  );
}
export function wasmCentral(mode: Moment.Var | Moment.Std | Moment.Ir | Moment.Skew | Moment.Kurt): RollingKernel {
  return rolling(
    (_nSrc, nS, w) => wasm.centralFamilyScratch(nS, w),
    (pSrc, pOut, nOut, nS, w, row0, pScratch) => wasm.centralFamily(mode, pSrc, pOut, nOut, nS, w, row0, pScratch),
  );
}

export function wasmWeighted(kind: 'wma' | 'ema'): RollingKernel {
  return rolling(
    (_nSrc, nS, w) => wasm.weightedAverageScratch(nS, w),
    (pSrc, pOut, nOut, nS, w, row0, pScratch) => wasm.weightedAverage(kind === 'ema' ? 1 : 0, pSrc, pOut, nOut, nS, w, row0, pScratch),
  );
}

export function wasmPair(kind: 'cov' | 'corr'): PairRollingKernel {
  return (a, b, out, nOut, nS, w, row0 = 0) => {
    const n = (nOut + w - 1) * nS;
    const f = frame(
      [
        [a, n],
        [b, n],
      ],
      [out, nOut * nS],
      [wasm.pairMomentsScratch(nS, w)],
    );
    wasm.pairMoments(kind === 'corr' ? 1 : 0, f.in[0], f.in[1], f.out, nOut, nS, w, row0, f.extra[0]);
    f.done();
  };
}
