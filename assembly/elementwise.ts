/** Elementwise Abs, Inv, Sign, Log, SLog1p, Add, Sub, Mul, Div, Greater, Less (and TsDelta, TsPctChange as Sub and (x - y) / y of two row ranges); two cells per SIMD step (Log and SLog1p four: two independent logPair chains). */
import { log, log1pSmall, logMainPath, logPair } from './log';
import { ld, st, vld, vsplat, vst } from './memory';

const U_ABS = 0;
const U_INV = 1;
const U_SIGN = 2;
const U_LOG = 3;
const U_SLOG1P = 4;
/** Pow(x, 2) and Pow(x, 0.5): the bits of V8's Math.pow with those exponents (src/expr/kernels/elementwise.ts). */
const U_SQUARE = 5;
const U_POW_HALF = 6;

/** C's pow(x, 0.5): sqrt for x > 0 and +inf, +0 for ±0, +inf for -inf, else NaN. */
@inline function powHalf(x: f64): f64 {
  if (x > 0) return sqrt<f64>(x);
  if (x == 0) return 0;
  return x == -Infinity ? Infinity : NaN;
}

/** sign(x) with sign(±0) = +0 and sign(NaN) = NaN. */
@inline function signOf(x: f64): f64 {
  return <f64>(<i32>(x > 0)) - <f64>(<i32>(x < 0)) + (x == x ? 0 : NaN);
}

/**
 * sign(x) * log1p(|x|), sign(±0) = +0. log(1 + a) loses nothing that matters
 * for a > 1e-4 (relative error < 1e-12) and is faster than log1p. Logs with
 * V8's bits (./log), so the values equal the TypeScript formula's.
 */
@inline function slog1p(x: f64): f64 {
  const a = abs<f64>(x);
  return signOf(x) * (a > 1e-4 ? log(1 + a) : log1pSmall(a));
}

/** Whether both cells of x are on log's main path (logPair gives log's bits for them). */
@inline function pairOnMainPath(x: v128): bool {
  return logMainPath(i32x4.extract_lane(x, 1)) && logMainPath(i32x4.extract_lane(x, 3));
}

/** sign(x) of two cells that are not NaN (1, -1; 0 for ±0). */
@inline function signPair(x: v128): v128 {
  return f64x2.sub(v128.and(f64x2.gt(x, vsplat(0)), vsplat(1)), v128.and(f64x2.lt(x, vsplat(0)), vsplat(1)));
}

/** One unary cell (scalar: the odd last cell). */
@inline function unaryCell(op: i32, x: f64): f64 {
  if (op == U_ABS) return abs<f64>(x);
  if (op == U_INV) return 1 / x;
  if (op == U_SQUARE) return x * x;
  if (op == U_POW_HALF) return powHalf(x);
  return signOf(x);
}

/** Abs, Inv, Sign, Pow(x, 2), Pow(x, 0.5) (two cells per SIMD step), Log, SLog1p over n cells. */
export function unary(op: i32, pSrc: usize, pOut: usize, n: i32): void {
  if (op == U_LOG) {
    let i = 0;
    for (; i + 3 < n; i += 4) {
      // Four cells, two independent logPair chains, when all four are on log's main path.
      const x = vld(pSrc, i);
      const y = vld(pSrc, i + 2);
      if (pairOnMainPath(x) && pairOnMainPath(y)) {
        vst(pOut, i, logPair(x));
        vst(pOut, i + 2, logPair(y));
      } else {
        for (let j = i; j < i + 4; j++) st(pOut, j, log(ld(pSrc, j)));
      }
    }
    // The last 1-3 cells. (This pair step is kept although it rarely runs: without it the kernel measured
    // 0.90-0.91x, a code-generation effect; SLog1p showed none.)
    for (; i + 1 < n; i += 2) {
      const x = vld(pSrc, i);
      if (pairOnMainPath(x)) vst(pOut, i, logPair(x));
      else {
        st(pOut, i, log(ld(pSrc, i)));
        st(pOut, i + 1, log(ld(pSrc, i + 1)));
      }
    }
    for (; i < n; i++) st(pOut, i, log(ld(pSrc, i)));
    return;
  }
  if (op == U_SLOG1P) {
    let i = 0;
    const tiny = vsplat(1e-4);
    for (; i + 3 < n; i += 4) {
      // Four cells, two independent logPair chains, when all four take log(1 + |x|) (|x| > 1e-4) on log's main path.
      const x = vld(pSrc, i);
      const y = vld(pSrc, i + 2);
      const ax = f64x2.abs(x);
      const ay = f64x2.abs(y);
      const px = f64x2.add(vsplat(1), ax);
      const py = f64x2.add(vsplat(1), ay);
      if (v128.all_true<i64>(v128.and(f64x2.gt(ax, tiny), f64x2.gt(ay, tiny))) && pairOnMainPath(px) && pairOnMainPath(py)) {
        vst(pOut, i, f64x2.mul(signPair(x), logPair(px)));
        vst(pOut, i + 2, f64x2.mul(signPair(y), logPair(py)));
      } else {
        for (let j = i; j < i + 4; j++) st(pOut, j, slog1p(ld(pSrc, j)));
      }
    }
    for (; i < n; i++) st(pOut, i, slog1p(ld(pSrc, i)));
    return;
  }
  let i = 0;
  if (op == U_ABS) for (; i + 1 < n; i += 2) vst(pOut, i, f64x2.abs(vld(pSrc, i)));
  else if (op == U_SQUARE)
    for (; i + 1 < n; i += 2) {
      const x = vld(pSrc, i);
      vst(pOut, i, f64x2.mul(x, x));
    }
  else if (op == U_POW_HALF)
    for (; i + 1 < n; i += 2) {
      const x = vld(pSrc, i);
      if (v128.all_true<i64>(f64x2.gt(x, vsplat(0)))) vst(pOut, i, f64x2.sqrt(x));
      else {
        st(pOut, i, powHalf(ld(pSrc, i)));
        st(pOut, i + 1, powHalf(ld(pSrc, i + 1)));
      }
    }
  else if (op == U_INV) for (; i + 1 < n; i += 2) vst(pOut, i, f64x2.div(vsplat(1), vld(pSrc, i)));
  else if (op == U_SIGN) {
    const one = vsplat(1);
    for (; i + 1 < n; i += 2) {
      const x = vld(pSrc, i);
      const s = f64x2.sub(v128.and(f64x2.gt(x, vsplat(0)), one), v128.and(f64x2.lt(x, vsplat(0)), one));
      vst(pOut, i, f64x2.add(s, v128.bitselect(vsplat(0), vsplat(NaN), f64x2.eq(x, x))));
    }
  }
  for (; i < n; i++) st(pOut, i, unaryCell(op, ld(pSrc, i)));
}

const B_ADD = 0;
const B_SUB = 1;
const B_MUL = 2;
const B_DIV = 3;
const B_GREATER = 4;
const B_LESS = 5;
/** (x - y) / y: TsPctChange's end points (src/expr/kernels/compiled.ts). */
const B_PCT_CHANGE = 6;

@inline function binaryCell(op: i32, x: f64, y: f64): f64 {
  if (op == B_ADD) return x + y;
  if (op == B_SUB) return x - y;
  if (op == B_MUL) return x * y;
  if (op == B_DIV) return x / y;
  if (op == B_GREATER) return max<f64>(x, y); // NaN if either is NaN, as Math.max
  if (op == B_LESS) return min<f64>(x, y);
  return (x - y) / y;
}

@inline function binaryLanes(op: i32, x: v128, y: v128): v128 {
  if (op == B_ADD) return f64x2.add(x, y);
  if (op == B_SUB) return f64x2.sub(x, y);
  if (op == B_MUL) return f64x2.mul(x, y);
  if (op == B_DIV) return f64x2.div(x, y);
  if (op == B_GREATER) return f64x2.max(x, y);
  if (op == B_LESS) return f64x2.min(x, y);
  return f64x2.div(f64x2.sub(x, y), y);
}

/** Add, Sub, Mul, Div, Greater, Less, (x - y) / y over n cells; a side with `scalar` set is its one value, broadcast. */
export function binary(op: i32, pA: usize, aScalar: i32, pB: usize, bScalar: i32, pOut: usize, n: i32): void {
  // One function per mode (why: assembly/index.ts).
  if (op == B_ADD) binaryAdd(pA, aScalar, pB, bScalar, pOut, n);
  else if (op == B_SUB) binarySub(pA, aScalar, pB, bScalar, pOut, n);
  else if (op == B_MUL) binaryMul(pA, aScalar, pB, bScalar, pOut, n);
  else if (op == B_DIV) binaryDiv(pA, aScalar, pB, bScalar, pOut, n);
  else if (op == B_GREATER) binaryGreater(pA, aScalar, pB, bScalar, pOut, n);
  else if (op == B_LESS) binaryLess(pA, aScalar, pB, bScalar, pOut, n);
  else binaryPctChange(pA, aScalar, pB, bScalar, pOut, n);
}
function binaryAdd(pA: usize, aScalar: i32, pB: usize, bScalar: i32, pOut: usize, n: i32): void {
  binaryOf(B_ADD, pA, aScalar, pB, bScalar, pOut, n);
}
function binarySub(pA: usize, aScalar: i32, pB: usize, bScalar: i32, pOut: usize, n: i32): void {
  binaryOf(B_SUB, pA, aScalar, pB, bScalar, pOut, n);
}
function binaryMul(pA: usize, aScalar: i32, pB: usize, bScalar: i32, pOut: usize, n: i32): void {
  binaryOf(B_MUL, pA, aScalar, pB, bScalar, pOut, n);
}
function binaryDiv(pA: usize, aScalar: i32, pB: usize, bScalar: i32, pOut: usize, n: i32): void {
  binaryOf(B_DIV, pA, aScalar, pB, bScalar, pOut, n);
}
function binaryGreater(pA: usize, aScalar: i32, pB: usize, bScalar: i32, pOut: usize, n: i32): void {
  binaryOf(B_GREATER, pA, aScalar, pB, bScalar, pOut, n);
}
function binaryLess(pA: usize, aScalar: i32, pB: usize, bScalar: i32, pOut: usize, n: i32): void {
  binaryOf(B_LESS, pA, aScalar, pB, bScalar, pOut, n);
}
function binaryPctChange(pA: usize, aScalar: i32, pB: usize, bScalar: i32, pOut: usize, n: i32): void {
  binaryOf(B_PCT_CHANGE, pA, aScalar, pB, bScalar, pOut, n);
}
@inline function binaryOf(op: i32, pA: usize, aScalar: i32, pB: usize, bScalar: i32, pOut: usize, n: i32): void {
  let i = 0;
  if (aScalar) {
    const xs = ld(pA, 0);
    const x = vsplat(xs);
    for (; i + 1 < n; i += 2) vst(pOut, i, binaryLanes(op, x, vld(pB, i)));
    for (; i < n; i++) st(pOut, i, binaryCell(op, xs, ld(pB, i)));
  } else if (bScalar) {
    const ys = ld(pB, 0);
    const y = vsplat(ys);
    for (; i + 1 < n; i += 2) vst(pOut, i, binaryLanes(op, vld(pA, i), y));
    for (; i < n; i++) st(pOut, i, binaryCell(op, ld(pA, i), ys));
  } else {
    for (; i + 1 < n; i += 2) vst(pOut, i, binaryLanes(op, vld(pA, i), vld(pB, i)));
    for (; i < n; i++) st(pOut, i, binaryCell(op, ld(pA, i), ld(pB, i)));
  }
}
