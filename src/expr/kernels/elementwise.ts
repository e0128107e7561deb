/**
 * Pow: IEEE semantics (NaN propagates) with V8's Math.pow bits, and C's pow
 * (as PyTorch) where JavaScript differs: pow(1, y) = 1 and pow(-1, ±inf) = 1.
 * It runs as WebAssembly (assembly/pow.ts: fdlibm's algorithm as V8 compiles
 * it, two cells per SIMD step on its main path; the exponents 2, 0.5, -1 and 1
 * as x * x, sqrt, 1 / x and a copy). `cPow` is the same function per cell in TypeScript: the
 * definition the kernel is tested against.
 */
import { Unary, wasmPow, wasmUnary } from '../wasm/index.js';
import type { BinaryKernel } from './types.js';

/** C pow semantics (PyTorch): pow(1, anything) = 1, pow(-1, ±inf) = 1, pow(x, 0) = 1. */
export function cPow(x: number, y: number): number {
  if (x === 1) return 1;
  if (x === -1 && (y === Infinity || y === -Infinity)) return 1;
  return Math.pow(x, y);
}
const powSquare = wasmUnary(Unary.Square);
const powHalf = wasmUnary(Unary.PowHalf);
const powInverse = wasmUnary(Unary.Inv);
export const powKernel: BinaryKernel = (a, sa, b, sb, out, n) => {
  if (sb === 0 && sa === 1) {
    const y = b[0];
    // fdlibm's pow (V8's Math.pow) returns x * x for y = 2, sqrt(x) for y = 0.5 and x > 0, 1 / x for
    // y = -1 and x for y = 1 (NaN for NaN): the same bits, whole SIMD steps (or a copy). The miner
    // writes Pow(..., -1.0) and Pow(..., 1.0) often; per cell they took fdlibm's scalar special case.
    if (y === 2) return powSquare(a, out, 1, n);
    if (y === 0.5) return powHalf(a, out, 1, n);
    if (y === -1) return powInverse(a, out, 1, n);
    if (y === 1) {
      out.set(a.subarray(0, n));
      return;
    }
  }
  // C's pow(1, y) = 1 for every y, NaN included.
  if (sa === 0 && a[0] === 1) {
    out.fill(1, 0, n);
    return;
  }
  wasmPow(a, sa, b, sb, out, n);
};
