/** Elementwise Abs, Inv, Sign, Add, Sub, Mul, Div, Greater, Less, two cells per SIMD step. */
import { ld, st, vld, vsplat, vst } from './memory';

// Log and SLog1p stay in TypeScript: AssemblyScript's Math.log is not always
// correctly rounded (log(3) is 1 ulp off), V8's is.
const U_ABS = 0;
const U_INV = 1;
const U_SIGN = 2;

/** sign(x) with sign(±0) = +0 and sign(NaN) = NaN. */
@inline function signOf(x: f64): f64 {
  return <f64>(<i32>(x > 0)) - <f64>(<i32>(x < 0)) + (x == x ? 0 : NaN);
}

/** One unary cell (scalar: the odd last cell). */
@inline function unaryCell(op: i32, x: f64): f64 {
  if (op == U_ABS) return abs<f64>(x);
  if (op == U_INV) return 1 / x;
  return signOf(x);
}

/** Abs, Inv, Sign over n cells, two per SIMD step. */
export function unary(op: i32, pSrc: usize, pOut: usize, n: i32): void {
  let i = 0;
  if (op == U_ABS) for (; i + 1 < n; i += 2) vst(pOut, i, f64x2.abs(vld(pSrc, i)));
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

@inline function binaryCell(op: i32, x: f64, y: f64): f64 {
  if (op == B_ADD) return x + y;
  if (op == B_SUB) return x - y;
  if (op == B_MUL) return x * y;
  if (op == B_DIV) return x / y;
  if (op == B_GREATER) return max<f64>(x, y); // NaN if either is NaN, as Math.max
  return min<f64>(x, y);
}

@inline function binaryLanes(op: i32, x: v128, y: v128): v128 {
  if (op == B_ADD) return f64x2.add(x, y);
  if (op == B_SUB) return f64x2.sub(x, y);
  if (op == B_MUL) return f64x2.mul(x, y);
  if (op == B_DIV) return f64x2.div(x, y);
  if (op == B_GREATER) return f64x2.max(x, y);
  return f64x2.min(x, y);
}

/** Add, Sub, Mul, Div, Greater, Less over n cells; a side with `scalar` set is its one value, broadcast. */
export function binary(op: i32, pA: usize, aScalar: i32, pB: usize, bScalar: i32, pOut: usize, n: i32): void {
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
