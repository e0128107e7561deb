/**
 * Ref, the one rolling kernel (SPEC §2.4) in TypeScript: a copy of shifted
 * rows (the evaluator usually passes a view instead). The others, including
 * TsDelta and TsPctChange (elementwise on two row ranges), are WebAssembly:
 * compiled.ts.
 *
 * Layout: `src` is [nOut + back][nStocks], `out` is [nOut][nStocks]; output row r
 * is the window of source rows r .. r + w - 1 (see kernels/types.ts).
 */
import type { RollingKernel } from './types.js';

/** Ref: output row r = source row r (the evaluator passes rows shifted by w; usually a view, no copy). */
export const refKernel: RollingKernel = (src, out, nOut, nS) => {
  out.set(src.subarray(0, nOut * nS));
};
