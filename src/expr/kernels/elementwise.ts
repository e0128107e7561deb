/**
 * The elementwise kernel that stays in TypeScript: Pow, for the bits of V8's
 * Math.pow (the other elementwise kernels and the cross-sectional Rank are
 * WebAssembly: compiled.ts). IEEE semantics (NaN propagates); Pow follows C's
 * pow (as PyTorch does) where JavaScript differs: pow(1, y) = 1 and
 * pow(-1, ±inf) = 1.
 */
import type { BinaryKernel } from './types.js';

/** C pow semantics (PyTorch): pow(1, anything) = 1, pow(-1, ±inf) = 1, pow(x, 0) = 1. */
export function cPow(x: number, y: number): number {
  if (x === 1) return 1;
  if (x === -1 && (y === Infinity || y === -Infinity)) return 1;
  return Math.pow(x, y);
}
export const powKernel: BinaryKernel = (a, sa, b, sb, out, n) => {
  if (sb === 0 && sa === 1) {
    const y = b[0];
    // fdlibm's pow (V8's Math.pow) returns x * x for y = 2 and sqrt(x) for y = 0.5 and
    // x >= +0, so these loops give the same bits without the slow generic pow.
    if (y === 2) {
      for (let i = 0; i < n; i++) out[i] = a[i] * a[i];
      return;
    }
    if (y === 0.5) {
      for (let i = 0; i < n; i++) {
        const x = a[i];
        out[i] = x > 0 ? Math.sqrt(x) : cPow(x, 0.5);
      }
      return;
    }
  }
  for (let i = 0; i < n; i++) out[i] = cPow(a[i * sa], b[i * sb]);
};
