/**
 * Timing helpers shared by the benches (not a bench itself: run.ts loads
 * *.bench.ts only): the median, and two ways of doing each of n items timed
 * interleaved, item by item and run after run (the machine's speed drifts, so
 * both sides see the same moments).
 */

export interface Interleaved {
  /** ms per item per run, for each side. */
  a: number[][];
  b: number[][];
  /** ms of each run's whole pass, for each side. */
  totalA: number[];
  totalB: number[];
}

export function timeInterleaved(n: number, runs: number, a: (i: number) => void, b: (i: number) => void): Interleaved {
  const out: Interleaved = { a: Array.from({ length: n }, () => []), b: Array.from({ length: n }, () => []), totalA: [], totalB: [] };
  for (let r = 0; r < runs; r++) {
    let sumA = 0;
    let sumB = 0;
    for (let i = 0; i < n; i++) {
      let t = performance.now();
      a(i);
      const dA = performance.now() - t;
      t = performance.now();
      b(i);
      const dB = performance.now() - t;
      out.a[i].push(dA);
      out.b[i].push(dB);
      sumA += dA;
      sumB += dB;
    }
    out.totalA.push(sumA);
    out.totalB.push(sumB);
  }
  return out;
}

/** The middle value (the upper one of an even count). */
export function median(xs: readonly number[]): number {
  const s = [...xs].sort((p, q) => p - q);
  return s[Math.floor(s.length / 2)];
}

/**
 * The machine's speed at this moment: a plain loop adding 302,560 doubles (one
 * 610 x 496 matrix), median ms of 21 runs. These VMs drift (the same loop has
 * read 0.28 ms at one moment and 0.56 ms at another), so a bench prints this
 * next to its numbers to tell a slower engine from a slower moment.
 */
export function machineProbeMs(): number {
  const x = new Float64Array(302560).map((_, i) => (i % 97) * 0.5);
  const t: number[] = [];
  let sink = 0;
  for (let r = 0; r < 21; r++) {
    const t0 = performance.now();
    let s = 0;
    for (let i = 0; i < x.length; i++) s += x[i];
    t.push(performance.now() - t0);
    sink += s;
  }
  return sink === -1 ? NaN : median(t);
}
