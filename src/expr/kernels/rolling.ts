/**
 * Rolling kernels (SPEC §2.4) that read two end points of the window (like
 * the reference): Ref, TsDelta, TsPctChange. The stateful ones (window sums,
 * max / min, median, TsRank) are WebAssembly: compiled.ts.
 *
 * Layout: `src` is [nOut + back][nStocks], `out` is [nOut][nStocks]; output row r
 * is the window of source rows r .. r + w - 1 (see kernels/types.ts).
 */
import type { RollingKernel } from './types.js';

/** Ref: output row r = source row r (the evaluator passes rows shifted by w; usually a view, no copy). */
export const refKernel: RollingKernel = (src, out, nOut, nS) => {
  out.set(src.subarray(0, nOut * nS));
};

/** TsDelta(x, d) = x[t] - x[t-d]; source rows [lo - d, hi). */
export const tsDeltaKernel: RollingKernel = (src, out, nOut, nS, d) => {
  const n = nOut * nS;
  const back = d * nS;
  for (let i = 0; i < n; i++) out[i] = src[i + back] - src[i];
};

/** (last - first) / first over the window: only the two end points matter (as in the reference). */
export const tsPctChangeKernel: RollingKernel = (src, out, nOut, nS, w) => {
  const n = nOut * nS;
  const back = (w - 1) * nS;
  for (let i = 0; i < n; i++) {
    const first = src[i];
    out[i] = (src[i + back] - first) / first;
  }
};
