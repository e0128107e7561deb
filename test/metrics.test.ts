import { test } from 'node:test';
import assert from 'node:assert/strict';
import { alphaIC, alphaRankIC, dailyIC, dailyRankIC, normalizeByDay, RankedTarget, seriesStats, topQuantileReturn } from '../src/metrics/index.js';
import { Rng } from '../src/util/rng.js';

const close = (a: number, b: number, tol = 1e-12) => assert.ok(Math.abs(a - b) <= tol, `${a} != ${b}`);

function naivePearson(x: number[], y: number[]): number {
  const n = x.length;
  const mx = x.reduce((s, v) => s + v, 0) / n;
  const my = y.reduce((s, v) => s + v, 0) / n;
  let c = 0, vx = 0, vy = 0;
  for (let i = 0; i < n; i++) {
    c += (x[i] - mx) * (y[i] - my);
    vx += (x[i] - mx) ** 2;
    vy += (y[i] - my) ** 2;
  }
  const sx = Math.sqrt(vx / n), sy = Math.sqrt(vy / n);
  return c / n / (sx < 1e-3 || sy < 1e-3 ? 1 : sx * sy);
}

function naiveAvgRanks(v: number[]): number[] {
  return v.map((x) => {
    const less = v.filter((y) => y < x).length;
    const eq = v.filter((y) => y === x).length;
    return less + (eq - 1) / 2;
  });
}

test('normalizeByDay: population std, NaN -> 0, constant day -> 0', () => {
  const x = new Float64Array([1, 2, 3, NaN, 5, 5, 5, 5]);
  const z = normalizeByDay(x, 2, 4);
  const sd = Math.sqrt(2 / 3);
  close(z[0], -1 / sd);
  close(z[1], 0);
  close(z[2], 1 / sd);
  assert.equal(z[3], 0);
  assert.deepEqual(Array.from(z.subarray(4)), [0, 0, 0, 0]);
});

test('dailyIC and dailyRankIC match naive versions on random data with NaNs and ties', () => {
  const rng = new Rng(7);
  const nDays = 20, nStocks = 30;
  const a = new Float64Array(nDays * nStocks), b = new Float64Array(nDays * nStocks);
  for (let i = 0; i < a.length; i++) {
    a[i] = rng.next() < 0.1 ? NaN : Math.round(rng.normal() * 3);
    b[i] = rng.next() < 0.1 ? NaN : rng.normal();
  }
  const ic = dailyIC(a, b, nDays, nStocks);
  const ric = dailyRankIC(a, b, nDays, nStocks);
  for (let d = 0; d < nDays; d++) {
    const xs: number[] = [], ys: number[] = [];
    for (let s = 0; s < nStocks; s++) {
      const x = a[d * nStocks + s], y = b[d * nStocks + s];
      if (!Number.isNaN(x) && !Number.isNaN(y)) { xs.push(x); ys.push(y); }
    }
    close(ic[d], naivePearson(xs, ys), 1e-10);
    close(ric[d], naivePearson(naiveAvgRanks(xs), naiveAvgRanks(ys)), 1e-10);
  }
});

test('dailyRankIC against a RankedTarget gives the same bits as against its values (alpha valid where the target is, or not; ties; empty days)', () => {
  const rng = new Rng(9);
  const nDays = 30, nStocks = 41;
  const target = new Float64Array(nDays * nStocks);
  for (let i = 0; i < target.length; i++) target[i] = rng.next() < 0.1 ? NaN : rng.next() < 0.2 ? Math.round(rng.normal()) : rng.normal();
  for (let s = 0; s < nStocks; s++) target[5 * nStocks + s] = NaN; // a day without target
  const ranked = new RankedTarget(target, nDays, nStocks);
  target.fill(0); // the ranked copy does not follow the array
  const plainTarget = ranked.values;
  for (const extraNaN of [0, 0.05, 0.5]) {
    const a = Float64Array.from({ length: nDays * nStocks }, () => (rng.next() < extraNaN ? NaN : Math.round(rng.normal() * 4)));
    const want = dailyRankIC(a, plainTarget, nDays, nStocks);
    const got = dailyRankIC(a, ranked, nDays, nStocks);
    for (let d = 0; d < nDays; d++) assert.ok(Object.is(got[d], want[d]), `extra NaN ${extraNaN}, day ${d}: ${got[d]} vs ${want[d]}`);
    assert.ok(Object.is(alphaRankIC(a, ranked, nDays, nStocks), alphaRankIC(a, plainTarget, nDays, nStocks)));
  }
  assert.throws(() => dailyRankIC(new Float64Array(nStocks), ranked, 1, nStocks), /RankedTarget/);
});

test('a day with no valid pair is NaN; IC mean counts it as 0', () => {
  const a = new Float64Array([NaN, NaN, 1, 2]);
  const b = new Float64Array([1, 2, 1, 2]);
  const ic = dailyIC(a, b, 2, 2);
  assert.ok(Number.isNaN(ic[0]));
  close(ic[1], 1);
  assert.ok(Number.isNaN(dailyRankIC(a, b, 2, 2)[0]));
  close(seriesStats(ic).mean, 0.5);
  // alphaIC normalizes first: the NaN day becomes zeros -> std guard -> 0
  close(alphaIC(a, b, 2, 2), 0.5);
});

test('topQuantileReturn averages the top 20% by prediction', () => {
  const pred = new Float64Array([5, 4, 3, 2, 1, 0, -1, -2, -3, -4]);
  const ret = new Float64Array([0.1, 0.2, 0, 0, 0, 0, 0, 0, 0, 0]);
  close(topQuantileReturn(pred, ret, 1, 10)[0], 0.15);
});

test('topQuantileReturn: stocks tied at the cut share its places, so a flat prediction earns the mean return', () => {
  const ret = Float64Array.from([0.05, -0.01, 0.02, 0.03, -0.04, 0.06, 0.01, 0, 0.02, -0.02]);
  close(topQuantileReturn(new Float64Array(10).fill(1), ret, 1, 10)[0], ret.reduce((s, r) => s + r, 0) / 10);
  // Top 2 of 10: stock 9 alone on top, then stocks 0, 3 and 5 tied for the second place (one place, three stocks).
  const pred = Float64Array.from([2, 0, 0, 2, 0, 2, 0, 0, 0, 3]);
  close(topQuantileReturn(pred, ret, 1, 10)[0], (-0.02 + (0.05 + 0.03 + 0.06) / 3) / 2);
});

// The metrics' former TypeScript loops, kept here as the bit-for-bit reference of the WebAssembly kernels
// (assembly/metrics.ts adds the same terms in the same order).
function loopNormalizeByDay(x: Float64Array, nDays: number, nS: number): Float64Array {
  const out = new Float64Array(nDays * nS);
  for (let d = 0; d < nDays; d++) {
    const o = d * nS;
    let n = 0;
    let sum = 0;
    for (let s = 0; s < nS; s++) if (x[o + s] === x[o + s]) (n++, (sum += x[o + s]));
    const mean = sum / n;
    let ss = 0;
    for (let s = 0; s < nS; s++) if (x[o + s] === x[o + s]) ss += (x[o + s] - mean) * (x[o + s] - mean);
    const spread = Math.sqrt(ss / n);
    const std = spread <= Math.abs(mean) * 1e-12 ? Infinity : spread; // one repeated value, up to the rounding of its mean
    for (let s = 0; s < nS; s++) {
      const z = (x[o + s] - mean) / std;
      out[o + s] = z === z ? z : 0;
    }
  }
  return out;
}
function loopDailyIC(x: Float64Array, y: Float64Array, nDays: number, nS: number): Float64Array {
  const out = new Float64Array(nDays);
  for (let d = 0; d < nDays; d++) {
    const o = d * nS;
    let n = 0, sx = 0, sy = 0;
    for (let s = 0; s < nS; s++) if (x[o + s] === x[o + s] && y[o + s] === y[o + s]) (n++, (sx += x[o + s]), (sy += y[o + s]));
    if (n === 0) {
      out[d] = NaN;
      continue;
    }
    const mx = sx / n, my = sy / n;
    let sxy = 0, vx = 0, vy = 0;
    for (let s = 0; s < nS; s++) {
      const a = x[o + s], b = y[o + s];
      if (a === a && b === b) {
        sxy += a * b;
        vx += (a - mx) * (a - mx);
        vy += (b - my) * (b - my);
      }
    }
    const stdX = Math.sqrt(vx / n), stdY = Math.sqrt(vy / n);
    out[d] = (sxy / n - mx * my) / (stdX < 1e-3 || stdY < 1e-3 ? 1 : stdX * stdY);
  }
  return out;
}
const sameBits = (a: Float64Array, b: Float64Array, what: string) => {
  assert.equal(a.length, b.length);
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) assert.fail(`${what}: cell ${i}: ${a[i]} != ${b[i]}`);
};

test('normalizeByDay, dailyIC and alphaIC give the bits of the plain loops (odd days and stocks, NaN, constant, empty and tiny-spread days)', () => {
  const rng = new Rng(11);
  for (const [nDays, nS] of [[41, 37], [40, 50], [1, 1], [3, 2], [7, 501]]) {
    const x = new Float64Array(nDays * nS);
    const y = new Float64Array(nDays * nS);
    for (let i = 0; i < x.length; i++) {
      x[i] = rng.next() < 0.1 ? NaN : rng.next() < 0.05 ? 0.25 : (rng.next() - 0.5) * 1e3;
      y[i] = rng.next() < 0.1 ? NaN : (rng.next() - 0.5) * 0.1;
    }
    const day = (d: number, f: (s: number) => number, m: Float64Array) => {
      if (d < nDays) for (let s = 0; s < nS; s++) m[d * nS + s] = f(s);
    };
    day(1, () => NaN, x); // empty day
    day(2, () => 3.5, x); // constant day
    day(3, (s) => 1 + s * 1e-9, y); // spread under the guard
    day(4, (s) => (s % 2 ? Infinity : s), x); // infinities
    day(5, () => 2 / 3, x); // constant day whose mean is not exact
    const zx = loopNormalizeByDay(x, nDays, nS);
    const zy = loopNormalizeByDay(y, nDays, nS);
    sameBits(normalizeByDay(x, nDays, nS), zx, `normalizeByDay ${nDays}x${nS}`);
    if (nDays > 5) assert.ok(zx.subarray(5 * nS, 6 * nS).every((v) => v === 0), 'a constant day normalizes to 0 even when its mean is inexact');
    sameBits(dailyIC(x, y, nDays, nS), loopDailyIC(x, y, nDays, nS), `dailyIC raw ${nDays}x${nS}`);
    const daily = loopDailyIC(zx, zy, nDays, nS);
    sameBits(dailyIC(zx, zy, nDays, nS), daily, `dailyIC normalized ${nDays}x${nS}`);
    assert.ok(Object.is(alphaIC(x, y, nDays, nS), daily.reduce((s, v) => s + (v === v ? v : 0), 0) / nDays), `alphaIC ${nDays}x${nS}`);
    const inPlace = x.slice();
    normalizeByDay(inPlace, nDays, nS, inPlace);
    sameBits(inPlace, zx, 'normalizeByDay in place');
  }
});

test('dailyRankIC has the bits of the plain formula (average ranks, then the two-pass Pearson), and takes that formula on days too large for exact rank sums', () => {
  const rng = new Rng(13);
  const nDays = 25, nStocks = 60;
  const a = new Float64Array(nDays * nStocks), b = new Float64Array(nDays * nStocks);
  for (let i = 0; i < a.length; i++) {
    a[i] = rng.next() < 0.1 ? NaN : rng.next() < 0.5 ? Math.round(rng.normal() * 2) : rng.normal();
    b[i] = rng.next() < 0.1 ? NaN : rng.next() < 0.3 ? Math.round(rng.normal()) : rng.normal();
  }
  // The plain formula, in its order: average ranks of each side, then means and the second-pass sums.
  const plain = (xs: number[], ys: number[]): number => {
    const ra = naiveAvgRanks(xs), rb = naiveAvgRanks(ys), n = xs.length;
    let sx = 0, sy = 0;
    for (let k = 0; k < n; k++) (sx += ra[k]), (sy += rb[k]);
    const mx = sx / n, my = sy / n;
    let sxy = 0, vx = 0, vy = 0;
    for (let k = 0; k < n; k++) {
      sxy += ra[k] * rb[k];
      vx += (ra[k] - mx) * (ra[k] - mx);
      vy += (rb[k] - my) * (rb[k] - my);
    }
    const stdX = Math.sqrt(vx / n), stdY = Math.sqrt(vy / n);
    return (sxy / n - mx * my) / (stdX < 1e-3 || stdY < 1e-3 ? 1 : stdX * stdY);
  };
  const ric = dailyRankIC(a, b, nDays, nStocks);
  for (let d = 0; d < nDays; d++) {
    const xs: number[] = [], ys: number[] = [];
    for (let s = 0; s < nStocks; s++) {
      const x = a[d * nStocks + s], y = b[d * nStocks + s];
      if (x === x && y === y) (xs.push(x), ys.push(y));
    }
    assert.ok(Object.is(ric[d], plain(xs, ys)), `day ${d}: ${ric[d]} vs ${plain(xs, ys)}`);
  }
  // One day of 70,000 cells (beyond 65,536: the written-ranks path), against ranks from a plain sort.
  const n = 70000;
  const x = Float64Array.from({ length: n }, () => Math.round(rng.normal() * 50));
  const y = Float64Array.from({ length: n }, (_, i) => x[i] + rng.normal() * 40);
  const avgRanks = (v: Float64Array): Float64Array => {
    const order = Array.from({ length: n }, (_, i) => i).sort((p, q) => v[p] - v[q]);
    const r = new Float64Array(n);
    for (let i = 0; i < n; ) {
      let j = i + 1;
      while (j < n && v[order[j]] === v[order[i]]) j++;
      for (let k = i; k < j; k++) r[order[k]] = (i + j - 1) / 2;
      i = j;
    }
    return r;
  };
  const big = dailyRankIC(x, y, 1, n)[0];
  close(big, naivePearson(Array.from(avgRanks(x)), Array.from(avgRanks(y))), 1e-12);
  assert.ok(big > 0.5, `${big}`);
});
