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

/** dayDots of x with y and of x with z in one pass over x. */
export function dayDots2(pX: usize, pY: usize, pZ: usize, nDays: i32, nS: i32, pOutY: usize, pOutZ: usize): void {
  for (let d = 0; d < nDays; d++) {
    const o = d * nS;
    const end = o + nS;
    let accY = vsplat(0);
    let accZ = vsplat(0);
    let i = o;
    for (; i + 1 < end; i += 2) {
      const x = vld(pX, i);
      accY = f64x2.add(accY, f64x2.mul(x, vld(pY, i)));
      accZ = f64x2.add(accZ, f64x2.mul(x, vld(pZ, i)));
    }
    let y0 = f64x2.extract_lane(accY, 0);
    let z0 = f64x2.extract_lane(accZ, 0);
    if (i < end) {
      y0 += ld(pX, i) * ld(pY, i);
      z0 += ld(pX, i) * ld(pZ, i);
    }
    st(pOutY, d, y0 + f64x2.extract_lane(accY, 1));
    st(pOutZ, d, z0 + f64x2.extract_lane(accZ, 1));
  }
}
