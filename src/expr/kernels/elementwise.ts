/**
 * The elementwise kernel that stays in TypeScript: Pow, for the bits of V8's
 * Math.pow (but its common exponents 2 and 0.5 run as WebAssembly, as do the
 * other elementwise kernels and the cross-sectional Rank: compiled.ts). IEEE semantics (NaN propagates); Pow follows C's
 * pow (as PyTorch does) where JavaScript differs: pow(1, y) = 1 and
 * pow(-1, ±inf) = 1.
 */
import { Unary, wasmUnary } from '../wasm/index.js';
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
    // x > 0, so WebAssembly gives the same bits without the slow generic pow.
    if (y === 2) return powSquare(a, out, 1, n);
    if (y === 0.5) return powHalf(a, out, 1, n);
  }
  for (let i = 0; i < n; i++) out[i] = cPow(a[i * sa], b[i * sb]);
};
