/** The GFN pool's IC sums (src/pool/arena.ts). */
import { ld, st, vld, vsplat } from './memory';

/**
 * Per day, the sum of x * y over the day's nS cells, as src/pool/normalized.ts
 * adds them (two accumulators, even and odd cells of the day: here the two
 * SIMD lanes, so the same bits), into out[d].
 */
export function dayDots(pX: usize, pY: usize, nDays: i32, nS: i32, pOut: usize): void {
  for (let d = 0; d < nDays; d++) {
    const o = d * nS;
    const end = o + nS;
    let acc = vsplat(0);
    let i = o;
    for (; i + 1 < end; i += 2) acc = f64x2.add(acc, f64x2.mul(vld(pX, i), vld(pY, i)));
    let s0 = f64x2.extract_lane(acc, 0);
    const s1 = f64x2.extract_lane(acc, 1);
    if (i < end) s0 += ld(pX, i) * ld(pY, i);
    st(pOut, d, s0 + s1);
  }
}

/**
 * dayDots of x with each of a, b, c, d in one pass over x, into out[k * nDays + d]
 * (k = 0..3). Four independent accumulator pairs keep the adds in flight; each
 * sum adds in dayDots' order, so each equals dayDots to the bit. Fewer than four
 * partners: repeat one (its loads then come from cache).
 */
export function dayDots4(pX: usize, pA: usize, pB: usize, pC: usize, pD: usize, nDays: i32, nS: i32, pOut: usize): void {
  for (let d = 0; d < nDays; d++) {
    const o = d * nS;
    const end = o + nS;
    let accA = vsplat(0);
    let accB = vsplat(0);
    let accC = vsplat(0);
    let accD = vsplat(0);
    let i = o;
    for (; i + 1 < end; i += 2) {
      const x = vld(pX, i);
      accA = f64x2.add(accA, f64x2.mul(x, vld(pA, i)));
      accB = f64x2.add(accB, f64x2.mul(x, vld(pB, i)));
      accC = f64x2.add(accC, f64x2.mul(x, vld(pC, i)));
      accD = f64x2.add(accD, f64x2.mul(x, vld(pD, i)));
    }
    let a0 = f64x2.extract_lane(accA, 0);
    let b0 = f64x2.extract_lane(accB, 0);
    let c0 = f64x2.extract_lane(accC, 0);
    let d0 = f64x2.extract_lane(accD, 0);
    if (i < end) {
      const x = ld(pX, i);
      a0 += x * ld(pA, i);
      b0 += x * ld(pB, i);
      c0 += x * ld(pC, i);
      d0 += x * ld(pD, i);
    }
    st(pOut, d, a0 + f64x2.extract_lane(accA, 1));
    st(pOut, nDays + d, b0 + f64x2.extract_lane(accB, 1));
    st(pOut, 2 * nDays + d, c0 + f64x2.extract_lane(accC, 1));
    st(pOut, 3 * nDays + d, d0 + f64x2.extract_lane(accD, 1));
  }
}
