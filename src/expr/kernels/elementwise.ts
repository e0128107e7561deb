/**
 * The elementwise kernels that stay in TypeScript: SLog1p, Log and Pow, whose
 * V8 Math.log / Math.pow are correctly rounded (AssemblyScript's are not
 * always); the others and the cross-sectional Rank are WebAssembly (compiled.ts).
 * IEEE semantics throughout (NaN propagates); Pow follows C's pow (as PyTorch
 * does) where JavaScript differs: pow(1, y) = 1 and pow(-1, ±inf) = 1.
 */
import type { BinaryKernel, UnaryKernel } from './types.js';

/** sign(x) * log1p(|x|); sign(±0) = +0 as in PyTorch. */
export const slog1pKernel: UnaryKernel = (src, out, nRows, nStocks) => {
  const n = nRows * nStocks;
  for (let i = 0; i < n; i++) {
    const x = src[i];
    const a = Math.abs(x);
    // log(1 + a) loses nothing that matters for a > 1e-4 (relative error < 1e-12) and is faster than log1p.
    const l = a > 1e-4 ? Math.log(1 + a) : Math.log1p(a);
    // sign(x) * l without a data-dependent branch (signs are random: mispredicted);
    // l is 0 for ±0, so the product is +0.
    out[i] = (+(x > 0) - +(x < 0)) * l + (x === x ? 0 : NaN);
  }
};

export const logKernel: UnaryKernel = (src, out, nRows, nStocks) => {
  const n = nRows * nStocks;
  for (let i = 0; i < n; i++) out[i] = Math.log(src[i]);
};

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
