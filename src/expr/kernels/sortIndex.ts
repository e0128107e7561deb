/**
 * Stable ordering of a row's values (cross-sectional Rank, RankIC): LSD radix
 * sort on the high 32 bits of each double (made order-preserving), 8 bits per
 * pass, skipping passes where every key has the same byte; then runs whose
 * high words are equal are put in exact value order by insertion (stable).
 * Branch-free passes instead of ~n log n unpredictable comparisons: several
 * times faster than a comparison sort for a few hundred stocks. Keys are
 * Int32 (only their bytes matter; Uint32 values above 2^31 are doubles to V8)
 * and the four byte histograms are counted in one pass: together measured
 * 1.5x faster than Uint32 keys with one counting pass per byte.
 */
/** Index of the high 32-bit half of a double in an Int32Array view. */
const HIGH_WORD = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1 ? 1 : 0;

export class IndexSorter {
  private readonly keyA: Int32Array;
  private readonly keyB: Int32Array;
  private readonly idxB: Int32Array;
  private readonly count = new Int32Array(1024);
  private readonly f64: Float64Array;
  private readonly w32: Int32Array;

  constructor(readonly capacity: number) {
    this.keyA = new Int32Array(capacity);
    this.keyB = new Int32Array(capacity);
    this.idxB = new Int32Array(capacity);
    this.f64 = new Float64Array(capacity);
    this.w32 = new Int32Array(this.f64.buffer);
  }

  /**
   * Reorders idx[0..n) so that values[offset + idx[k]] ascend; equal values
   * keep their order in idx. The values must not be NaN (-0 equals +0).
   */
  sort(values: Float64Array, offset: number, idx: Int32Array, n: number): void {
    if (n > this.capacity) throw new Error(`IndexSorter: ${n} values, capacity ${this.capacity}`);
    const f64 = this.f64;
    const w32 = this.w32;
    let keys = this.keyA;
    let ids = idx;
    let keys2 = this.keyB;
    let ids2 = this.idxB;
    const hw = HIGH_WORD;
    const count = this.count; // [pass][byte]
    count.fill(0);
    // Through a Float64Array to read the words of each value.
    for (let k = 0; k < n; k++) f64[k] = values[offset + idx[k]] + 0; // -0 -> +0
    for (let k = 0; k < n; k++) {
      const h = w32[2 * k + hw];
      // Order-preserving: flip all bits of negatives, the sign bit of the rest.
      const key = h < 0 ? ~h : h ^ 0x80000000;
      keys[k] = key;
      count[key & 255]++;
      count[256 + ((key >>> 8) & 255)]++;
      count[512 + ((key >>> 16) & 255)]++;
      count[768 + (key >>> 24)]++;
    }
    for (let pass = 0, shift = 0; pass < 4; pass++, shift += 8) {
      const base = pass << 8;
      if (count[base + ((keys[0] >>> shift) & 255)] === n) continue; // every key has this byte
      let sum = 0;
      for (let b = base; b < base + 256; b++) {
        const c = count[b];
        count[b] = sum;
        sum += c;
      }
      for (let k = 0; k < n; k++) {
        const key = keys[k];
        const dst = count[base + ((key >>> shift) & 255)]++;
        keys2[dst] = key;
        ids2[dst] = ids[k];
      }
      const tk = keys;
      keys = keys2;
      keys2 = tk;
      const ti = ids;
      ids = ids2;
      ids2 = ti;
    }
    // Equal high words: exact order by value, stable.
    for (let k = 1; k < n; k++) {
      const key = keys[k];
      if (key !== keys[k - 1]) continue;
      const id = ids[k];
      const v = values[offset + id];
      let j = k;
      while (j > 0 && keys[j - 1] === key && values[offset + ids[j - 1]] > v) {
        ids[j] = ids[j - 1];
        j--;
      }
      ids[j] = id;
    }
    if (ids !== idx) idx.set(ids.subarray(0, n));
  }
}
