/** The radix sort shared by Rank and the metrics (IndexSorter), Rank itself, and daily RankIC. */
import { fillI, ld, ldi, st, sti } from './memory';

/** Order-preserving 32-bit key from the high word of a double (-0 -> +0 first). */
@inline function keyOf(x: f64): u32 {
  const h = <u32>(reinterpret<u64>(x + 0.0) >> 32);
  return (h & 0x80000000) != 0 ? ~h : h ^ 0x80000000;
}

/**
 * Stable sort of positions 0..n-1 by vals[0..n) (no NaN; -0 equals +0): LSD
 * radix sort on the high 32 bits of each double (made order-preserving), 8
 * bits per pass, skipping passes where every key has the same byte; then
 * runs of equal high words put in exact value order by insertion (stable).
 * Branch-free passes instead of ~n log n unpredictable comparisons.
 * Scratch: sortPositionsScratch bytes: keysA, keysB, posB (n i32 each), count
 * (1024 i32); the sorted positions end in pPos (n i32).
 */
export function sortPositionsScratch(n: f64): f64 {
  return (3 * n + 1024) * 4;
}
export function sortPositions(pVals: usize, n: i32, pPos: usize, pScratch: usize): void {
  const kA = pScratch;
  const kB = kA + ((<usize>n) << 2);
  const pB = kB + ((<usize>n) << 2);
  const cnt = pB + ((<usize>n) << 2);
  fillI(cnt, 1024, 0);
  for (let k = 0; k < n; k++) {
    const key = keyOf(ld(pVals, k));
    sti(kA, k, <i32>key);
    sti(pPos, k, k);
    sti(cnt, <i32>(key & 255), ldi(cnt, <i32>(key & 255)) + 1);
    sti(cnt, 256 + <i32>((key >>> 8) & 255), ldi(cnt, 256 + <i32>((key >>> 8) & 255)) + 1);
    sti(cnt, 512 + <i32>((key >>> 16) & 255), ldi(cnt, 512 + <i32>((key >>> 16) & 255)) + 1);
    sti(cnt, 768 + <i32>(key >>> 24), ldi(cnt, 768 + <i32>(key >>> 24)) + 1);
  }
  if (n == 0) return;
  let keys = kA;
  let pos = pPos;
  let keys2 = kB;
  let pos2 = pB;
  for (let pass = 0; pass < 4; pass++) {
    const shift = <u32>(pass << 3);
    const base = pass << 8;
    if (ldi(cnt, base + <i32>((<u32>ldi(keys, 0) >>> shift) & 255)) == n) continue; // every key has this byte
    let sum = 0;
    for (let b = base; b < base + 256; b++) {
      const c = ldi(cnt, b);
      sti(cnt, b, sum);
      sum += c;
    }
    for (let k = 0; k < n; k++) {
      const key = <u32>ldi(keys, k);
      const slot = base + <i32>((key >>> shift) & 255);
      const dst = ldi(cnt, slot);
      sti(cnt, slot, dst + 1);
      sti(keys2, dst, <i32>key);
      sti(pos2, dst, ldi(pos, k));
    }
    const tk = keys;
    keys = keys2;
    keys2 = tk;
    const tp = pos;
    pos = pos2;
    pos2 = tp;
  }
  // Equal high words: exact order by value, stable.
  for (let k = 1; k < n; k++) {
    const key = ldi(keys, k);
    if (key != ldi(keys, k - 1)) continue;
    const p = ldi(pos, k);
    const v = ld(pVals, p);
    let j = k;
    while (j > 0 && ldi(keys, j - 1) == key && ld(pVals, ldi(pos, j - 1)) > v) {
      sti(pos, j, ldi(pos, j - 1));
      j--;
    }
    sti(pos, j, p);
  }
  if (pos != pPos) for (let k = 0; k < n; k++) sti(pPos, k, ldi(pos, k));
}

/**
 * Cross-sectional rank per row: non-NaN values ascending, ties in stock order,
 * value = position / n; NaN stays NaN.
 * Scratch: rankRowsScratch bytes: vals (nS f64), stock, sorted (nS i32 each), then sortPositions' scratch.
 */
export function rankRowsScratch(nS: f64): f64 {
  return nS * 8 + 2 * nS * 4 + sortPositionsScratch(nS);
}
export function rankRows(pSrc: usize, pOut: usize, nRows: i32, nS: i32, pScratch: usize): void {
  const vals = pScratch;
  const stock = vals + ((<usize>nS) << 3);
  const sorted = stock + ((<usize>nS) << 2);
  const sortScratch = sorted + ((<usize>nS) << 2);
  for (let r = 0; r < nRows; r++) {
    const row = pSrc + ((<usize>(r * nS)) << 3);
    const orow = pOut + ((<usize>(r * nS)) << 3);
    let n = 0;
    for (let s = 0; s < nS; s++) {
      const x = ld(row, s);
      if (x != x) {
        st(orow, s, NaN);
        continue;
      }
      st(vals, n, x);
      sti(stock, n++, s);
    }
    sortPositions(vals, n, sorted, sortScratch);
    for (let k = 0; k < n; k++) st(orow, ldi(stock, ldi(sorted, k)), <f64>k / <f64>n);
  }
}


/** Average ranks (0-based, ties share their mean rank) of vals[0..n) into pRanks; `pos`: n i32 for the order. */
function averageRanks(pVals: usize, n: i32, pRanks: usize, pPos: usize, pSortScratch: usize): void {
  sortPositions(pVals, n, pPos, pSortScratch);
  let first = 0;
  while (first < n) {
    const x = ld(pVals, ldi(pPos, first));
    let last = first + 1;
    while (last < n && ld(pVals, ldi(pPos, last)) == x) last++;
    const avg = <f64>(first + last - 1) / 2;
    for (let k = first; k < last; k++) st(pRanks, ldi(pPos, k), avg);
    first = last;
  }
}

/**
 * Daily Spearman (src/metrics dailyRankIC): per day, the Pearson correlation
 * of the average ranks of a and b over the cells where neither is NaN
 * (population moments; a std below `guard`, the reference's 1e-3, makes the
 * denominator 1); NaN for a day without such a cell.
 * Scratch: dailyRankICScratch bytes: va, vb, ra, rb (nS f64 each), pos (nS i32), then sortPositions' scratch.
 */
export function dailyRankICScratch(nS: f64): f64 {
  return 4 * nS * 8 + nS * 4 + sortPositionsScratch(nS);
}
export function dailyRankIC(pA: usize, pB: usize, pOut: usize, nDays: i32, nS: i32, guard: f64, pScratch: usize): void {
  const va = pScratch;
  const vb = va + ((<usize>nS) << 3);
  const ra = vb + ((<usize>nS) << 3);
  const rb = ra + ((<usize>nS) << 3);
  const pos = rb + ((<usize>nS) << 3);
  const sortScratch = pos + ((<usize>nS) << 2);
  for (let d = 0; d < nDays; d++) {
    const o = d * nS;
    let n = 0;
    for (let s = 0; s < nS; s++) {
      const x = ld(pA, o + s);
      const y = ld(pB, o + s);
      if (x == x && y == y) {
        st(va, n, x);
        st(vb, n, y);
        n++;
      }
    }
    if (n == 0) {
      st(pOut, d, NaN);
      continue;
    }
    averageRanks(va, n, ra, pos, sortScratch);
    averageRanks(vb, n, rb, pos, sortScratch);
    let sx: f64 = 0;
    let sy: f64 = 0;
    for (let k = 0; k < n; k++) {
      sx += ld(ra, k);
      sy += ld(rb, k);
    }
    const fn = <f64>n;
    const mx = sx / fn;
    const my = sy / fn;
    let sxy: f64 = 0;
    let vx: f64 = 0;
    let vy: f64 = 0;
    for (let k = 0; k < n; k++) {
      const a = ld(ra, k);
      const b = ld(rb, k);
      sxy += a * b;
      vx += (a - mx) * (a - mx);
      vy += (b - my) * (b - my);
    }
    const cov = sxy / fn - mx * my;
    const stdX = Math.sqrt(vx / fn);
    const stdY = Math.sqrt(vy / fn);
    st(pOut, d, cov / (stdX < guard || stdY < guard ? 1 : stdX * stdY));
  }
}
