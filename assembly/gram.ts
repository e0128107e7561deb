/**
 * One day of src/combine/gram.ts DailyGram: the packed upper triangle of the
 * cross products of [alpha_0 .. alpha_{n-1}, 1, target] over the day's m rows.
 * Every sum adds in the TypeScript order (dot products: four interleaved
 * partial sums, here the lanes of two f64x2 accumulators), so the results are
 * the same bits.
 */
import { ld, st, vld, vsplat } from './memory';

/** TypeScript `dot`'s four partial sums s0..s3 (every fourth product), then s0 + s1 + s2 + s3. */
@inline function dot(a: usize, b: usize, m: i32): f64 {
  let s01 = vsplat(0);
  let s23 = vsplat(0);
  let r = 0;
  for (; r + 3 < m; r += 4) {
    s01 = f64x2.add(s01, f64x2.mul(vld(a, r), vld(b, r)));
    s23 = f64x2.add(s23, f64x2.mul(vld(a, r + 2), vld(b, r + 2)));
  }
  let s0 = f64x2.extract_lane(s01, 0);
  for (; r < m; r++) s0 += ld(a, r) * ld(b, r);
  return s0 + f64x2.extract_lane(s01, 1) + f64x2.extract_lane(s23, 0) + f64x2.extract_lane(s23, 1);
}

/** dot(a, b) and dot(a, c) in one pass over a (twice the independent adds in flight). */
@inline function dot2(a: usize, b: usize, c: usize, m: i32, out: usize, at: i32): void {
  let b01 = vsplat(0);
  let b23 = vsplat(0);
  let c01 = vsplat(0);
  let c23 = vsplat(0);
  let r = 0;
  for (; r + 3 < m; r += 4) {
    const a01 = vld(a, r);
    const a23 = vld(a, r + 2);
    b01 = f64x2.add(b01, f64x2.mul(a01, vld(b, r)));
    b23 = f64x2.add(b23, f64x2.mul(a23, vld(b, r + 2)));
    c01 = f64x2.add(c01, f64x2.mul(a01, vld(c, r)));
    c23 = f64x2.add(c23, f64x2.mul(a23, vld(c, r + 2)));
  }
  let b0 = f64x2.extract_lane(b01, 0);
  let c0 = f64x2.extract_lane(c01, 0);
  for (; r < m; r++) {
    b0 += ld(a, r) * ld(b, r);
    c0 += ld(a, r) * ld(c, r);
  }
  st(out, at, b0 + f64x2.extract_lane(b01, 1) + f64x2.extract_lane(b23, 0) + f64x2.extract_lane(b23, 1));
  st(out, at + 1, c0 + f64x2.extract_lane(c01, 1) + f64x2.extract_lane(c23, 0) + f64x2.extract_lane(c23, 1));
}

/**
 * cols: n columns of m values (column i at pCols + i * stride cells), y: m
 * values. out: the packed upper triangle (row-major) of the (n + 2) x (n + 2)
 * cross products: (i, j) = dot(col i, col j), (i, n) = sum of col i,
 * (i, n + 1) = dot(col i, y), (n, n) = m, (n, n + 1) = sum of y,
 * (n + 1, n + 1) = sum of y^2.
 */
export function dayGram(pCols: usize, stride: i32, n: i32, pY: usize, m: i32, pOut: usize): void {
  const p = n + 2;
  let k = 0; // packed index of (i, i)
  for (let i = 0; i < n; i++) {
    const ci = pCols + ((<usize>(i * stride)) << 3);
    let j = i;
    for (; j + 1 < n; j += 2) dot2(ci, pCols + ((<usize>(j * stride)) << 3), pCols + ((<usize>((j + 1) * stride)) << 3), m, pOut, k + j - i);
    if (j < n) st(pOut, k + j - i, dot(ci, pCols + ((<usize>(j * stride)) << 3), m));
    let sum: f64 = 0;
    for (let r = 0; r < m; r++) sum += ld(ci, r);
    st(pOut, k + n - i, sum);
    st(pOut, k + n + 1 - i, dot(ci, pY, m));
    k += p - i;
  }
  let sy: f64 = 0;
  let syy: f64 = 0;
  for (let r = 0; r < m; r++) {
    const v = ld(pY, r);
    sy += v;
    syy += v * v;
  }
  st(pOut, k, <f64>m);
  st(pOut, k + 1, sy);
  st(pOut, k + p - n, syy);
}
