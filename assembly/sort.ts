/** The radix sort shared by Rank and the metrics, Rank itself, daily RankIC and the ranks of a target (rankDays). */
import { ld, ldi, pin, st, sti, vsplat } from './memory';

/** Order-preserving 32-bit key from the high word of a double (-0 -> +0 first). */
@inline function keyOf(x: f64): u32 {
  const h = <u32>(reinterpret<u64>(x + 0.0) >> 32);
  return (h & 0x80000000) != 0 ? ~h : h ^ 0x80000000;
}

/** Insertion moves per value beyond which a narrow sort's fix-up gives way to the full radix sort. */
const NARROW_BUDGET: i32 = 2;

/**
 * LSD radix passes over packed (key << 32 | position) u64s in src[0, n): pass
 * p sorts stably on the key's 8 bits from shift0 + 8p (p < passes: 2 or 3, or 4
 * with shift0 = 0), skipped when those bits of `varying` are all 0; returns
 * where the result ends (src or dst). cnt: 4 x 256 i32.
 */
function radixPasses(src: usize, dst: usize, n: i32, shift0: u32, passes: i32, varying: u32, cnt: usize): usize {
  memory.fill(cnt, 0, (<usize>passes) << 10); // 256 i32 per pass
  let mask: u32 = 0; // passes that run
  for (let p = 0; p < passes; p++) if (((varying >>> (shift0 + (<u32>p << 3))) & 255) != 0) mask |= 1 << p;
  // Histograms of every pass's digit in one read (unused ones are never read).
  for (let k = 0; k < n; k++) {
    const key = <u32>(load<u64>(src + ((<usize>k) << 3)) >> 32) >>> shift0;
    const d0 = <i32>(key & 255);
    const d1 = 256 + <i32>((key >>> 8) & 255);
    sti(cnt, d0, ldi(cnt, d0) + 1);
    sti(cnt, d1, ldi(cnt, d1) + 1);
    if (passes > 2) {
      const d2 = 512 + <i32>((key >>> 16) & 255);
      sti(cnt, d2, ldi(cnt, d2) + 1);
    }
    if (passes > 3) {
      const d3 = 768 + <i32>((key >>> 24) & 255);
      sti(cnt, d3, ldi(cnt, d3) + 1);
    }
  }
  let from = src;
  let to = dst;
  for (let p = 0; p < passes; p++) {
    if ((mask & (1 << p)) == 0) continue;
    const base = p << 8;
    const shift = <u64>(32 + shift0 + (<u32>p << 3));
    let sum = 0;
    for (let d = base; d < base + 256; d++) {
      const c = ldi(cnt, d);
      sti(cnt, d, sum);
      sum += c;
    }
    for (let k = 0; k < n; k++) {
      const v = load<u64>(from + ((<usize>k) << 3));
      const slot = base + <i32>((v >> shift) & 255);
      const at = ldi(cnt, slot);
      sti(cnt, slot, at + 1);
      store<u64>(to + ((<usize>at) << 3), v);
    }
    const t = from;
    from = to;
    to = t;
  }
  return from;
}

/**
 * Orders runs of packed entries whose keys agree above bit `lo` by exact
 * value, stably (insertion); gives up (false) after `budget` moves.
 */
function fixUp(packed: usize, n: i32, pVals: usize, lo: u32, budget: i32): bool {
  let moves = 0;
  for (let k = 1; k < n; k++) {
    const e = load<u64>(packed + ((<usize>k) << 3));
    const prefix = <u32>(e >> 32) >>> lo;
    if (<u32>(load<u64>(packed + ((<usize>(k - 1)) << 3)) >> 32) >>> lo != prefix) continue;
    const v = ld(pVals, <i32>(<u32>e));
    let j = k;
    while (j > 0) {
      const f = load<u64>(packed + ((<usize>(j - 1)) << 3));
      if (<u32>(f >> 32) >>> lo != prefix || ld(pVals, <i32>(<u32>f)) <= v) break;
      store<u64>(packed + ((<usize>j) << 3), f);
      j--;
    }
    store<u64>(packed + ((<usize>j) << 3), e);
    moves += k - j;
    if (moves > budget) return false;
  }
  return true;
}

/**
 * Stable sort of packed (key << 32 | index) u64s in a[0, n) by vals[index]
 * (no NaN; -0 equals +0; `varying`: the key bits that differ between
 * entries): LSD radix passes on the key (the double's high 32 bits made
 * order-preserving), then equal keys put in exact value order by insertion
 * (stable). Only key bits that vary are sorted on, first just the 16
 * highest varying ones (two passes; 24 in three when the sign varies): the
 * rest is a short insertion fix-up unless the values crowd (more than
 * NARROW_BUDGET moves per value), which then takes all varying bytes. (Those passes can
 * start from the fix-up's partial order: passes and insertion are both
 * stable, so equal values are still in entry order and the result is the
 * same.) Branch-free passes instead of ~n log n unpredictable comparisons.
 * Returns where the sorted entries are (a or b, n u64 each); cnt: 4 x 256 i32.
 */
function sortPacked(a: usize, b: usize, n: i32, pVals: usize, varying: u32, cnt: usize): usize {
  if (varying == 0) {
    fixUp(a, n, pVals, 0, i32.MAX_VALUE); // one key: exact values decide
    return a;
  }
  // Narrow: the key's highest varying bits first, the rest left to the fix-up.
  // One sign: 16 bits (two passes). Both signs: the sign and exponent take 12
  // of them and cluster, so 24 (three passes).
  const hi = 31 - <i32>clz<u32>(varying);
  const narrowPasses = hi == 31 ? 3 : 2;
  const lo = <u32>max<i32>(0, hi + 1 - 8 * narrowPasses);
  const narrow = radixPasses(a, b, n, lo, narrowPasses, varying, cnt);
  if (fixUp(narrow, n, pVals, lo, NARROW_BUDGET * n)) return narrow;
  const sorted = radixPasses(a, b, n, 0, 4, varying, cnt);
  fixUp(sorted, n, pVals, 0, i32.MAX_VALUE);
  return sorted;
}

/** Bytes for sorting up to n values: two packed arrays (n u64 each) and the radix counts (4 x 256 i32). */
function sortScratchBytes(n: f64): f64 {
  return n * 8 * 2 + 1024 * 4;
}

/** The position (low word) of the k-th sorted entry. */
@inline function entryAt(sorted: usize, k: i32): i32 {
  return <i32>(<u32>load<u64>(sorted + ((<usize>k) << 3)));
}

/** One past the tie group of sorted entries that starts at `first`: the entries whose values in vals are equal. */
@inline function tieGroupEnd(sorted: usize, first: i32, n: i32, vals: usize): i32 {
  const x = ld(vals, entryAt(sorted, first));
  let last = first + 1;
  while (last < n && ld(vals, entryAt(sorted, last)) == x) last++;
  return last;
}

/** Average ranks (0-based, ties share their mean rank) of n sorted entries, written to ranks at their positions. */
@inline function writeAverageRanks(sorted: usize, n: i32, vals: usize, ranks: usize): void {
  let first = 0;
  while (first < n) {
    const last = tieGroupEnd(sorted, first, n, vals);
    const avg = <f64>(first + last - 1) / 2;
    for (let k = first; k < last; k++) st(ranks, entryAt(sorted, k), avg);
    first = last;
  }
}

/**
 * Packs a row's non-NaN cells as sort entries (key << 32 | stock) into a and
 * writes NaN to out at its NaN cells; returns how many entries (low word) and
 * the key bits that differ between them (high word).
 */
@inline function packRow(row: usize, out: usize, nS: i32, a: usize): u64 {
  let n = 0;
  let orAll: u32 = 0;
  let andAll: u32 = 0xffffffff;
  for (let s = 0; s < nS; s++) {
    const x = ld(row, s);
    if (x != x) {
      st(out, s, NaN);
      continue;
    }
    const key = keyOf(x);
    orAll |= key;
    andAll &= key;
    store<u64>(a + ((<usize>n) << 3), (<u64>key << 32) | <u64>(<u32>s));
    n++;
  }
  return (<u64>(orAll ^ andAll) << 32) | <u64>(<u32>n);
}

/**
 * Cross-sectional rank per row: non-NaN values ascending, ties in stock order,
 * value = position / n; NaN stays NaN. Entries index the row itself (key << 32
 * | stock), so nothing is copied out of it and the sorted entries name their
 * output cells.
 * Scratch: rankRowsScratch bytes: sortScratchBytes(nS).
 */
export function rankRowsScratch(nS: f64): f64 {
  return sortScratchBytes(nS);
}
export function rankRows(pSrc: usize, pOut: usize, nRows: i32, nS: i32, pScratch: usize): void {
  const a = pScratch;
  const b = a + ((<usize>nS) << 3);
  const cnt = b + ((<usize>nS) << 3);
  for (let r = 0; r < nRows; r++) {
    const row = pSrc + ((<usize>(r * nS)) << 3);
    const orow = pOut + ((<usize>(r * nS)) << 3);
    const packed = packRow(row, orow, nS, a);
    const n = <i32>(<u32>packed);
    const sorted = sortPacked(a, b, n, row, <u32>(packed >> 32), cnt);
    // Two positions per division (k / n, correctly rounded either way): the divider is the bottleneck here.
    const fn = pin(vsplat(<f64>n));
    let kv = f64x2(0, 1);
    let k = 0;
    for (; k + 1 < n; k += 2) {
      const q = f64x2.div(kv, fn);
      st(orow, entryAt(sorted, k), f64x2.extract_lane(q, 0));
      st(orow, entryAt(sorted, k + 1), f64x2.extract_lane(q, 1));
      kv = f64x2.add(kv, vsplat(2));
    }
    if (k < n) st(orow, entryAt(sorted, k), <f64>k / f64x2.extract_lane(fn, 0));
  }
}


/** Average ranks (0-based, ties share their mean rank) of vals[0..n) (no NaN) into pRanks. Scratch: sortScratchBytes(n). */
function averageRanks(pVals: usize, n: i32, pRanks: usize, pScratch: usize): void {
  const a = pScratch;
  const b = a + ((<usize>n) << 3);
  const cnt = b + ((<usize>n) << 3);
  let orAll: u32 = 0;
  let andAll: u32 = 0xffffffff;
  for (let k = 0; k < n; k++) {
    const key = keyOf(ld(pVals, k));
    orAll |= key;
    andAll &= key;
    store<u64>(a + ((<usize>k) << 3), (<u64>key << 32) | <u64>(<u32>k));
  }
  writeAverageRanks(sortPacked(a, b, n, pVals, orAll ^ andAll, cnt), n, pVals, pRanks);
}

/** Population Pearson of ra[0, n) and rb[0, n) with the reference's guard (a std below it makes the denominator 1). */
function rankPearson(ra: usize, rb: usize, n: i32, guard: f64): f64 {
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
  return cov / (stdX < guard || stdY < guard ? 1 : stdX * stdY);
}

/**
 * Daily Spearman (src/metrics dailyRankIC): per day, the Pearson correlation
 * of the average ranks of a and b over the cells where neither is NaN
 * (population moments; a std below `guard`, the reference's 1e-3, makes the
 * denominator 1); NaN for a day without such a cell.
 * Scratch: dailyRankICScratch bytes: va, vb, ra, rb (nS f64 each), then sortScratchBytes(nS).
 */
export function dailyRankICScratch(nS: f64): f64 {
  return 4 * nS * 8 + sortScratchBytes(nS);
}
export function dailyRankIC(pA: usize, pB: usize, pOut: usize, nDays: i32, nS: i32, guard: f64, pScratch: usize): void {
  dailyRankICWith(pA, pB, 0, 0, pOut, nDays, nS, guard, pScratch);
}

/**
 * dailyRankIC with b ranked beforehand (rankDays: its average ranks per day
 * over its own non-NaN cells, and their count): on a day where a is valid
 * wherever b is, b's ranks over the shared cells are those, so only a is
 * sorted. The same values as dailyRankIC.
 * Scratch: dailyRankICScratch(nS) bytes.
 */
export function dailyRankICRanked(pA: usize, pB: usize, pRanksB: usize, pCountsB: usize, pOut: usize, nDays: i32, nS: i32, guard: f64, pScratch: usize): void {
  dailyRankICWith(pA, pB, pRanksB, pCountsB, pOut, nDays, nS, guard, pScratch);
}

/**
 * Days of at most this many cells have exact rank sums: average ranks are
 * multiples of 1/2 below n, so every sum of products and squares of centred
 * ranks is a multiple of 1/4 below n^3 / 4 < 2^53 and adds without rounding,
 * in any order.
 */
const EXACT_RANK_SUMS: i32 = 65536;

/**
 * rankPearson of a's average ranks and rb[0, n), without writing a's ranks:
 * a's values va[0, n) come packed (key << 32 | k, as averageRanks packs
 * them; `varying`: their key bits that differ; sorted here in
 * sortScratchBytes(n) of scratch), and one pass over a's sorted order adds a * b and the
 * squares tie group by tie group. Every sum is exact (n <= EXACT_RANK_SUMS)
 * and the means are (n - 1) / 2 exactly (ranks sum to n (n - 1) / 2 whatever
 * the ties), so the result has rankPearson's bits.
 */
function rankPearsonOfValues(va: usize, packed: usize, varying: u32, rb: usize, n: i32, guard: f64, pSortScratch: usize): f64 {
  const sorted = sortPacked(packed, pSortScratch, n, va, varying, pSortScratch + ((<usize>n) << 3));
  const fn = <f64>n;
  const mean = <f64>(n - 1) / 2; // both sides' mean rank
  let sxy: f64 = 0;
  let vx: f64 = 0;
  let vy: f64 = 0;
  let first = 0;
  while (first < n) {
    const last = tieGroupEnd(sorted, first, n, va);
    const avg = <f64>(first + last - 1) / 2;
    for (let k = first; k < last; k++) {
      const y = ld(rb, entryAt(sorted, k));
      sxy += avg * y;
      vy += (y - mean) * (y - mean);
    }
    vx += <f64>(last - first) * ((avg - mean) * (avg - mean));
    first = last;
  }
  const cov = sxy / fn - mean * mean;
  const stdX = Math.sqrt(vx / fn);
  const stdY = Math.sqrt(vy / fn);
  return cov / (stdX < guard || stdY < guard ? 1 : stdX * stdY);
}

/** dailyRankIC, using b's ranks from rankDays where they apply (pRanksB 0: none). */
function dailyRankICWith(pA: usize, pB: usize, pRanksB: usize, pCountsB: usize, pOut: usize, nDays: i32, nS: i32, guard: f64, pScratch: usize): void {
  const va = pScratch;
  const vb = va + ((<usize>nS) << 3);
  const ra = vb + ((<usize>nS) << 3);
  const rb = ra + ((<usize>nS) << 3);
  const sortScratch = rb + ((<usize>nS) << 3);
  for (let d = 0; d < nDays; d++) {
    const o = d * nS;
    let n = 0;
    let orAll: u32 = 0;
    let andAll: u32 = 0xffffffff;
    for (let s = 0; s < nS; s++) {
      const x = ld(pA, o + s);
      const y = ld(pB, o + s);
      if (x == x && y == y) {
        st(va, n, x);
        st(vb, n, y);
        if (pRanksB) st(rb, n, ld(pRanksB, o + s));
        // a's sort entries, in ra's place (its ranks are not written on this path)
        const key = keyOf(x);
        orAll |= key;
        andAll &= key;
        store<u64>(ra + ((<usize>n) << 3), (<u64>key << 32) | <u64>(<u32>n));
        n++;
      }
    }
    if (n == 0) {
      st(pOut, d, NaN);
      continue;
    }
    if (!pRanksB || n != ldi(pCountsB, d)) averageRanks(vb, n, rb, sortScratch);
    if (n <= EXACT_RANK_SUMS) st(pOut, d, rankPearsonOfValues(va, ra, orAll ^ andAll, rb, n, guard, sortScratch));
    else {
      averageRanks(va, n, ra, sortScratch);
      st(pOut, d, rankPearson(ra, rb, n, guard));
    }
  }
}

/**
 * Per day, the average ranks of b over its non-NaN cells, at their stocks
 * (NaN elsewhere), and how many cells that is (for dailyRankICRanked). As
 * rankRows, the sort entries index the day's row itself (key << 32 | stock),
 * so each tie group's rank is written straight to its stocks (pRanks must not
 * overlap pB: the row is read while ranks are written).
 * Scratch: rankDaysScratch bytes: sortScratchBytes(nS).
 */
export function rankDaysScratch(nS: f64): f64 {
  return sortScratchBytes(nS);
}
export function rankDays(pB: usize, pRanks: usize, pCounts: usize, nDays: i32, nS: i32, pScratch: usize): void {
  const a = pScratch;
  const b = a + ((<usize>nS) << 3);
  const cnt = b + ((<usize>nS) << 3);
  for (let d = 0; d < nDays; d++) {
    const row = pB + ((<usize>(d * nS)) << 3);
    const out = pRanks + ((<usize>(d * nS)) << 3);
    const packed = packRow(row, out, nS, a);
    const n = <i32>(<u32>packed);
    writeAverageRanks(sortPacked(a, b, n, row, <u32>(packed >> 32), cnt), n, row, out);
    sti(pCounts, d, n);
  }
}
