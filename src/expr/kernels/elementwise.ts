/**
 * Pow: IEEE semantics (NaN propagates) with V8's Math.pow bits, and C's pow
 * (as PyTorch) where JavaScript differs: pow(1, y) = 1 and pow(-1, ±inf) = 1.
 * It runs as WebAssembly (assembly/pow.ts: fdlibm's algorithm as V8 compiles
 * it, two cells per SIMD step on its main path; the exponents 2 and 0.5 as
 * x * x and sqrt). `cPow` is the same function per cell in TypeScript: the
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
export const powKernel: BinaryKernel = (a, sa, b, sb, out, n) => {
  if (sb === 0 && sa === 1) {
    const y = b[0];
    // fdlibm's pow (V8's Math.pow) returns x * x for y = 2 and sqrt(x) for y = 0.5 and
    // x > 0: the same bits, whole SIMD steps.
    if (y === 2) return powSquare(a, out, 1, n);
    if (y === 0.5) return powHalf(a, out, 1, n);
  }
  wasmPow(a, sa, b, sb, out, n);
};
