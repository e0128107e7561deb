/** The GFN pool's kernels (src/pool/arena.ts): IC sums (one pair, four, or a batch), normalization, consistency distances. */
import { ld, st, vld, vsplat } from './memory';
import { normalizeTwoRows, twoRows } from './metrics';

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
  for (let d = 0; d < nDays; d++) dayDots4Rows(pA, pB, pC, pD, pX, d * nS, nS, pOut + ((<usize>d) << 3), nDays);
}

/**
 * src/metrics normalizeByDay (per day: (x - mean) / std over the non-NaN
 * cells, population std; NaN cells and 0 / 0 become 0) from pRaw into pOut,
 * then the day statistics src/pool/normalized.ts keeps of the result (mean and
 * population std over all nS cells) into pMean, pStd. Every sum adds in the
 * TypeScript order, one cell at a time (a NaN cell adds +0: the same bits as
 * skipping it, since these sums start at +0 and never become -0), so the
 * results are the same to the bit.
 */
export function normalizeDays(pRaw: usize, pOut: usize, nDays: i32, nS: i32, pMean: usize, pStd: usize): void {
  // Two days at a time, one per SIMD lane: each lane adds its own day's cells in order (the same sums), and
  // the two chains of dependent adds overlap. An odd last day runs in both lanes.
  for (let d = 0; d < nDays; d += 2) normalizeTwoDays(pRaw, pOut, d * nS, min(d + 1, nDays - 1) * nS, nS, pMean + ((<usize>d) << 3), pStd + ((<usize>d) << 3), d + 1 < nDays);
}

/** normalizeDays for the days at cell offsets oA and oB (lanes 0 and 1); their statistics to pMean[0..1], pStd[0..1] (only [0] when !both). */
@inline function normalizeTwoDays(pRaw: usize, pOut: usize, oA: i32, oB: i32, nS: i32, pMean: usize, pStd: usize, both: bool): void {
  normalizeTwoRows(pRaw, oA, oB, pOut, oA, oB, nS, both);
  // The day statistics of the normalized values (all nS cells).
  let total = vsplat(0);
  for (let s = 0; s < nS; s++) total = f64x2.add(total, twoRows(pOut, oA, oB, s));
  const fS = vsplat(<f64>nS);
  const m = f64x2.div(total, fS);
  let sq = vsplat(0);
  for (let s = 0; s < nS; s++) {
    const c = f64x2.sub(twoRows(pOut, oA, oB, s), m);
    sq = f64x2.add(sq, f64x2.mul(c, c));
  }
  const sd = f64x2.sqrt(f64x2.div(sq, fS));
  st(pMean, 0, f64x2.extract_lane(m, 0));
  st(pStd, 0, f64x2.extract_lane(sd, 0));
  if (both) {
    st(pMean, 1, f64x2.extract_lane(m, 1));
    st(pStd, 1, f64x2.extract_lane(sd, 1));
  }
}

/**
 * src/pool/consistency.ts meanSquaredDifference of a with each of b0..b3 (mean over days of the mean
 * over stocks of (a - b)^2, each in its order) into out[0..3]: four independent chains of adds in one
 * pass over a (one chain waits on each add's latency). Fewer partners: repeat one.
 */
export function meanSquaredDifference4(pA: usize, pB0: usize, pB1: usize, pB2: usize, pB3: usize, nDays: i32, nS: i32, pOut: usize): void {
  let total0: f64 = 0;
  let total1: f64 = 0;
  let total2: f64 = 0;
  let total3: f64 = 0;
  const fS = <f64>nS;
  for (let d = 0; d < nDays; d++) {
    const o = d * nS;
    let s0: f64 = 0;
    let s1: f64 = 0;
    let s2: f64 = 0;
    let s3: f64 = 0;
    for (let i = o; i < o + nS; i++) {
      const a = ld(pA, i);
      const d0 = a - ld(pB0, i);
      const d1 = a - ld(pB1, i);
      const d2 = a - ld(pB2, i);
      const d3 = a - ld(pB3, i);
      s0 += d0 * d0;
      s1 += d1 * d1;
      s2 += d2 * d2;
      s3 += d3 * d3;
    }
    total0 += s0 / fS;
    total1 += s1 / fS;
    total2 += s2 / fS;
    total3 += s3 / fS;
  }
  const fD = <f64>nDays;
  st(pOut, 0, total0 / fD);
  st(pOut, 1, total1 / fD);
  st(pOut, 2, total2 / fD);
  st(pOut, 3, total3 / fD);
}

/**
 * dayDots for one day and four x rows against one y row, into four sums (dayDots' order in each).
 * (dayDots4 keeps this form: through dayDots4x2Rows with its y repeated it measured 0.80-0.85x.)
 */
@inline function dayDots4Rows(x0: usize, x1: usize, x2: usize, x3: usize, y: usize, o: i32, nS: i32, out: usize, stride: i32): void {
  const end = o + nS;
  let a0 = vsplat(0);
  let a1 = vsplat(0);
  let a2 = vsplat(0);
  let a3 = vsplat(0);
  let i = o;
  for (; i + 1 < end; i += 2) {
    const v = vld(y, i);
    a0 = f64x2.add(a0, f64x2.mul(vld(x0, i), v));
    a1 = f64x2.add(a1, f64x2.mul(vld(x1, i), v));
    a2 = f64x2.add(a2, f64x2.mul(vld(x2, i), v));
    a3 = f64x2.add(a3, f64x2.mul(vld(x3, i), v));
  }
  let s0 = f64x2.extract_lane(a0, 0);
  let s1 = f64x2.extract_lane(a1, 0);
  let s2 = f64x2.extract_lane(a2, 0);
  let s3 = f64x2.extract_lane(a3, 0);
  if (i < end) {
    const v = ld(y, i);
    s0 += ld(x0, i) * v;
    s1 += ld(x1, i) * v;
    s2 += ld(x2, i) * v;
    s3 += ld(x3, i) * v;
  }
  st(out, 0, s0 + f64x2.extract_lane(a0, 1));
  st(out, stride, s1 + f64x2.extract_lane(a1, 1));
  st(out, 2 * stride, s2 + f64x2.extract_lane(a2, 1));
  st(out, 3 * stride, s3 + f64x2.extract_lane(a3, 1));
}

/**
 * dayDots for one day and four x rows against two y rows, into eight sums (dayDots' order in each):
 * eight independent add chains, enough to keep both SIMD adders busy (four chains wait on the adds'
 * latency). Sum (k, j) goes to out[k * stride + j * yStride].
 */
@inline function dayDots4x2Rows(x0: usize, x1: usize, x2: usize, x3: usize, y0: usize, y1: usize, o: i32, nS: i32, out: usize, stride: i32, yStride: i32): void {
  const end = o + nS;
  let a0 = vsplat(0);
  let a1 = vsplat(0);
  let a2 = vsplat(0);
  let a3 = vsplat(0);
  let b0 = vsplat(0);
  let b1 = vsplat(0);
  let b2 = vsplat(0);
  let b3 = vsplat(0);
  let i = o;
  for (; i + 1 < end; i += 2) {
    const v = vld(y0, i);
    const w = vld(y1, i);
    const u0 = vld(x0, i);
    const u1 = vld(x1, i);
    const u2 = vld(x2, i);
    const u3 = vld(x3, i);
    a0 = f64x2.add(a0, f64x2.mul(u0, v));
    b0 = f64x2.add(b0, f64x2.mul(u0, w));
    a1 = f64x2.add(a1, f64x2.mul(u1, v));
    b1 = f64x2.add(b1, f64x2.mul(u1, w));
    a2 = f64x2.add(a2, f64x2.mul(u2, v));
    b2 = f64x2.add(b2, f64x2.mul(u2, w));
    a3 = f64x2.add(a3, f64x2.mul(u3, v));
    b3 = f64x2.add(b3, f64x2.mul(u3, w));
  }
  let s0 = f64x2.extract_lane(a0, 0);
  let s1 = f64x2.extract_lane(a1, 0);
  let s2 = f64x2.extract_lane(a2, 0);
  let s3 = f64x2.extract_lane(a3, 0);
  let t0 = f64x2.extract_lane(b0, 0);
  let t1 = f64x2.extract_lane(b1, 0);
  let t2 = f64x2.extract_lane(b2, 0);
  let t3 = f64x2.extract_lane(b3, 0);
  if (i < end) {
    const v = ld(y0, i);
    const w = ld(y1, i);
    s0 += ld(x0, i) * v;
    s1 += ld(x1, i) * v;
    s2 += ld(x2, i) * v;
    s3 += ld(x3, i) * v;
    t0 += ld(x0, i) * w;
    t1 += ld(x1, i) * w;
    t2 += ld(x2, i) * w;
    t3 += ld(x3, i) * w;
  }
  st(out, 0, s0 + f64x2.extract_lane(a0, 1));
  st(out, stride, s1 + f64x2.extract_lane(a1, 1));
  st(out, 2 * stride, s2 + f64x2.extract_lane(a2, 1));
  st(out, 3 * stride, s3 + f64x2.extract_lane(a3, 1));
  st(out, yStride, t0 + f64x2.extract_lane(b0, 1));
  st(out, stride + yStride, t1 + f64x2.extract_lane(b1, 1));
  st(out, 2 * stride + yStride, t2 + f64x2.extract_lane(b2, 1));
  st(out, 3 * stride + yStride, t3 + f64x2.extract_lane(b3, 1));
}

/**
 * dayDots of each of nX alphas with each of nY others (byte offsets in the
 * i32 arrays pXs, pYs), into out[(x * nY + y) * nDays + d]: each sum equal to
 * dayDots(x, y) to the bit. Day by day, so an other's day row is read from
 * memory once for all the x (a window of candidates against a pool's members
 * reads the members once instead of once per candidate); four x and two y at a
 * time (dayDots4x2Rows). Scratch after the sums: 8 f64.
 */
export function dayDotsBatch(pXs: usize, nX: i32, pYs: usize, nY: i32, nDays: i32, nS: i32, pOut: usize): void {
  const stride = nY * nDays; // from one x's sums to the next x's
  const spare = pOut + ((<usize>(nX * stride)) << 3);
  const lastX = nX - 1;
  const lastY = nY - 1;
  for (let d = 0; d < nDays; d++) {
    const o = d * nS;
    for (let y = 0; y < nY; y += 2) {
      // An odd last y: paired with itself (its sums are written twice, the same).
      const pY0 = <usize>load<i32>(pYs + ((<usize>y) << 2));
      const pY1 = <usize>load<i32>(pYs + ((<usize>min(y + 1, lastY)) << 2));
      for (let x = 0; x < nX; x += 4) {
        // Fewer than four x left: repeat the last, sums into the spare, then the first k kept.
        const p0 = <usize>load<i32>(pXs + ((<usize>x) << 2));
        const p1 = <usize>load<i32>(pXs + ((<usize>min(x + 1, lastX)) << 2));
        const p2 = <usize>load<i32>(pXs + ((<usize>min(x + 2, lastX)) << 2));
        const p3 = <usize>load<i32>(pXs + ((<usize>min(x + 3, lastX)) << 2));
        const k = nX - x < 4 ? nX - x : 4;
        const out = pOut + ((<usize>((x * nY + y) * nDays + d)) << 3);
        if (k == 4) dayDots4x2Rows(p0, p1, p2, p3, pY0, pY1, o, nS, out, stride, y < lastY ? nDays : 0);
        else {
          dayDots4x2Rows(p0, p1, p2, p3, pY0, pY1, o, nS, spare, 1, 4);
          for (let j = 0; j < k; j++) {
            st(out, j * stride, ld(spare, j));
            if (y < lastY) st(out, j * stride + nDays, ld(spare, j + 4));
          }
        }
      }
    }
  }
}
